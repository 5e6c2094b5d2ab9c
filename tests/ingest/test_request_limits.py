"""The shape limits decoding holds a request to, in both encodings: spans per request, attributes per span,
characters per value and nesting depth."""

from __future__ import annotations

import gzip
import json

import pytest

from otlp_builders import json_request, new_trace_id, protobuf_request, span
from tokentrail.errors import PayloadTooLarge
from tokentrail.ingest.attributes import TOO_DEEP
from tokentrail.ingest.otlp import JSON, PROTOBUF, decode_request, decompress
from tokentrail.ingest.stages import PROTECTED_ATTRIBUTES
from tokentrail.ingest.truncation import cap_fields, cut
from tokentrail.limits import DROPPED_ATTRIBUTES, TRUNCATED, RequestLimits
from tokentrail.model import Span

ENCODINGS = [(PROTOBUF, protobuf_request), (JSON, json_request)]


@pytest.mark.parametrize(("kind", "build"), ENCODINGS)
def test_a_request_over_the_span_limit_is_refused_whole_naming_the_setting(kind, build):
    trace_id = new_trace_id()
    body = build([span(f"s{i}", trace_id) for i in range(4)])

    assert len(decode_request(body, kind, RequestLimits(max_spans=4)).spans) == 4
    with pytest.raises(PayloadTooLarge, match=r"4 spans.*limit is 3.*TOKENTRAIL_MAX_SPANS_PER_REQUEST"):
        decode_request(body, kind, RequestLimits(max_spans=3))


@pytest.mark.parametrize(("kind", "build"), ENCODINGS)
def test_surplus_attributes_are_dropped_and_counted_keeping_the_ones_conventions_read(kind, build):
    noise = {f"app.noise.{i}": i for i in range(50)}
    read = {
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 3,
        "session.id": "s-1",
    }
    body = build([span("chat", new_trace_id(), attributes={**noise, **read})])

    decoded = decode_request(body, kind, RequestLimits(max_attributes=10), PROTECTED_ATTRIBUTES)

    (raw,) = decoded.spans
    assert [name for name in raw.attributes if name.startswith("app.noise.")] == [
        f"app.noise.{i}" for i in range(10)
    ]
    assert {name: raw.attributes[name] for name in read} == read
    assert raw.attributes[DROPPED_ATTRIBUTES] == 40
    assert "40 attributes dropped" in decoded.warnings[0]
    assert "TOKENTRAIL_MAX_ATTRIBUTES_PER_SPAN" in decoded.warnings[0]


def test_a_span_within_the_limits_is_decoded_as_it_was():
    attributes = {"a": "x" * 100, "n": 1, "l": [1, [2, [3]]]}
    body = protobuf_request([span("ok", new_trace_id(), attributes=attributes)])

    (raw,) = decode_request(body, PROTOBUF, RequestLimits(max_attributes=3, max_value_chars=100)).spans

    assert raw.attributes == attributes


def test_long_text_is_cut_with_a_marker_where_no_later_stage_caps_it():
    long = "x" * 500
    item = span(long, new_trace_id(), attributes={"payload": long, "list": ["short", long]}, error=long)
    request = protobuf_request([item])

    (raw,) = decode_request(request, PROTOBUF, RequestLimits(max_value_chars=100)).spans

    assert raw.attributes[TRUNCATED] is True
    # Top-level attributes are left whole: normalization reads them, then caps what it stores.
    assert raw.attributes["payload"] == long
    for text in (raw.name, raw.status_message, raw.attributes["list"][1]):
        assert len(text) <= 100
        assert text == "x" * 78 + "…[truncated 422 chars]"
    assert raw.attributes["list"][0] == "short"


def test_cut_text_fits_the_limit_with_its_marker():
    assert cut("y" * 1000, 50) == "y" * 27 + "…[truncated 973 chars]"
    assert len(cut("y" * 10**7, 50)) <= 50


def test_the_fields_normalization_copies_are_capped_on_the_span():
    span_ = Span(
        "p", "t", "s", "", "name", "svc", 1, 2, session_id="s" * 200, request_model="m" * 10, tags=["t" * 300]
    )

    assert cap_fields(span_, 100)

    assert len(span_.session_id) <= 100 and span_.session_id.endswith("chars]")
    assert span_.request_model == "m" * 10
    assert len(span_.tags[0]) <= 100
    assert span_.attributes[TRUNCATED] == "true"


def _nested(levels: int) -> dict:
    value: dict = {"stringValue": "leaf"}
    for _ in range(levels):
        value = {"kvlistValue": {"values": [{"key": "k", "value": value}]}}
    return value


def _with_attribute(value: dict) -> bytes:
    document = json.loads(json_request([span("deep", new_trace_id())]))
    document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"] = [{"key": "a", "value": value}]
    return json.dumps(document).encode()


def test_values_nested_past_the_depth_limit_end_in_a_marker():
    (raw,) = decode_request(_with_attribute(_nested(20)), JSON, RequestLimits(max_depth=4)).spans

    value = raw.attributes["a"]
    for _ in range(4):
        value = value["k"]
    assert value == TOO_DEEP
    assert raw.attributes[TRUNCATED] is True


def test_arrays_count_as_levels_too():
    value: dict = {"stringValue": "leaf"}
    for _ in range(10):
        value = {"arrayValue": {"values": [value]}}

    (raw,) = decode_request(_with_attribute(value), JSON, RequestLimits(max_depth=3)).spans

    assert raw.attributes["a"] == [[[TOO_DEEP]]]


def test_gzip_is_bounded_after_inflation():
    bomb = gzip.compress(b"\0" * 5_000_000)  # a few kilobytes that inflate to 5 MB

    assert len(bomb) < 10_000
    with pytest.raises(PayloadTooLarge, match="decompressed body is over the limit of 1000000 bytes"):
        decompress(bomb, "gzip", max_bytes=1_000_000)
