"""Request-shape limits against a live server: hostile shapes (10,000 levels of nesting, a million
attributes, a 30 MB string) get a clear answer, never a 500 or a hang, and the server goes on ingesting."""

from __future__ import annotations

import json

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from conftest import start_server
from otlp_builders import json_request, new_trace_id, protobuf_request, span

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MODEL = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o"}
USAGE = {"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 5}


def _stored(server, trace_id):
    return {item["name"]: item for item in server.get(f"/api/v1/traces/{trace_id}").json()["spans"]}


def _still_ingesting(server):
    trace_id = new_trace_id()
    assert server.post_otlp(protobuf_request([span("after", trace_id)]), PROTOBUF).status_code == 200
    assert list(_stored(server, trace_id)) == ["after"]


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:  # a length-delimited protobuf field
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _deep_protobuf(levels: int, trace_id: str) -> bytes:
    """A request whose span has one attribute, a map in a map ... ``levels`` deep, written byte by byte
    (the protobuf library will not build one past its own limit)."""
    value = _field(1, b"leaf")  # AnyValue.string_value
    for _ in range(levels):
        value = _field(6, _field(1, _field(1, b"k") + _field(2, value)))  # kvlist_value.values[0]
    request = ExportTraceServiceRequest.FromString(protobuf_request([span("deep", trace_id)]))
    resource_spans = request.resource_spans[0]
    scope_spans = resource_spans.scope_spans[0]
    # Span.attributes is field 9: a repeated field's entries may follow the rest of the message.
    span_bytes = scope_spans.spans[0].SerializeToString() + _field(9, _field(1, b"a") + _field(2, value))
    scope_bytes = _field(1, scope_spans.scope.SerializeToString()) + _field(2, span_bytes)
    return _field(1, _field(1, resource_spans.resource.SerializeToString()) + _field(2, scope_bytes))


def test_ten_thousand_levels_of_nesting_are_a_400_in_either_encoding(server):
    deep_json = b'{"resourceSpans": [' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"]}"

    for body, kind in ((_deep_protobuf(10_000, new_trace_id()), PROTOBUF), (deep_json, JSON)):
        response = server.post_otlp(body, kind)
        assert response.status_code == 400, response.text
    _still_ingesting(server)


def test_nesting_past_the_depth_limit_keeps_the_span_with_a_marker(server):
    trace_id = new_trace_id()
    response = server.post_otlp(_deep_protobuf(24, trace_id), PROTOBUF)

    assert response.status_code == 200
    stored = _stored(server, trace_id)["deep"]
    assert stored["attributes"]["a"].count('{"k":') == 16
    assert "…[nested too deep]" in stored["attributes"]["a"]
    assert stored["attributes"]["tokentrail.truncated"] == "true"


def test_a_million_attributes_keep_the_span_and_what_conventions_read(server):
    trace_id = new_trace_id()
    request = ExportTraceServiceRequest.FromString(
        protobuf_request([span("chat", trace_id, attributes=MODEL)])
    )
    attributes = request.resource_spans[0].scope_spans[0].spans[0].attributes
    attributes.extend(KeyValue(key=f"junk.{i}", value=AnyValue(int_value=i)) for i in range(1_000_000))
    attributes.extend(KeyValue(key=key, value=AnyValue(int_value=count)) for key, count in USAGE.items())

    response = server.post_otlp(request.SerializeToString(), PROTOBUF)

    assert response.status_code == 200
    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert (partial.rejected_spans, "TOKENTRAIL_MAX_ATTRIBUTES_PER_SPAN" in partial.error_message) == (
        0,
        True,
    )
    chat = _stored(server, trace_id)["chat"]
    assert chat["attributes"]["tokentrail.dropped_attributes"] == str(1_000_003 - 1_000)
    assert chat["usage"] == {"input": 1000, "output": 5}  # read from attributes past the limit
    assert chat["cost"]["total"] == "0.00255"
    assert sum(name.startswith("junk.") for name in chat["attributes"]) == 1_000 - len(MODEL)
    _still_ingesting(server)


def test_a_million_attributes_in_json_too(server):
    trace_id = new_trace_id()
    document = json.loads(json_request([span("chat", trace_id, attributes={**MODEL, **USAGE})]))
    pairs = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"]
    pairs[:0] = [{"key": f"j{i}"} for i in range(1_000_000)]  # short, to stay under the 32 MB body limit

    response = server.post_otlp(json.dumps(document, separators=(",", ":")).encode(), JSON)

    assert response.status_code == 200
    chat = _stored(server, trace_id)["chat"]
    assert chat["usage"] == {"input": 1000, "output": 5}
    assert chat["attributes"]["tokentrail.dropped_attributes"] == str(1_000_000 + 5 - 1_000 - 5)


def test_a_30_mb_string_is_stored_cut_with_a_marker_and_the_span_kept(server):
    trace_id = new_trace_id()
    huge = "x" * 30_000_000
    payload = "y" * 1_000_000
    item = span("chat", trace_id, attributes={**MODEL, **USAGE, "app.blob": huge, "input.value": payload})

    response = server.post_otlp(protobuf_request([item]), PROTOBUF)

    assert response.status_code == 200
    chat = _stored(server, trace_id)["chat"]
    blob = chat["attributes"]["app.blob"]
    assert blob == "x" * 65536 + "…[truncated 29934464 chars]"
    assert chat["input"] == "y" * 65536 + "…[truncated 934464 chars]"
    assert chat["attributes"]["tokentrail.truncated"] == "true"
    assert chat["cost"]["total"] == "0.00255"
    _still_ingesting(server)


def test_a_long_span_name_and_event_value_are_cut_too(store, tmp_path):
    for live in start_server(store, tmp_path, max_payload_chars=100):
        trace_id = new_trace_id()
        request = ExportTraceServiceRequest.FromString(protobuf_request([span("n" * 300, trace_id)]))
        event = request.resource_spans[0].scope_spans[0].spans[0].events.add()
        event.name, event.time_unix_nano = "log", 1
        event.attributes.append(KeyValue(key="message", value=AnyValue(string_value="m" * 500)))

        assert live.post_otlp(request.SerializeToString(), PROTOBUF).status_code == 200

        (stored,) = live.get(f"/api/v1/traces/{trace_id}").json()["spans"]
        assert stored["name"] == "n" * 78 + "…[truncated 222 chars]"
        assert "m" * 78 + "…[truncated 422 chars]" in json.dumps(stored["events"], ensure_ascii=False)
        assert "m" * 79 not in json.dumps(stored["events"])


def test_too_many_spans_in_one_request_is_a_413_naming_the_setting_and_stores_nothing(store, tmp_path):
    for live in start_server(store, tmp_path, max_spans_per_request=10):
        trace_id = new_trace_id()

        response = live.post_otlp(protobuf_request([span(f"s{i}", trace_id) for i in range(11)]), PROTOBUF)

        assert response.status_code == 413
        assert "TOKENTRAIL_MAX_SPANS_PER_REQUEST" in response.text
        assert live.get(f"/api/v1/traces/{trace_id}").status_code == 404
        assert live.post_otlp(protobuf_request([span("s", trace_id)] * 10), PROTOBUF).status_code == 200
