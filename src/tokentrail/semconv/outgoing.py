"""The attributes tokentrail writes a span back out with when it forwards it (:mod:`tokentrail.export`): what
it read from the span, in names the destinations understand. The OpenTelemetry GenAI conventions carry model
and usage (LangSmith, Langfuse and tokentrail read them); OpenInference carries kind, session, user, tags,
metadata, input and output; Langfuse's ``cost_details`` carries the cost (exact, as decimal text). Usage
types with no GenAI name (requests, web searches) are not written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from tokentrail.model import Span, SpanKind
from tokentrail.semconv.openinference import SPAN_KINDS

__all__ = ["KINDS", "SCALARS", "USAGE"]

#: Span kind -> ``openinference.span.kind``: the first name OpenInference maps to it (LLM, not DECISION).
KINDS: Mapping[SpanKind, str] = {
    SpanKind(kind): name for name, kind in reversed(list(SPAN_KINDS.items())) if kind != SpanKind.OTHER
}


def _metadata(span: Span) -> str:
    return orjson.dumps(span.metadata).decode() if span.metadata else ""


def _cost(span: Span) -> str:
    # Decimal text, not a float: a JSON number keeps every digit the span was priced to.
    return f'{{"total": {span.cost_total}}}' if span.cost else ""


#: Attribute -> how its value is read from a span; "" (or an empty list) is not sent.
SCALARS: Mapping[str, Callable[[Span], Any]] = {
    "openinference.span.kind": lambda span: KINDS.get(span.kind, ""),
    "gen_ai.provider.name": lambda span: span.provider,
    "gen_ai.request.model": lambda span: span.request_model,
    "gen_ai.response.model": lambda span: span.response_model,
    "gen_ai.response.id": lambda span: span.response_id,
    "gen_ai.tool.name": lambda span: span.tool_name,
    "error.type": lambda span: span.error_type,
    "session.id": lambda span: span.session_id,
    "user.id": lambda span: span.user_id,
    "langfuse.trace.name": lambda span: span.trace_name,
    "tag.tags": lambda span: span.tags,
    "metadata": _metadata,
    "input.value": lambda span: span.input,
    "output.value": lambda span: span.output,
    "langfuse.observation.cost_details": _cost,
}

#: Usage type -> its GenAI attribute (input counts cached tokens, output reasoning ones, as in tokentrail).
USAGE: Mapping[str, str] = {
    "input": "gen_ai.usage.input_tokens",
    "output": "gen_ai.usage.output_tokens",
    "cache_read": "gen_ai.usage.cache_read.input_tokens",
    "cache_write": "gen_ai.usage.cache_write.input_tokens",
    "cache_write_1h": "anthropic.usage.cache_creation.ephemeral_1h_input_tokens",
    "reasoning": "gen_ai.usage.reasoning.output_tokens",
    "audio_in": "gen_ai.usage.audio.input_tokens",
    "image_in": "gen_ai.usage.image.input_tokens",
    "audio_out": "gen_ai.usage.audio.output_tokens",
}
