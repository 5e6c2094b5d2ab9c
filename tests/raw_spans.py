"""Raw spans for normalizer tests: one valid span whose attributes (and any field) a test chooses."""

from __future__ import annotations

from typing import Any

from tokentrail.model import AttributeValue, RawSpan, Span
from tokentrail.semconv import normalize


def raw_span(attributes: dict[str, AttributeValue] | None = None, **fields: Any) -> RawSpan:
    values: dict[str, Any] = {
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
        "span_id": "b7ad6b7169203331",
        "parent_span_id": "00f067aa0ba902b7",
        "name": "span",
        "start_ns": 1_767_225_600_000_000_000,
        "end_ns": 1_767_225_601_500_000_000,
        "status_code": 0,
        "status_message": "",
        "attributes": attributes or {},
        "resource": {},
    }
    values.update(fields)
    return RawSpan(**values)


def normalized(attributes: dict[str, AttributeValue] | None = None, **fields: Any) -> Span:
    return normalize(raw_span(attributes, **fields), project="test")
