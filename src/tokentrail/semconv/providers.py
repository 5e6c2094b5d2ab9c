"""Provider spellings, from every convention, onto the ``gen_ai.provider.name`` spelling.

One table for all conventions: the same spelling never means two providers, and several conventions
copy one another's values (the Vercel AI SDK writes ``openai.chat`` into ``gen_ai.system`` too).

A value is matched case-insensitively, first whole, then without its last dot-separated segments
(``google.vertex.chat`` -> ``google.vertex`` -> ``gcp.vertex_ai``), so the Vercel AI SDK's
``<provider>.<api>`` names resolve. A value that matches nothing passes through lower-cased. A value that
maps to ``""`` names a framework, not a provider, and says nothing.

One API, one identity. The Gemini API is ``gemini`` to the OpenTelemetry google-genai instrumentation,
``google`` to OpenInference and pydantic-ai, ``google.generative-ai`` to the Vercel AI SDK and the generic
``gcp.gen_ai`` to others: all are ``gcp.gemini`` here, so cost by provider shows it once. Where a name
does not say which Google backend served the call, the span's ``server.address`` does
(:data:`ENDPOINT_PROVIDERS`): a Vertex AI endpoint makes it ``gcp.vertex_ai``.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ENDPOINT_PROVIDERS", "PROVIDER_ALIASES", "provider_at"]

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
    # Any Google GenAI endpoint, backend unknown: the Gemini API unless server.address names Vertex AI.
    "gcp.gen_ai": "gcp.gemini",
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
    "google": "gcp.gemini",
    # OpenInference llm.provider / llm.system values.
    "vertexai": "gcp.vertex_ai",
    "amazon": "aws.bedrock",
    "together": "together_ai",
    "moonshot": "moonshot_ai",
    # pydantic-ai before 1.0 named its Google providers by backend.
    "google-gla": "gcp.gemini",
    "google-vertex": "gcp.vertex_ai",
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

#: Provider -> (host suffix of ``server.address``, the provider that host serves): for a name that covers
#: several backends, the one the call reached.
ENDPOINT_PROVIDERS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "gcp.gemini": (("aiplatform.googleapis.com", "gcp.vertex_ai"),),
}


def provider_at(provider: str, server_address: object) -> str:
    """``provider`` as refined by the endpoint the call reached (:data:`ENDPOINT_PROVIDERS`)."""
    endpoints = ENDPOINT_PROVIDERS.get(provider)
    if endpoints and type(server_address) is str:
        host = server_address.lower()
        for suffix, served_by in endpoints:
            if host == suffix or host.endswith("." + suffix) or host.endswith("-" + suffix):
                return served_by
    return provider
