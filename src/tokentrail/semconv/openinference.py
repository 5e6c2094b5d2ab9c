"""OpenInference semantic conventions (Arize Phoenix and the ``openinference-instrumentation-*`` packages).

Token counts already follow tokentrail's meaning: ``llm.token_count.prompt`` includes cached tokens and
``llm.token_count.completion`` includes reasoning tokens. ``llm.token_count.total`` and
``llm.token_count.prompt_details.cache_input`` have no canonical key and stay raw attributes.
"""

from __future__ import annotations

from collections.abc import Mapping

from tokentrail.semconv.common import Convention, Family, Rule, Target

__all__ = ["OPENINFERENCE", "PROVIDER_ALIASES", "SPAN_KINDS"]

#: ``openinference.span.kind`` -> span kind. UNKNOWN says nothing, so it never outranks another convention.
SPAN_KINDS: Mapping[str, str] = {
    "LLM": "llm",
    "EMBEDDING": "embedding",
    "CHAIN": "chain",
    "RETRIEVER": "retrieval",
    "RERANKER": "rerank",
    "TOOL": "tool",
    "AGENT": "agent",
    "GUARDRAIL": "guardrail",
    "EVALUATOR": "evaluator",
    "PROMPT": "chain",  # rendering a prompt template is a step of a chain
    "UNKNOWN": "other",
}

#: ``llm.provider`` (hosting) and ``llm.system`` (model family) values -> ``gen_ai.provider.name``
#: spellings. Keys are lower-case; values not listed pass through lower-cased.
PROVIDER_ALIASES: Mapping[str, str] = {
    "google": "gcp.gen_ai",
    "vertexai": "gcp.vertex_ai",
    "aws": "aws.bedrock",
    "amazon": "aws.bedrock",
    "azure": "azure.ai.openai",
    "mistralai": "mistral_ai",
    "xai": "x_ai",
    "together": "together_ai",
    "moonshot": "moonshot_ai",
}

OPENINFERENCE = Convention(
    "openinference",
    (
        Rule("openinference.span.kind", Target.KIND, values=SPAN_KINDS),
        # llm.provider is who served the call; llm.system the model family (Azure OpenAI: azure vs openai).
        Rule("llm.provider", Target.PROVIDER, values=PROVIDER_ALIASES),
        Rule("llm.system", Target.PROVIDER, values=PROVIDER_ALIASES),
        Rule("llm.request.model_name", Target.REQUEST_MODEL),
        Rule("llm.response.model_name", Target.RESPONSE_MODEL),
        # The spec: llm.model_name is the response model when known.
        Rule("llm.model_name", Target.RESPONSE_MODEL),
        Rule("embedding.model_name", Target.RESPONSE_MODEL),
        Rule("llm.token_count.prompt", Target.USAGE, key="input"),
        Rule("llm.token_count.completion", Target.USAGE, key="output"),
        Rule("llm.token_count.prompt_details.cache_read", Target.USAGE, key="cache_read"),
        Rule("llm.token_count.prompt_details.cache_write", Target.USAGE, key="cache_write"),
        Rule("llm.token_count.prompt_details.audio", Target.USAGE, key="audio_in"),
        Rule("llm.token_count.completion_details.reasoning", Target.USAGE, key="reasoning"),
        Rule("llm.token_count.completion_details.audio", Target.USAGE, key="audio_out"),
        Rule("llm.cost.total", Target.COST, key="total"),
        Rule("llm.cost.prompt", Target.COST, key="input"),
        Rule("llm.cost.completion", Target.COST, key="output"),
        Rule("llm.cost.prompt_details.cache_read", Target.COST, key="cache_read"),
        Rule("llm.cost.prompt_details.cache_write", Target.COST, key="cache_write"),
        Rule("llm.cost.prompt_details.audio", Target.COST, key="audio_in"),
        Rule("llm.cost.completion_details.reasoning", Target.COST, key="reasoning"),
        Rule("llm.cost.completion_details.audio", Target.COST, key="audio_out"),
        Rule("session.id", Target.SESSION_ID),
        Rule("user.id", Target.USER_ID),
        Rule("metadata", Target.METADATA),
        Rule("tag.tags", Target.TAGS),
        Rule("input.value", Target.INPUT),
        Rule("output.value", Target.OUTPUT),
        Rule("tool.name", Target.KIND, implies="tool", hint=True, keep=True),
    ),
    # Used only when input.value / output.value is absent (they rank above these).
    families=(
        Family("llm.input_messages.", Target.INPUT),
        Family("llm.output_messages.", Target.OUTPUT),
    ),
)
