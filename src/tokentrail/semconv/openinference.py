"""OpenInference semantic conventions (Arize Phoenix and the ``openinference-instrumentation-*`` packages).

Token counts already follow tokentrail's meaning: ``llm.token_count.prompt`` includes cached tokens and
``llm.token_count.completion`` includes reasoning tokens. ``llm.token_count.total`` and
``llm.token_count.prompt_details.cache_input`` have no canonical key and stay raw attributes. Costs are
the other way round: ``llm.cost.prompt`` includes the cache costs that ``llm.cost.prompt_details.*`` state,
so the table says so and the engine keeps reported cost types disjoint.

Sources: Arize-ai/openinference ``spec/semantic_conventions.md`` and the PyPI package
``openinference-semantic-conventions`` 0.1.42, ``openinference/semconv/trace/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

from tokentrail.semconv.common import Convention, Family, Rule, Target
from tokentrail.semconv.providers import PROVIDER_ALIASES

__all__ = ["OPENINFERENCE", "SPAN_KINDS"]

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
    "DECISION": "llm",  # a call to a decision model (decision.*), priced like any model call
    "UNKNOWN": "other",
}

_INPUT_COST_PARTS = ("cache_read", "cache_write", "audio_in")
_OUTPUT_COST_PARTS = ("reasoning", "audio_out")

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
        Rule("reranker.model_name", Target.RESPONSE_MODEL),
        # DECISION spans mirror the llm.* names under decision.*.
        Rule("decision.provider", Target.PROVIDER, values=PROVIDER_ALIASES),
        Rule("decision.system", Target.PROVIDER, values=PROVIDER_ALIASES),
        Rule("decision.request.model_name", Target.REQUEST_MODEL),
        Rule("decision.response.model_name", Target.RESPONSE_MODEL),
        Rule("decision.model_name", Target.RESPONSE_MODEL),
        Rule("llm.token_count.prompt", Target.USAGE, key="input"),
        Rule("llm.token_count.completion", Target.USAGE, key="output"),
        Rule("llm.token_count.prompt_details.cache_read", Target.USAGE, key="cache_read"),
        Rule("llm.token_count.prompt_details.cache_write", Target.USAGE, key="cache_write"),
        Rule("llm.token_count.prompt_details.audio", Target.USAGE, key="audio_in"),
        Rule("llm.token_count.completion_details.reasoning", Target.USAGE, key="reasoning"),
        Rule("llm.token_count.completion_details.audio", Target.USAGE, key="audio_out"),
        Rule("decision.token_count.input", Target.USAGE, key="input"),
        Rule("decision.token_count.output", Target.USAGE, key="output"),
        Rule("llm.cost.total", Target.COST, key="total"),
        # prompt_details.input is the uncached input alone; llm.cost.prompt is all input.
        Rule("llm.cost.prompt_details.input", Target.COST, key="input"),
        Rule("llm.cost.prompt", Target.COST, key="input", includes=_INPUT_COST_PARTS),
        Rule("llm.cost.completion_details.output", Target.COST, key="output"),
        Rule("llm.cost.completion", Target.COST, key="output", includes=_OUTPUT_COST_PARTS),
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
        Rule("reranker.query", Target.INPUT),
        Rule("tool.name", Target.TOOL_NAME, implies="tool", hint=True, keep=True),
        Rule("agent.name", Target.KIND, implies="agent", hint=True, keep=True),
    ),
    # Used only when input.value / output.value is absent (they rank above these).
    families=(
        Family("llm.input_messages.", Target.INPUT),
        Family("llm.output_messages.", Target.OUTPUT),  # tool calls are message.tool_calls.N.tool_call.*
        Family("llm.prompts.", Target.INPUT),  # completions API: llm.prompts.N.prompt.text
        Family("llm.choices.", Target.OUTPUT),  # llm.choices.N.completion.text
        # RETRIEVER spans: the documents found are the output, as a JSON list of {id, score, content, ...}.
        Family("retrieval.documents.", Target.OUTPUT),
        Family("reranker.output_documents.", Target.OUTPUT),
        Family("reranker.input_documents.", Target.INPUT, keep_outranked=True),  # beside reranker.query
    ),
)
