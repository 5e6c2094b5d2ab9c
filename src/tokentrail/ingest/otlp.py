"""OTLP trace requests: bytes in, :class:`~tokentrail.model.RawSpan` objects out (pure functions).

Handles both encodings of ``ExportTraceServiceRequest`` (binary protobuf and the OTLP JSON mapping, with
its hex ids), gzip bodies and a size limit. A malformed request raises :class:`BadRequest`; a malformed
*span* inside a good request is rejected alone, with a reason, so nothing else in the batch is lost.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import TypeVar

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tokentrail.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from tokentrail.ingest.truncation import cut
from tokentrail.limits import DROPPED_ATTRIBUTES, MAX_TIME_NS, TRUNCATED, RequestLimits
from tokentrail.model import AttributeValue, RawEvent, RawSpan

__all__ = [
    "JSON",
    "PROTOBUF",
    "DecodedBatch",
    "decode_request",
    "decompress",
    "encode_response",
    "media_type",
    "to_raw_spans",
]

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_ACCEPTED = (PROTOBUF, JSON)
_ID_FIELDS = ("traceId", "spanId", "parentSpanId")
_NO_PARENT = ""
_DEFAULT_LIMITS = RequestLimits()
_Pair = TypeVar("_Pair")  # a KeyValue, or its JSON form


@dataclass(slots=True)
class DecodedBatch:
    """The spans of one request, and what was wrong with the ones that could not be taken."""

    spans: list[RawSpan] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # one reason per rejected span
    warnings: list[str] = field(default_factory=list)  # spans taken after a repair


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header, checked against the two OTLP encodings."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind not in _ACCEPTED:
        raise UnsupportedMediaType(f"unsupported Content-Type {content_type!r}: send {PROTOBUF} or {JSON}")
    return kind


def decompress(body: bytes, content_encoding: str | None, *, max_bytes: int) -> bytes:
    """Undo ``Content-Encoding: gzip`` (or ``identity``) without ever holding more than ``max_bytes``."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"request body is {len(body)} bytes; the limit is {max_bytes}")
        return body
    if encoding != "gzip":
        raise UnsupportedMediaType(f"unsupported Content-Encoding {content_encoding!r}: use gzip or none")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise BadRequest(f"body is not valid gzip: {exc}") from None
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"decompressed body is over the limit of {max_bytes} bytes")
    if not inflater.eof:
        raise BadRequest("gzip body is truncated")
    return data


def decode_request(
    body: bytes, kind: str, limits: RequestLimits = _DEFAULT_LIMITS, protected: frozenset[str] = frozenset()
) -> DecodedBatch:
    """Decode an ``ExportTraceServiceRequest`` in the given media type into raw spans, held to ``limits``
    (attributes named in ``protected`` are kept past the attribute limit: the ones conventions read)."""
    if kind == JSON:
        request, dropped = _parse_json(body, limits, protected)
    else:
        request, dropped = _parse_protobuf(body), []
    return to_raw_spans(request, limits, protected, dropped)


def encode_response(rejected: list[str], warnings: list[str], kind: str) -> bytes:
    """The ``ExportTraceServiceResponse`` for a request whose ``rejected`` spans were not taken (one reason
    each) and some taken with ``warnings``, in the request's encoding."""
    response = ExportTraceServiceResponse()
    messages = rejected + warnings
    if messages:
        response.partial_success.rejected_spans = len(rejected)
        response.partial_success.error_message = _summarize(messages)
    if kind == JSON:
        return json_format.MessageToJson(response, indent=None).encode()
    return response.SerializeToString()


def _summarize(messages: list[str], limit: int = 20) -> str:
    shown = "; ".join(messages[:limit])
    more = len(messages) - limit
    return f"{shown}; and {more} more" if more > 0 else shown


def _parse_protobuf(body: bytes) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise BadRequest(f"body is not a valid protobuf ExportTraceServiceRequest: {exc}") from None
    return request


def _parse_json(
    body: bytes, limits: RequestLimits, protected: frozenset[str]
) -> tuple[ExportTraceServiceRequest, list[int]]:
    try:
        document = orjson.loads(body)  # unlike the standard library's, it refuses deep nesting cleanly
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadRequest("body must be a JSON object with a 'resourceSpans' list")
    spans = list(_json_spans(document))
    _check_span_count(len(spans), limits)
    # Surplus attributes go before parsing: the JSON mapping's parser is Python, slow on a million of them.
    dropped = [_trim_json_attributes(span, limits.max_attributes, protected) for span in spans]
    # OTLP/JSON writes ids as hex; the generic protobuf JSON mapping expects base64.
    for span in spans:
        _ids_to_base64(span, _ID_FIELDS)
        for link in _dicts(span.get("links")):
            _ids_to_base64(link, ("traceId", "spanId"))
    request = ExportTraceServiceRequest()
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise BadRequest(f"JSON body does not match ExportTraceServiceRequest: {exc}") from None
    return request, dropped


def _trim_json_attributes(span: dict[str, object], most: int, protected: frozenset[str]) -> int:
    pairs = span.get("attributes")
    if not isinstance(pairs, list) or len(pairs) <= most:
        return 0
    kept = _kept(pairs, most, protected, lambda pair: pair.get("key") if isinstance(pair, dict) else None)
    span["attributes"] = kept
    return len(pairs) - len(kept)


def _kept(
    pairs: Sequence[_Pair], most: int, protected: frozenset[str], key: Callable[[_Pair], object]
) -> list[_Pair]:
    """The first ``most`` pairs, and any later one a convention reads (usage, model, ids, session)."""
    # islice, not slices: slicing a million protobuf pairs copies a million wrappers, six times slower.
    kept = list(islice(pairs, most))
    kept += [pair for pair in islice(pairs, most, None) if key(pair) in protected]
    return kept


def _check_span_count(count: int, limits: RequestLimits) -> None:
    if count > limits.max_spans:
        raise PayloadTooLarge(
            f"{count} spans in one request; the limit is {limits.max_spans} "
            "(TOKENTRAIL_MAX_SPANS_PER_REQUEST): send them in smaller requests"
        )


def _json_spans(document: dict[str, object]) -> Iterable[dict[str, object]]:
    for resource_spans in _dicts(document.get("resourceSpans")):
        for scope_spans in _dicts(resource_spans.get("scopeSpans")):
            yield from _dicts(scope_spans.get("spans"))


def _dicts(value: object) -> Iterable[dict[str, object]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def _ids_to_base64(item: dict[str, object], keys: tuple[str, ...]) -> None:
    for key in keys:
        value = item.get(key)
        if isinstance(value, str):
            item[key] = _hex_to_base64(value)


def _hex_to_base64(text: str) -> str:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        # Not hex: keep a marker of the wrong length so the span is rejected alone with a reason.
        raw = b"\x00"
    return base64.b64encode(raw).decode()


def to_raw_spans(
    request: ExportTraceServiceRequest,
    limits: RequestLimits = _DEFAULT_LIMITS,
    protected: frozenset[str] = frozenset(),
    dropped_before: Sequence[int] = (),
) -> DecodedBatch:
    """The raw spans of a parsed request, held to ``limits``; ``dropped_before`` says how many attributes
    each span (in order) lost before parsing."""
    _check_span_count(
        sum(len(scope_spans.spans) for item in request.resource_spans for scope_spans in item.scope_spans),
        limits,
    )
    batch = DecodedBatch()
    append = batch.spans.append
    reader = _Reader(limits, protected)
    position = -1
    for resource_spans in request.resource_spans:
        reader.start_span(0)
        resource = reader.attributes(resource_spans.resource.attributes)
        if reader.dropped:
            batch.warnings.append(
                f"resource: {reader.dropped} attributes dropped over the limit of {limits.max_attributes} "
                "(TOKENTRAIL_MAX_ATTRIBUTES_PER_SPAN)"
            )
        for scope_spans in resource_spans.scope_spans:
            scope_name = scope_spans.scope.name
            for span in scope_spans.spans:
                position += 1
                trace_id, span_id, parent = span.trace_id, span.span_id, span.parent_span_id
                start, end = span.start_time_unix_nano, span.end_time_unix_nano
                if not _valid(trace_id, span_id, parent, start):
                    batch.rejected.append(_rejection(span))
                    continue
                span_hex, parent_hex = span_id.hex(), parent.hex()
                if parent_hex == span_hex:
                    batch.warnings.append(
                        f"span {span_hex}: parent_span_id is the span itself; kept as a root"
                    )
                    parent_hex = _NO_PARENT
                if end < start or end > MAX_TIME_NS:
                    problem = "before start_time" if end < start else "past 2262, later than the store holds"
                    batch.warnings.append(f"span {span_hex}: end_time is {problem}; duration set to 0")
                    end = start
                reader.start_span(dropped_before[position] if position < len(dropped_before) else 0)
                attributes = reader.attributes(span.attributes)
                raw = RawSpan(
                    trace_id.hex(),
                    span_hex,
                    parent_hex,
                    reader.text(span.name),
                    start,
                    end,
                    span.status.code,
                    reader.text(span.status.message),
                    attributes,
                    resource,
                    scope_name,
                    [
                        RawEvent(
                            reader.text(e.name),
                            e.time_unix_nano,
                            reader.attributes(e.attributes, nested=True),
                        )
                        for e in span.events
                    ]
                    if span.events
                    else [],
                    span.kind,
                )
                reader.mark(raw, batch.warnings)
                append(raw)
    return batch


_ZERO_TRACE_ID = bytes(16)
_ZERO_SPAN_ID = bytes(8)


def _valid(trace_id: bytes, span_id: bytes, parent: bytes, start: int) -> bool:
    # The fast path every good span takes; _rejection explains the others.
    return (
        len(trace_id) == 16
        and len(span_id) == 8
        and trace_id != _ZERO_TRACE_ID
        and span_id != _ZERO_SPAN_ID
        and (not parent or (len(parent) == 8 and parent != _ZERO_SPAN_ID))
        and 0 < start <= MAX_TIME_NS
    )


def _rejection(span: Span) -> str:
    if len(span.trace_id) != 16 or span.trace_id == _ZERO_TRACE_ID:
        problem = "trace_id must be 16 non-zero bytes (32 hex characters)"
    elif len(span.span_id) != 8 or span.span_id == _ZERO_SPAN_ID:
        problem = "span_id must be 8 non-zero bytes (16 hex characters)"
    elif span.parent_span_id and (len(span.parent_span_id) != 8 or span.parent_span_id == _ZERO_SPAN_ID):
        problem = "parent_span_id must be empty or 8 non-zero bytes (16 hex characters)"
    elif span.start_time_unix_nano > MAX_TIME_NS:
        problem = "start_time_unix_nano is past 2262, later than the store holds"
    else:
        problem = "start_time_unix_nano is missing"
    return f"span {span.span_id.hex() or '?'} {span.name!r}: {problem}"


class _Reader:
    """Reads attribute values within the limits, noting per span what it dropped or cut."""

    __slots__ = ("chars", "depth", "dropped", "most", "protected", "truncated")

    def __init__(self, limits: RequestLimits, protected: frozenset[str]) -> None:
        self.most, self.chars, self.depth = limits.max_attributes, limits.max_value_chars, limits.max_depth
        self.protected = protected
        self.dropped, self.truncated = 0, False

    def start_span(self, dropped: int) -> None:
        self.dropped, self.truncated = dropped, False

    def mark(self, raw: RawSpan, warnings: list[str]) -> None:
        """Say on the span (and in the answer, for dropped attributes) what the limits took."""
        if self.truncated:
            raw.attributes[TRUNCATED] = True
        if self.dropped:
            raw.attributes[DROPPED_ATTRIBUTES] = self.dropped
            warnings.append(
                f"span {raw.span_id}: {self.dropped} attributes dropped over the limit of {self.most} a span "
                "(TOKENTRAIL_MAX_ATTRIBUTES_PER_SPAN); the ones conventions read were kept"
            )

    def text(self, text: str) -> str:
        if len(text) <= self.chars:
            return text
        self.truncated = True
        return cut(text, self.chars)

    def attributes(
        self, pairs: Sequence[KeyValue], *, nested: bool = False, depth: int = 0
    ) -> dict[str, AttributeValue]:
        """The pairs as a dict. A top-level string is left whole (normalization caps what it stores, after
        reading the payloads in it), a nested one is cut; arrays and maps deeper than the limit become a
        marker."""
        if len(pairs) > self.most:
            kept = _kept(pairs, self.most, self.protected, _key)
            self.dropped += len(pairs) - len(kept)
            pairs = kept
        attributes: dict[str, AttributeValue] = {}
        chars = self.chars
        for pair in pairs:
            value = pair.value
            # Strings are most attributes: a non-empty string_value can only be the set member of the oneof.
            text = value.string_value
            if not text:
                attributes[pair.key] = self.value(value, depth)
            elif len(text) <= chars:
                attributes[pair.key] = text
            else:
                self.truncated = True
                attributes[pair.key] = cut(text, chars) if nested or depth else text
        return attributes

    def value(self, value: AnyValue, depth: int) -> AttributeValue:
        kind = value.WhichOneof("value")
        if kind == "string_value":
            return self.text(value.string_value) if depth else value.string_value
        if kind == "array_value" or kind == "kvlist_value":
            if depth >= self.depth:
                self.truncated = True
                return TOO_DEEP
            if kind == "kvlist_value":
                return self.attributes(value.kvlist_value.values, nested=True, depth=depth + 1)
            return [self.value(item, depth + 1) for item in value.array_value.values]
        reader = _SCALARS.get(kind)
        return None if reader is None else reader(value)


def _key(pair: KeyValue) -> str:
    return pair.key


#: What an array or map nested deeper than TOKENTRAIL_MAX_ATTRIBUTE_DEPTH is read as.
TOO_DEEP = "…[nested too deep]"

# AnyValue's scalar oneof fields -> how to read them.
_SCALARS: dict[str | None, Callable[[AnyValue], AttributeValue]] = {
    "int_value": lambda value: value.int_value,
    "double_value": lambda value: value.double_value,
    "bool_value": lambda value: value.bool_value,
    "bytes_value": lambda value: value.bytes_value,
}
