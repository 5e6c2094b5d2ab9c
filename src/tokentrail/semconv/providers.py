"""Provider spellings, from every convention, onto the ``gen_ai.provider.name`` spelling.

One table for all conventions: the same spelling never means two providers, and several conventions
copy one another's values (the Vercel AI SDK writes ``openai.chat`` into ``gen_ai.system`` too).

A value is matched case-insensitively, first whole, then without its last dot-separated segments
(``google.vertex.chat`` -> ``google.vertex`` -> ``gcp.vertex_ai``), so the Vercel AI SDK's
``<provider>.<api>`` names resolve. A value that matches nothing passes through lower-cased. A value that
maps to ``""`` names a framework, not a provider, and says nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["PROVIDER_ALIASES"]

PROVIDER_ALIASES: Mapping[str, str] = {
    # The gen_ai.provider.name values themselves (so "openai.chat" resolves through "openai").
    "openai": "openai",
    "anthropic": "anthropic",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "groq": "groq",
    "perplexity": "perplexity",
    "mistral_ai": "mistral_ai",
    "ibm.watsonx.ai": "ibm.watsonx.ai",
    "aws.bedrock": "aws.bedrock",
    "gcp.gen_ai": "gcp.gen_ai",
    "gcp.vertex_ai": "gcp.vertex_ai",
    "gcp.gemini": "gcp.gemini",
    "azure.ai.inference": "azure.ai.inference",
    "azure.ai.openai": "azure.ai.openai",
    "x_ai": "x_ai",
    "moonshot_ai": "moonshot_ai",
    "fireworks": "fireworks",
    "cerebras": "cerebras",
    "ollama": "ollama",
    "openrouter": "openrouter",
    # Deprecated gen_ai.system values renamed by gen_ai.provider.name (v1.37).
    "vertex_ai": "gcp.vertex_ai",
    "gemini": "gcp.gemini",
    "az.ai.openai": "azure.ai.openai",
    "az.ai.inference": "azure.ai.inference",
    "xai": "x_ai",
    # OpenLLMetry before 0.53.4 wrote capitalized GenAISystem names ("MistralAI", "Watsonx", ...).
    "mistralai": "mistral_ai",
    "alephalpha": "aleph_alpha",
    "togetherai": "together_ai",
    "watsonx": "ibm.watsonx.ai",
    "huggingface": "hugging_face",
    "azure": "azure.ai.openai",
    "aws": "aws.bedrock",
    "google": "gcp.gen_ai",
    # OpenInference llm.provider / llm.system values.
    "vertexai": "gcp.vertex_ai",
    "amazon": "aws.bedrock",
    "together": "together_ai",
    "moonshot": "moonshot_ai",
    # Vercel AI SDK provider ids (ai.model.provider, before the API suffix) and MLflow's.
    "google.vertex": "gcp.vertex_ai",
    "google.generative-ai": "gcp.gemini",
    "vertex": "gcp.vertex_ai",
    "amazon-bedrock": "aws.bedrock",
    "bedrock": "aws.bedrock",
    "azure-openai": "azure.ai.openai",
    "mistral": "mistral_ai",
    # Frameworks that OpenLLMetry and LangSmith write into gen_ai.system when the vendor is unknown.
    "langchain": "",
    "crewai": "",
}
