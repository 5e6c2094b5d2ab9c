"""Canonical spans back into an OTLP ``ExportTraceServiceRequest`` (pure functions), for forwarding.

A span leaves as it was received where tokentrail kept it (ids, times, status, events, its resource and the
attributes no convention claimed), redacted, and with what tokentrail read from it written in attributes
the destinations understand (:mod:`tokentrail.semconv.outgoing`). Spans of the same resource and scope are
grouped under one ``ResourceSpans``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans
from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtlpSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status as OtlpStatus

from tokentrail.model import Span, Status
from tokentrail.semconv.common import SERVICE_NAME
from tokentrail.semconv.outgoing import SCALARS, USAGE

__all__ = ["any_value", "encode_spans", "key_values", "span_attributes"]


_STATUS = {Status.UNSET: OtlpStatus.STATUS_CODE_UNSET, Status.OK: OtlpStatus.STATUS_CODE_OK}


def any_value(value: Any) -> AnyValue:
    """``value`` as an OTLP ``AnyValue`` (lists and dicts nested; any other type as its text)."""
    if type(value) is str:  # nearly every value: one check, not five
        return AnyValue(string_value=value)
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list | tuple):
        array = AnyValue()
        array.array_value.values.extend(any_value(item) for item in value)
        return array
    if isinstance(value, dict):
        kvlist = AnyValue()
        kvlist.kvlist_value.values.extend(key_values(value.items()))
        return kvlist
    return AnyValue(string_value=str(value))


def key_values(items: Iterable[tuple[str, Any]]) -> list[KeyValue]:
    """OTLP key-values of ``items`` (None values left out: OTLP has no null)."""
    return [KeyValue(key=key, value=any_value(value)) for key, value in items if value is not None]


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
        attributes=key_values(span_attributes(span).items()),
        status=OtlpStatus(
            code=_STATUS.get(span.status, OtlpStatus.STATUS_CODE_ERROR), message=span.error_message
        ),
    )
    for event in orjson.loads(span.events) if span.events else ():
        message.events.add(
            name=event["name"],
            time_unix_nano=event["time_ns"],
            attributes=key_values(event["attributes"].items()),
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
            group.resource.attributes.extend(key_values(resource.items()))
            group.scope_spans.add().scope.name = span.scope
        group.scope_spans[0].spans.append(_otlp_span(span))
    return request.SerializeToString() if by_resource else b""
