"""OpenLLMetry / Traceloop (``traceloop.*``, ``llm.*`` and the flattened ``gen_ai.prompt.N.*``), as a table.

OpenLLMetry's decorators (``@workflow``, ``@task``, ``@agent``, ``@tool``) write ``traceloop.span.kind`` and
the entity's input and output; its instrumentations wrote messages flattened as ``gen_ai.prompt.N.*`` and
``gen_ai.completion.N.*`` before 0.54. Its older ``gen_ai.usage.*`` spellings are GenAI names and sit in
:data:`tokentrail.semconv.genai.GENAI_DEPRECATED`. Input tokens include cached ones (the Anthropic
instrumentation sums them since #2175).

Sources: traceloop/openllmetry ``packages/opentelemetry-semantic-conventions-ai`` (semconv-ai 0.5.1) and
``packages/traceloop-sdk`` 0.62.4 (``traceloop/sdk/tracing/tracing.py``,
``traceloop/sdk/associations/associations.py``: the standard properties ``user_id``, ``session_id``,
``customer_id``).
"""

from __future__ import annotations

from collections.abc import Mapping

from tokentrail.semconv.common import Convention, Family, Rule, Shape, Target, id_keys

__all__ = ["OPENLLMETRY", "REQUEST_TYPES", "SPAN_KINDS"]

#: ``traceloop.span.kind`` -> span kind: workflows and tasks are steps of a chain.
SPAN_KINDS: Mapping[str, str] = {
    "workflow": "chain",
    "task": "chain",
    "agent": "agent",
    "tool": "tool",
    "unknown": "other",
}

#: ``llm.request.type`` (before ``gen_ai.operation.name``) -> span kind.
REQUEST_TYPES: Mapping[str, str] = {
    "chat": "llm",
    "completion": "llm",
    "embedding": "embedding",
    "rerank": "rerank",
    "unknown": "other",
}

OPENLLMETRY = Convention(
    "openllmetry",
    (
        Rule("traceloop.span.kind", Target.KIND, values=SPAN_KINDS),
        Rule("llm.request.type", Target.KIND, values=REQUEST_TYPES),
        Rule("traceloop.entity.input", Target.INPUT),
        Rule("traceloop.entity.output", Target.OUTPUT),
        Rule("traceloop.workflow.name", Target.TRACE_NAME),
        # The decorated function's name, whatever its kind (a tool, a task, a workflow): what a per-call
        # price rule matches it by. It implies no kind (traceloop.span.kind says which).
        Rule("traceloop.entity.name", Target.TOOL_NAME, keep=True),
        # 0.52-0.53.3 wrote reasoning here; llm.usage.total_tokens has no canonical key and stays raw.
        Rule("llm.usage.reasoning_tokens", Target.USAGE, key="reasoning"),
        # The end user the application passed to the provider (OpenAI's `user` parameter).
        Rule("gen_ai.user", Target.USER_ID),
        Rule("llm.user", Target.USER_ID),
    ),
    families=(
        # Before 0.54: gen_ai.prompt.0.role, gen_ai.completion.0.tool_calls.0.name ... (no wrapper).
        Family("gen_ai.prompt.", Target.INPUT, Shape.BARE_LIST),
        Family("gen_ai.completion.", Target.OUTPUT, Shape.BARE_LIST),
        # Application-chosen keys; the SDK's standard ones (and common spellings) name the session and user.
        Family("traceloop.association.properties.", Target.METADATA, Shape.MAP, keys=id_keys()),
    ),
)
