"""OTLP trace requests: bytes in, :class:`~tokentrail.model.RawSpan` objects out (pure functions).

Handles both encodings of ``ExportTraceServiceRequest`` (binary protobuf and the OTLP JSON mapping, with
its hex ids), gzip bodies and a size limit. A malformed request raises :class:`BadRequest`; a malformed
*span* inside a good request is rejected alone, with a reason, so nothing else in the batch is lost.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from tokentrail.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from tokentrail.model import AttributeValue, RawEvent, RawSpan

__all__ = [
    "JSON",
    "PROTOBUF",
    "DecodedBatch",
    "decode_request",
    "decompress",
    "encode_response",
    "media_type",
]

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_ACCEPTED = (PROTOBUF, JSON)
_ID_FIELDS = ("traceId", "spanId", "parentSpanId")
_NO_PARENT = ""


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


def decode_request(body: bytes, kind: str) -> DecodedBatch:
    """Decode an ``ExportTraceServiceRequest`` in the given media type into raw spans."""
    request = _parse_json(body) if kind == JSON else _parse_protobuf(body)
    return _to_raw_spans(request)


def encode_response(batch: DecodedBatch, kind: str) -> bytes:
    """The ``ExportTraceServiceResponse`` for a batch, in the request's encoding."""
    response = ExportTraceServiceResponse()
    messages = batch.rejected + batch.warnings
    if messages:
        response.partial_success.rejected_spans = len(batch.rejected)
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


def _parse_json(body: bytes) -> ExportTraceServiceRequest:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadRequest("body must be a JSON object with a 'resourceSpans' list")
    # OTLP/JSON writes ids as hex; the generic protobuf JSON mapping expects base64.
    for span in _json_spans(document):
        for key in _ID_FIELDS:
            if isinstance(span.get(key), str):
                span[key] = _hex_to_base64(span[key])
        for link in span.get("links") or ():
            if isinstance(link, dict):
                for key in ("traceId", "spanId"):
                    if isinstance(link.get(key), str):
                        link[key] = _hex_to_base64(link[key])
    request = ExportTraceServiceRequest()
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise BadRequest(f"JSON body does not match ExportTraceServiceRequest: {exc}") from None
    return request


def _json_spans(document: dict[str, object]) -> Iterable[dict[str, object]]:
    for resource_spans in _dicts(document.get("resourceSpans")):
        for scope_spans in _dicts(resource_spans.get("scopeSpans")):
            yield from _dicts(scope_spans.get("spans"))


def _dicts(value: object) -> Iterable[dict[str, object]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def _hex_to_base64(text: str) -> str:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        # Not hex: keep a marker of the wrong length so the span is rejected alone with a reason.
        raw = b"\x00"
    return base64.b64encode(raw).decode()


def _to_raw_spans(request: ExportTraceServiceRequest) -> DecodedBatch:
    batch = DecodedBatch()
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope_name = scope_spans.scope.name
            for span in scope_spans.spans:
                problem = _invalid_ids(span.trace_id, span.span_id, span.parent_span_id)
                if problem is None and span.start_time_unix_nano == 0:
                    problem = "start_time_unix_nano is missing"
                if problem is not None:
                    batch.rejected.append(f"span {span.span_id.hex() or '?'} {span.name!r}: {problem}")
                    continue
                span_id = span.span_id.hex()
                parent = span.parent_span_id.hex()
                start, end = span.start_time_unix_nano, span.end_time_unix_nano
                if parent == span_id:
                    batch.warnings.append(
                        f"span {span_id}: parent_span_id is the span itself; kept as a root"
                    )
                    parent = _NO_PARENT
                if end < start:
                    batch.warnings.append(f"span {span_id}: end_time is before start_time; duration set to 0")
                    end = start
                batch.spans.append(
                    RawSpan(
                        trace_id=span.trace_id.hex(),
                        span_id=span_id,
                        parent_span_id=parent,
                        name=span.name,
                        start_ns=start,
                        end_ns=end,
                        status_code=span.status.code,
                        status_message=span.status.message,
                        attributes=_attributes(span.attributes),
                        resource=resource,
                        scope_name=scope_name,
                        events=[
                            RawEvent(event.name, event.time_unix_nano, _attributes(event.attributes))
                            for event in span.events
                        ],
                        otel_kind=span.kind,
                    )
                )
    return batch


def _invalid_ids(trace_id: bytes, span_id: bytes, parent_span_id: bytes) -> str | None:
    if len(trace_id) != 16 or not any(trace_id):
        return "trace_id must be 16 non-zero bytes (32 hex characters)"
    if len(span_id) != 8 or not any(span_id):
        return "span_id must be 8 non-zero bytes (16 hex characters)"
    if parent_span_id and (len(parent_span_id) != 8 or not any(parent_span_id)):
        return "parent_span_id must be empty or 8 non-zero bytes (16 hex characters)"
    return None


def _attributes(pairs: Iterable[KeyValue]) -> dict[str, AttributeValue]:
    return {pair.key: _value(pair.value) for pair in pairs}


def _value(value: AnyValue) -> AttributeValue:
    which = value.WhichOneof("value")
    if which == "string_value":
        return value.string_value
    if which == "int_value":
        return value.int_value
    if which == "double_value":
        return value.double_value
    if which == "bool_value":
        return value.bool_value
    if which == "array_value":
        return [_value(item) for item in value.array_value.values]
    if which == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    if which == "bytes_value":
        return binascii.hexlify(value.bytes_value).decode()
    return None
