"""Any body a client can send, shaped like OTLP or not, gets 200, 400, 413 or 415, wedges nothing, and
leaves nothing pending: a span sent after it is always stored and queryable. Gzip changes no answer
but the size limit's (tests/otlp_fuzzing.py has the hostile bodies; bench/fuzz.py sends more)."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from conftest import start_server
from otlp_builders import new_trace_id, protobuf_request, span
from otlp_fuzzing import (
    check_clean_answer,
    check_gzip_transparent,
    damaged_protobuf,
    gzip_bodies,
    hostile_json,
    wire_messages,
)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"

# Numbers at and past every bound the store or validation has (Int64/UInt64 columns, Decimal(38, 18),
# the token and cost ceilings), and text that reads as such numbers or as nothing.
_INT64 = (-(2**63), 2**63 - 1)
_UINT64 = (0, 2**64 - 1)
_BOUNDARY_INTS = [0, 1, -1, 10**9, 10**9 + 1, 2**53 + 1, 2**62, 2**63 - 1, -(2**63)]
_BOUNDARY_TIMES = [0, 1, 2**63 - 1, 2**63, 2**64 - 1, 1_767_225_600_000_000_000]
_BOUNDARY_TEXT = [
    "1e20",
    "1e30",
    "1e400",
    "-1e400",
    "NaN",
    "Infinity",
    "-0",
    "0.1",
    "1e-30",
    "",
    "abc",
    "١٢",
    "9223372036854775808",
    "18446744073709551616",
    "99999999999999999999.9999999999999999999",
]
_ATTRIBUTE_KEYS = [
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "llm.token_count.prompt",
    "llm.token_count.completion",
    "llm.cost.total",
    "tool.cost_usd",
    "tokentrail.cost.usd",
    "openinference.span.kind",
    "session.id",
    "user.id",
    "input.value",
    "output.value",
    "gen_ai.output.messages",
    "langfuse.observation.usage_details",
]
_MODELS = ["gpt-4o", "claude-sonnet-4-5", "text-embedding-3-small", "acme-unknown"]


def _int(bounds: tuple[int, int], boundary: list[int]) -> st.SearchStrategy[int]:
    low, high = bounds
    return st.one_of(st.sampled_from([b for b in boundary if low <= b <= high]), st.integers(low, high))


text = st.one_of(st.sampled_from(_BOUNDARY_TEXT + _MODELS), st.text(max_size=40))
doubles = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["NaN", "Infinity", "-Infinity", 1e300, 1e30, 1e20, 5e-324]),
)


def _any_values(depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    leaves = st.one_of(
        text.map(lambda value: {"stringValue": value}),
        _int(_INT64, _BOUNDARY_INTS).map(lambda value: {"intValue": str(value)}),
        doubles.map(lambda value: {"doubleValue": value}),
        st.booleans().map(lambda value: {"boolValue": value}),
        st.just({}),
    )
    if depth == 0:
        return leaves
    inner = _any_values(depth - 1)
    return st.one_of(
        leaves,
        st.lists(inner, max_size=3).map(lambda items: {"arrayValue": {"values": items}}),
        st.lists(st.tuples(st.sampled_from(_ATTRIBUTE_KEYS), inner), max_size=3).map(
            lambda pairs: {"kvlistValue": {"values": [{"key": k, "value": v} for k, v in pairs]}}
        ),
    )


def _hex(size: int) -> st.SearchStrategy[str]:
    # Mostly a small pool, so spans repeat ids (re-sends, clashes, self-parents); sometimes not ids.
    return st.one_of(
        st.sampled_from([f"{i:0{size}x}" for i in range(1, 4)]),
        st.binary(min_size=size // 2, max_size=size // 2).map(bytes.hex),
        st.sampled_from(["", "0" * size, "zz", "f" * (size + 2)]),
    )


times = _int(_UINT64, _BOUNDARY_TIMES).map(str)

spans = st.fixed_dictionaries(
    {
        "traceId": _hex(32),
        "spanId": _hex(16),
        "name": text,
        "startTimeUnixNano": times,
        "endTimeUnixNano": times,
        "attributes": st.lists(
            st.fixed_dictionaries({"key": st.sampled_from(_ATTRIBUTE_KEYS), "value": _any_values()}),
            max_size=8,
        ),
    },
    optional={
        "parentSpanId": _hex(16),
        "kind": st.integers(min_value=0, max_value=5),
        "status": st.fixed_dictionaries({"code": st.integers(min_value=0, max_value=2), "message": text}),
        "events": st.lists(
            st.fixed_dictionaries({"name": text, "timeUnixNano": times, "attributes": st.just([])}),
            max_size=2,
        ),
    },
)

documents = st.fixed_dictionaries(
    {
        "resourceSpans": st.lists(
            st.fixed_dictionaries(
                {
                    "resource": st.fixed_dictionaries(
                        {"attributes": st.just([{"key": "service.name", "value": {"stringValue": "fuzz"}}])}
                    ),
                    "scopeSpans": st.lists(
                        st.fixed_dictionaries({"spans": st.lists(spans, max_size=6)}), min_size=1, max_size=2
                    ),
                }
            ),
            min_size=1,
            max_size=2,
        )
    }
)

#: Values of the wrong type where the schema wants another: a request that can only be a 400.
ill_typed = st.sampled_from(
    [
        {"stringValue": 7},
        {"intValue": "1e30"},
        {"intValue": str(2**64)},
        {"doubleValue": "many"},
        {"kvlistValue": {"values": "x"}},
    ]
)


def _protobuf(document: dict[str, Any]) -> bytes | None:
    """The same request in binary protobuf, when the JSON mapping can express it (ids as base64)."""
    try:
        request = json_format.ParseDict(_base64_ids(document), ExportTraceServiceRequest())
    except (json_format.ParseError, ValueError, TypeError):
        return None
    return request.SerializeToString()


def _base64_ids(document: dict[str, Any]) -> dict[str, Any]:
    copied = json.loads(json.dumps(document))
    for resource in copied["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for item in scope["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    value = item.get(key)
                    if isinstance(value, str):
                        try:
                            item[key] = base64.b64encode(bytes.fromhex(value)).decode()
                        except ValueError:
                            item[key] = value
    return copied


def assert_nothing_wedged(server) -> None:
    """A span sent now is stored and queryable, and nothing accepted before is pending or refused."""
    sentinel = new_trace_id()
    assert server.post_otlp(protobuf_request([span("sentinel", sentinel)]), PROTOBUF).status_code == 200
    assert server.get(f"/api/v1/traces/{sentinel}").status_code == 200
    health = server.get("/healthz").json()
    assert health["pending_spans"] == 0
    assert health["quarantined_spans"] == 0


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents, as_protobuf=st.booleans(), gzipped=st.booleans(), spoil=st.none() | ill_typed)
def test_any_otlp_shaped_body_is_answered_cleanly_and_wedges_nothing(
    server, document, as_protobuf, gzipped, spoil
):
    if spoil is not None:
        document["resourceSpans"][0]["resource"]["attributes"].append({"key": "spoiled", "value": spoil})
    body: bytes | None = _protobuf(document) if as_protobuf else None
    kind = PROTOBUF if body is not None else JSON
    if body is None:
        body = json.dumps(document).encode()
    headers = {"content-encoding": "gzip"} if gzipped else {}

    response = server.post_otlp(gzip.compress(body) if gzipped else body, kind, **headers)

    assert response.status_code in (200, 400, 413, 415), response.text
    assert_nothing_wedged(server)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300), kind=st.sampled_from([PROTOBUF, JSON]))
def test_any_bytes_at_all_are_answered_cleanly(server, body, kind):
    response = server.post_otlp(body, kind)

    assert response.status_code in (200, 400, 413, 415), response.text


HOSTILE = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.slow
def test_json_with_any_value_at_any_node_is_answered_cleanly(server):
    HOSTILE(given(body=hostile_json())(lambda body: check_clean_answer(server.post_otlp, body, JSON)))()
    assert_nothing_wedged(server)


@pytest.mark.slow
def test_protobuf_of_any_fields_or_damaged_anywhere_is_answered_cleanly(server):
    bodies = wire_messages | damaged_protobuf()
    HOSTILE(given(body=bodies)(lambda body: check_clean_answer(server.post_otlp, body, PROTOBUF)))()
    assert_nothing_wedged(server)


LIMIT = 4096


@pytest.fixture
def small_server(store, tmp_path):
    """A server whose bodies may be at most :data:`LIMIT` bytes, so bodies straddle it cheaply."""
    yield from start_server(store, tmp_path, max_body_bytes=LIMIT)


@pytest.mark.slow
def test_gzip_changes_no_answer_and_inflates_no_further_than_the_limit(small_server):
    @HOSTILE
    @given(body=gzip_bodies(LIMIT), cuts=st.lists(st.integers(0, 5000), max_size=3))
    def fuzz(body, cuts):
        check_gzip_transparent(small_server.post_otlp, LIMIT, body, cuts)

    fuzz()
    assert_nothing_wedged(small_server)
