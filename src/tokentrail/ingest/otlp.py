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

import orjson
import zstandard
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tokentrail.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from tokentrail.ingest.attributes import AttributeReader, kept_pairs
from tokentrail.limits import MAX_TIME_NS, RequestLimits
from tokentrail.model import RawEvent, RawSpan

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
    """Undo ``Content-Encoding: gzip`` or ``zstd`` (or ``identity``) without ever holding more than
    ``max_bytes``."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"request body is {len(body)} bytes; the limit is {max_bytes}")
        return body
    inflate = _INFLATERS.get(encoding)
    if inflate is None:
        raise UnsupportedMediaType(
            f"unsupported Content-Encoding {content_encoding!r}: use {', '.join(_INFLATERS)} or none"
        )
    return inflate(body, max_bytes)


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    # A gzip body may hold several members one after another (RFC 1952; ``cat a.gz b.gz``): all of
    # them are the body, within one limit.
    data = bytearray()
    rest = body
    while True:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            data += inflater.decompress(rest, max_bytes + 1 - len(data))
        except zlib.error as exc:
            raise BadRequest(f"body is not valid gzip: {exc}") from None
        _check_inflated(len(data), max_bytes)
        if not inflater.eof:
            raise BadRequest("gzip body is truncated")
        rest = inflater.unused_data
        if not rest:
            return bytes(data)


def _unzstd(body: bytes, max_bytes: int) -> bytes:
    # Read one byte past the limit, never more: a small body may inflate to gigabytes. Frames one after
    # another are one body, as with gzip members (the LangSmith SDK writes one).
    reader = zstandard.ZstdDecompressor().stream_reader(body, read_across_frames=True)
    try:
        data = reader.read(max_bytes + 1)
        _check_inflated(len(data), max_bytes)
        if not data and body:
            raise BadRequest("zstd body is truncated")
    except zstandard.ZstdError as exc:
        raise BadRequest(f"body is not valid zstd: {exc}") from None
    return data


def _check_inflated(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise PayloadTooLarge(f"decompressed body is over the limit of {max_bytes} bytes")


#: The Content-Encodings a body may arrive in, and how each is inflated within a limit.
_INFLATERS: dict[str, Callable[[bytes, int], bytes]] = {"gzip": _gunzip, "zstd": _unzstd}


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
    kept = kept_pairs(
        pairs, most, protected, lambda pair: pair.get("key") if isinstance(pair, dict) else None
    )
    span["attributes"] = kept
    return len(pairs) - len(kept)


def _json_key(pair: object) -> object:
    return pair.get("key") if isinstance(pair, dict) else None


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
    reader = AttributeReader(limits, protected)
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
