"""OTLP decoding as pure functions: encodings, limits, and per-span rejection."""

from __future__ import annotations

import gzip
import json

import pytest

from otlp_builders import json_request, new_trace_id, protobuf_request, span
from tokentrail.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from tokentrail.ingest.otlp import JSON, PROTOBUF, decode_request, decompress, encode_response, media_type


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("application/x-protobuf", PROTOBUF),
        ("application/json; charset=utf-8", JSON),
        ("Application/JSON", JSON),
    ],
)
def test_media_type_accepts_the_two_otlp_encodings(header, expected):
    assert media_type(header) == expected


@pytest.mark.parametrize("header", [None, "", "text/plain", "application/grpc"])
def test_media_type_refuses_anything_else(header):
    with pytest.raises(UnsupportedMediaType, match="application/x-protobuf"):
        media_type(header)


def test_both_encodings_decode_to_the_same_raw_spans():
    trace_id = new_trace_id()
    spans = [
        span("root", trace_id, attributes={"n": 7, "f": 1.5, "b": True, "s": "x", "l": ["a", "b"]}),
        span("child", trace_id, parent="00000000000000aa", error="boom"),
    ]

    from_proto = decode_request(protobuf_request(spans), PROTOBUF).spans
    from_json = decode_request(json_request(spans), JSON).spans

    assert from_proto == from_json
    root = from_proto[0]
    assert root.trace_id == trace_id
    assert root.attributes == {"n": 7, "f": 1.5, "b": True, "s": "x", "l": ["a", "b"]}
    assert root.resource == {"service.name": "test-app"}
    assert from_proto[1].status_code == 2 and from_proto[1].status_message == "boom"


def test_json_with_non_hex_id_rejects_only_that_span():
    trace_id = new_trace_id()
    document = json.loads(json_request([span("ok", trace_id), span("bad", trace_id)]))
    document["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["spanId"] = "not-hex-at-all!!"

    batch = decode_request(json.dumps(document).encode(), JSON)

    assert [s.name for s in batch.spans] == ["ok"]
    assert len(batch.rejected) == 1 and "span_id" in batch.rejected[0]


def test_unknown_json_fields_are_ignored_as_the_otlp_spec_requires():
    document = json.loads(json_request([span("ok", new_trace_id())]))
    document["resourceSpans"][0]["futureField"] = {"x": 1}

    assert len(decode_request(json.dumps(document).encode(), JSON).spans) == 1


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b'{"resourceSpans": "nope"}'])
def test_json_of_the_wrong_shape_is_a_bad_request(body):
    with pytest.raises(BadRequest):
        decode_request(body, JSON)


def test_zero_start_time_and_zero_ids_are_rejected_per_span():
    trace_id = new_trace_id()
    no_start = span("no-start", trace_id, start_ns=0)
    zero_trace = span("zero", "0" * 32)

    batch = decode_request(protobuf_request([no_start, zero_trace, span("fine", trace_id)]), PROTOBUF)

    assert [s.name for s in batch.spans] == ["fine"]
    assert any("start_time" in reason for reason in batch.rejected)
    assert any("trace_id" in reason for reason in batch.rejected)


def test_partial_success_lists_rejections_and_warnings():
    trace_id = new_trace_id()
    skewed = span("skewed", trace_id)
    skewed["end_ns"] = skewed["start_ns"] - 1
    batch = decode_request(json_request([skewed, span("bad", "ab")]), JSON)

    answer = json.loads(encode_response(batch.rejected, batch.warnings, JSON))

    assert answer["partialSuccess"]["rejectedSpans"] == "1"
    assert "end_time is before start_time" in answer["partialSuccess"]["errorMessage"]


def test_decompress_respects_the_limit_before_and_after_inflating():
    assert decompress(gzip.compress(b"abc"), "gzip", max_bytes=3) == b"abc"
    with pytest.raises(PayloadTooLarge):
        decompress(b"abcd", None, max_bytes=3)
    with pytest.raises(PayloadTooLarge):
        decompress(gzip.compress(b"abcd"), "gzip", max_bytes=3)
    with pytest.raises(BadRequest, match="gzip"):
        decompress(b"not gzip", "gzip", max_bytes=100)
    with pytest.raises(BadRequest, match="truncated"):
        decompress(gzip.compress(b"a" * 1000)[:-10], "gzip", max_bytes=10_000)
    with pytest.raises(UnsupportedMediaType):
        decompress(b"x", "br", max_bytes=100)


def test_every_member_of_a_gzip_body_is_inflated_within_one_limit():
    """Found by fuzzing (tests/api/test_otlp_fuzz.py): only the first member was read, the rest of the
    body dropped without a word."""
    two = gzip.compress(b"abc") + gzip.compress(b"def")
    assert decompress(two, "gzip", max_bytes=6) == b"abcdef"
    with pytest.raises(PayloadTooLarge):
        decompress(two, "gzip", max_bytes=5)
    with pytest.raises(BadRequest):
        decompress(gzip.compress(b"abc") + b"trailing garbage", "gzip", max_bytes=100)
