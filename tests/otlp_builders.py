"""Small builders for OTLP requests in tests, in both encodings, from plain Python values."""

from __future__ import annotations

import json
import os
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tokentrail.export.otlp_encode import any_value

NOW_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z


def new_trace_id() -> str:
    return os.urandom(16).hex()


def new_span_id() -> str:
    return os.urandom(8).hex()


def span(
    name: str,
    trace_id: str,
    span_id: str | None = None,
    parent: str = "",
    *,
    start_ns: int = NOW_NS,
    duration_ms: float = 10,
    attributes: dict[str, Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """A span as plain data: ids in hex, attributes as a dict."""
    return {
        "name": name,
        "trace_id": trace_id,
        "span_id": span_id or new_span_id(),
        "parent": parent,
        "start_ns": start_ns,
        "end_ns": start_ns + int(duration_ms * 1e6),
        "attributes": attributes or {},
        "error": error,
    }


def tool_span(
    name: str,
    trace_id: str,
    span_id: str | None = None,
    parent: str = "",
    *,
    start_ns: int = NOW_NS,
    cost: str = "0",
    duration_ms: float = 10,
    error: str | None = None,
) -> dict[str, Any]:
    """An OpenInference tool span named ``name`` that states its own cost in USD."""
    attributes = {"openinference.span.kind": "TOOL", "tool.name": name, "tool.cost_usd": cost}
    return span(
        name,
        trace_id,
        span_id,
        parent,
        start_ns=start_ns,
        duration_ms=duration_ms,
        attributes=attributes,
        error=error,
    )


def protobuf_request(
    spans: list[dict[str, Any]],
    service: str = "test-app",
    scope: str = "tests",
    resource: dict[str, Any] | None = None,
) -> bytes:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.append(KeyValue(key="service.name", value=any_value(service)))
    resource_spans.resource.attributes.extend(
        KeyValue(key=key, value=any_value(value)) for key, value in (resource or {}).items()
    )
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = scope
    for item in spans:
        pb = Span(
            trace_id=bytes.fromhex(item["trace_id"]),
            span_id=bytes.fromhex(item["span_id"]),
            parent_span_id=bytes.fromhex(item["parent"]),
            name=item["name"],
            kind=Span.SPAN_KIND_CLIENT,
            start_time_unix_nano=item["start_ns"],
            end_time_unix_nano=item["end_ns"],
        )
        pb.attributes.extend(KeyValue(key=k, value=any_value(v)) for k, v in item["attributes"].items())
        if item["error"]:
            pb.status.code = Status.STATUS_CODE_ERROR
            pb.status.message = item["error"]
        scope_spans.spans.append(pb)
    return request.SerializeToString()


def _json_value(value: Any) -> dict[str, Any]:
    # The OTLP JSON mapping: 64-bit integers are strings.
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [_json_value(item) for item in value]}}
    return {"stringValue": str(value)}


def json_request(spans: list[dict[str, Any]], service: str = "test-app") -> bytes:
    return json.dumps(
        {
            "resourceSpans": [
                {
                    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                    "scopeSpans": [
                        {
                            "scope": {"name": "tests"},
                            "spans": [
                                {
                                    "traceId": item["trace_id"],
                                    "spanId": item["span_id"],
                                    "parentSpanId": item["parent"],
                                    "name": item["name"],
                                    "kind": 3,
                                    "startTimeUnixNano": str(item["start_ns"]),
                                    "endTimeUnixNano": str(item["end_ns"]),
                                    "attributes": [
                                        {"key": k, "value": _json_value(v)}
                                        for k, v in item["attributes"].items()
                                    ],
                                    "status": {"code": 2, "message": item["error"]} if item["error"] else {},
                                }
                                for item in spans
                            ],
                        }
                    ],
                }
            ]
        }
    ).encode()
