"""Canonical spans back into an OTLP ``ExportTraceServiceRequest`` (pure functions), for forwarding.

A span leaves as it was received where tokentrail kept it (ids, times, status, events, its resource and the
attributes no convention claimed), redacted, and with what tokentrail read from it written in attributes
the destinations understand (:data:`SCALARS`, :data:`USAGE`): the OpenTelemetry GenAI conventions for
model and usage (LangSmith, Langfuse and tokentrail read them), OpenInference for kind, session, user,
tags, metadata, input and output, and Langfuse's ``cost_details`` for the cost (exact, as decimal text).
Usage types with no GenAI name (requests, web searches) are not sent. Requests to the same resource are
grouped under one ``ResourceSpans``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans
from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtlpSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status as OtlpStatus

from tokentrail.model import Span, SpanKind, Status
from tokentrail.semconv.common import SERVICE_NAME

__all__ = ["SCALARS", "USAGE", "encode_spans", "span_attributes"]

#: Span kind -> ``openinference.span.kind``.
KINDS: Mapping[SpanKind, str] = {
    SpanKind.LLM: "LLM",
    SpanKind.EMBEDDING: "EMBEDDING",
    SpanKind.RERANK: "RERANKER",
    SpanKind.RETRIEVAL: "RETRIEVER",
    SpanKind.TOOL: "TOOL",
    SpanKind.AGENT: "AGENT",
    SpanKind.CHAIN: "CHAIN",
    SpanKind.GUARDRAIL: "GUARDRAIL",
    SpanKind.EVALUATOR: "EVALUATOR",
}

_STATUS = {Status.UNSET: OtlpStatus.STATUS_CODE_UNSET, Status.OK: OtlpStatus.STATUS_CODE_OK}


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


def _value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list):
        any_value = AnyValue()
        any_value.array_value.values.extend(_value(item) for item in value)
        return any_value
    if isinstance(value, dict):
        any_value = AnyValue()
        any_value.kvlist_value.values.extend(_pairs(value.items()))
        return any_value
    return AnyValue(string_value=str(value))


def _pairs(items: Iterable[tuple[str, Any]]) -> list[KeyValue]:
    return [KeyValue(key=key, value=_value(value)) for key, value in items if value is not None]


def span_attributes(span: Span) -> dict[str, Any]:
    """The attributes ``span`` is sent with: the ones it kept, then what tokentrail read from it."""
    attributes: dict[str, Any] = dict(span.attributes)
    for name, read in SCALARS.items():
        value = read(span)
        if value:
            attributes[name] = value
    for usage_type, name in USAGE.items():
        if usage_type in span.usage:
            attributes[name] = span.usage[usage_type]
    return attributes


def _otlp_span(span: Span) -> OtlpSpan:
    message = OtlpSpan(
        trace_id=bytes.fromhex(span.trace_id),
        span_id=bytes.fromhex(span.span_id),
        parent_span_id=bytes.fromhex(span.parent_span_id),
        name=span.name,
        start_time_unix_nano=span.start_ns,
        end_time_unix_nano=span.end_ns,
        attributes=_pairs(span_attributes(span).items()),
        status=OtlpStatus(
            code=_STATUS.get(span.status, OtlpStatus.STATUS_CODE_ERROR), message=span.error_message
        ),
    )
    for event in orjson.loads(span.events) if span.events else ():
        message.events.add(
            name=event["name"], time_unix_nano=event["time_ns"], attributes=_pairs(event["attributes"].items())
        )
    return message


def encode_spans(spans: Iterable[Span]) -> bytes:
    """One ``ExportTraceServiceRequest`` holding ``spans``, serialized; empty bytes for no spans."""
    request = ExportTraceServiceRequest()
    by_resource: dict[tuple[str, bytes], ResourceSpans] = {}
    for span in spans:
        resource = {**span.resource, SERVICE_NAME: span.service}
        key = (span.scope, orjson.dumps(resource, option=orjson.OPT_SORT_KEYS))
        group = by_resource.get(key)
        if group is None:
            group = by_resource[key] = request.resource_spans.add()
            group.resource.attributes.extend(_pairs(resource.items()))
            group.scope_spans.add().scope.name = span.scope
        group.scope_spans[0].spans.append(_otlp_span(span))
    return request.SerializeToString() if by_resource else b""
