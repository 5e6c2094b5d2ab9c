"""OpenTelemetry GenAI semantic conventions (``gen_ai.*``), as tables.

:data:`GENAI` holds the current names (v1.37+ and the unreleased semantic-conventions-genai main);
:data:`GENAI_DEPRECATED` holds names that were renamed, including the spellings OpenLLMetry used before it
adopted the dotted cache names. Usage follows the conventions' own rule: input tokens include cached ones,
output tokens include reasoning ones, which is also tokentrail's canonical meaning.
"""

from __future__ import annotations

from collections.abc import Mapping

from tokentrail.semconv.common import Convention, Rule, Target

__all__ = ["GENAI", "GENAI_DEPRECATED", "OPERATION_KINDS", "PROVIDER_ALIASES"]

#: ``gen_ai.operation.name`` -> span kind. Other values (``plan``, the ``*_memory`` operations on main)
#: are kept as raw attributes and the kind comes from other evidence.
OPERATION_KINDS: Mapping[str, str] = {
    "chat": "llm",
    "text_completion": "llm",
    "generate_content": "llm",
    "embeddings": "embedding",
    "execute_tool": "tool",
    "invoke_agent": "agent",
    "create_agent": "agent",
    "retrieval": "retrieval",
    "invoke_workflow": "chain",
}

#: Provider spellings -> the ``gen_ai.provider.name`` spelling. Keys are lower-case (values are matched
#: case-insensitively); values not listed pass through lower-cased.
PROVIDER_ALIASES: Mapping[str, str] = {
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
}

GENAI = Convention(
    "gen_ai",
    (
        Rule("gen_ai.operation.name", Target.KIND, values=OPERATION_KINDS),
        Rule("gen_ai.provider.name", Target.PROVIDER, values=PROVIDER_ALIASES),
        Rule("gen_ai.request.model", Target.REQUEST_MODEL),
        Rule("gen_ai.response.model", Target.RESPONSE_MODEL),
        Rule("gen_ai.usage.input_tokens", Target.USAGE, key="input"),
        Rule("gen_ai.usage.output_tokens", Target.USAGE, key="output"),
        Rule("gen_ai.usage.cache_read.input_tokens", Target.USAGE, key="cache_read"),
        # cache_write is main's name (#440); cache_creation is what v1.40-v1.41 released.
        Rule("gen_ai.usage.cache_write.input_tokens", Target.USAGE, key="cache_write"),
        Rule("gen_ai.usage.cache_creation.input_tokens", Target.USAGE, key="cache_write"),
        Rule("gen_ai.usage.reasoning.output_tokens", Target.USAGE, key="reasoning"),
        Rule("gen_ai.conversation.id", Target.SESSION_ID),
        Rule("gen_ai.input.messages", Target.INPUT),
        Rule("gen_ai.output.messages", Target.OUTPUT),
        Rule("gen_ai.system_instructions", Target.SYSTEM_INSTRUCTIONS),
        # Names, not kinds: a span that carries only a tool or agent name is probably that kind.
        Rule("gen_ai.tool.name", Target.KIND, implies="tool", hint=True, keep=True),
        Rule("gen_ai.agent.name", Target.KIND, implies="agent", hint=True, keep=True),
    ),
)

GENAI_DEPRECATED = Convention(
    "gen_ai (deprecated)",
    (
        Rule("gen_ai.system", Target.PROVIDER, values=PROVIDER_ALIASES),
        Rule("gen_ai.usage.prompt_tokens", Target.USAGE, key="input"),
        Rule("gen_ai.usage.completion_tokens", Target.USAGE, key="output"),
        # OpenLLMetry's own spellings: underscores before 0.53.4, reasoning_tokens still today.
        Rule("gen_ai.usage.cache_read_input_tokens", Target.USAGE, key="cache_read"),
        Rule("gen_ai.usage.cache_creation_input_tokens", Target.USAGE, key="cache_write"),
        Rule("gen_ai.usage.reasoning_tokens", Target.USAGE, key="reasoning"),
    ),
)
