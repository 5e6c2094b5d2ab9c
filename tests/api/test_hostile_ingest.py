"""Ingest that no client can wedge: impossible numbers are taken off their span (never priced, never
refused by the store), the good spans beside them are kept, and every answer is 200, 400, 413 or 415."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from conftest import start_server
from otlp_builders import NOW_NS, json_request, new_trace_id, protobuf_request, span

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


def _llm(trace_id, input_tokens, **attributes):
    return span(
        "chat",
        trace_id,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": input_tokens,
            "gen_ai.usage.output_tokens": 5,
            **attributes,
        },
    )


def _partial(response):
    return ExportTraceServiceResponse.FromString(response.content).partial_success


def _spans_by_name(server, trace_id):
    return {item["name"]: item for item in server.get(f"/api/v1/traces/{trace_id}").json()["spans"]}


@pytest.mark.parametrize("stated", ["1e20", "123456789012345678901234567890", 1e300])
def test_a_tool_stating_an_impossible_cost_is_kept_unpriced_and_wedges_nothing(server, stated):
    trace_id = new_trace_id()
    bad = span("tool", trace_id, attributes={"tool.cost_usd": stated})
    good = span("step", trace_id, start_ns=NOW_NS + 1, attributes={"tool.cost_usd": "0.25"})

    response = server.post_otlp(protobuf_request([bad, good]), PROTOBUF)

    assert response.status_code == 200
    partial = _partial(response)
    assert partial.rejected_spans == 0
    assert "stated cost dropped" in partial.error_message
    assert "TOKENTRAIL_MAX_SPAN_COST_USD" in partial.error_message
    spans = _spans_by_name(server, trace_id)
    assert spans["tool"]["cost"]["unpriced_reason"] == "invalid_cost"
    assert spans["tool"]["cost"]["total"] == "0"
    assert spans["step"]["cost"]["total"] == "0.25"
    # What was sent is not lost: it stays on the span as a raw attribute.
    stated_text = server.get(f"/api/v1/traces/{trace_id}").json()["spans"][0]["attributes"]
    assert "tokentrail.invalid_cost" in stated_text
    # Ingest goes on: a span sent after it is queryable, nothing is left pending.
    later = new_trace_id()
    assert server.post_otlp(protobuf_request([span("later", later)]), PROTOBUF).status_code == 200
    assert server.get(f"/api/v1/traces/{later}").status_code == 200
    health = server.get("/healthz").json()
    assert (health["pending_spans"], health["quarantined_spans"]) == (0, 0)


def test_an_llm_call_stating_an_impossible_cost_is_priced_from_its_usage(server):
    trace_id = new_trace_id()

    response = server.post_otlp(
        protobuf_request([_llm(trace_id, 1000, **{"llm.cost.total": 1e20})]), PROTOBUF
    )

    assert response.status_code == 200
    chat = _spans_by_name(server, trace_id)["chat"]
    assert chat["cost"]["origin"] == "inferred"
    assert chat["cost"]["total"] == "0.00255"  # 1,000 input at $2.50/M and 5 output at $10/M


def test_the_cost_ceiling_is_a_setting(store, tmp_path):
    for live in start_server(store, tmp_path, max_span_cost_usd=Decimal("5")):
        trace_id = new_trace_id()
        body = protobuf_request(
            [
                span("cheap", trace_id, attributes={"tool.cost_usd": "4.99"}),
                span("dear", trace_id, attributes={"tool.cost_usd": "5.01"}),
            ]
        )
        assert live.post_otlp(body, PROTOBUF).status_code == 200
        spans = _spans_by_name(live, trace_id)
        assert spans["cheap"]["cost"]["total"] == "4.99"
        assert spans["dear"]["cost"]["unpriced_reason"] == "invalid_cost"


@pytest.mark.parametrize(
    "count", [1e30, 1e300, "1e30", "9223372036854775808", "18446744073709551616", 2**63 - 1, 1_000_000_001]
)
def test_a_token_count_no_model_could_bill_leaves_the_span_unpriced_and_keeps_the_rest(server, count):
    trace_id = new_trace_id()
    good = span("step", trace_id, start_ns=NOW_NS + 1, attributes={"tool.cost_usd": "0.5"})

    response = server.post_otlp(protobuf_request([_llm(trace_id, count), good]), PROTOBUF)

    assert response.status_code == 200
    assert "usage dropped" in _partial(response).error_message
    spans = _spans_by_name(server, trace_id)
    assert spans["chat"]["cost"]["unpriced_reason"] == "invalid_usage"
    assert spans["chat"]["cost"]["total"] == "0"
    assert spans["chat"]["usage"] == {}
    assert "tokentrail.invalid_usage" in spans["chat"]["attributes"]
    assert spans["step"]["cost"]["total"] == "0.5"
    (row,) = server.get("/api/v1/traces").json()["traces"]
    assert (row["cost"], row["unpriced_count"]) == ("0.5", 1)


def test_a_billion_tokens_is_still_a_real_count(server):
    trace_id = new_trace_id()

    server.post_otlp(protobuf_request([_llm(trace_id, 1_000_000_000)]), PROTOBUF)

    chat = _spans_by_name(server, trace_id)["chat"]
    assert chat["usage"]["input"] == 1_000_000_000
    assert chat["cost"]["total"] == "2500.00005"


def test_a_json_body_nested_thousands_deep_is_a_400(server):
    deep = b'{"resourceSpans": ' + b"[" * 5000 + b"]" * 5000 + b"}"

    response = server.post_otlp(deep, JSON)

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]


def test_an_attribute_nested_past_the_protobuf_limit_is_a_400(server):
    value: dict = {"stringValue": "x"}
    for _ in range(200):
        value = {"kvlistValue": {"values": [{"key": "k", "value": value}]}}
    document = json.loads(json_request([span("deep", new_trace_id())]))
    document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"] = [{"key": "a", "value": value}]

    response = server.post_otlp(json.dumps(document).encode(), JSON)

    assert response.status_code == 400


def test_a_start_time_past_2262_rejects_that_span_alone(server):
    trace_id = new_trace_id()
    late = span("late", trace_id, start_ns=2**63 + 5, duration_ms=0)
    good = span("good", trace_id)

    response = server.post_otlp(protobuf_request([late, good]), PROTOBUF)

    assert response.status_code == 200
    partial = _partial(response)
    assert partial.rejected_spans == 1
    assert "past 2262" in partial.error_message
    assert list(_spans_by_name(server, trace_id)) == ["good"]


def test_an_end_time_past_2262_is_dropped_and_the_span_kept(server):
    trace_id = new_trace_id()
    item = span("open-ended", trace_id)
    item["end_ns"] = 2**64 - 1

    response = server.post_otlp(protobuf_request([item]), PROTOBUF)

    assert "past 2262" in _partial(response).error_message
    stored = _spans_by_name(server, trace_id)["open-ended"]
    assert stored["start_ns"] == NOW_NS and stored["duration_ns"] == 0


def test_resending_one_span_many_times_before_a_flush_leaves_nothing_pending(store, tmp_path):
    for live in start_server(store, tmp_path, flush_interval_ms=60_000, max_pending_spans=20):
        body = protobuf_request([span(f"s{i}", "a" * 32, f"{i + 1:016x}") for i in range(5)])
        for _ in range(30):  # more copies than max_pending_spans: each one counted once
            assert live.post_otlp(body, PROTOBUF).status_code == 200
        live.settle()
        health = live.get("/healthz").json()
        assert health["pending_spans"] == 0
        assert health["written_spans"] == 5
        assert live.post_otlp(body, PROTOBUF).status_code == 200  # never 503 from a leak


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"limit": "x"}, {"project": "../etc"}])
def test_bad_quarantine_queries_are_a_400(server, params):
    response = server.get("/api/v1/quarantine", **params)

    assert response.status_code == 400
    assert response.json()["error"]["message"]
