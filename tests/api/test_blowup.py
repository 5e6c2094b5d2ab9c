"""``GET /api/v1/traces/{id}/blowup`` on a live server fed over OTLP: a failing trace's cost in exact
parts, and the critical path's spans judged against the baseline window of their name and service."""

from __future__ import annotations

from decimal import Decimal

from otlp_builders import NOW_NS, new_span_id, new_trace_id, protobuf_request, tool_span
from tokentrail.api.otlp import PROJECT_HEADER

PROTOBUF = "application/x-protobuf"
MS = 1_000_000
DAY = 86_400 * 10**9


def _send(server, spans, service="rag", **headers):
    response = server.post_otlp(protobuf_request(spans, service=service), PROTOBUF, **headers)
    assert response.status_code == 200, response.text


def _blowup(server, trace_id, **params):
    response = server.get(f"/api/v1/traces/{trace_id}/blowup", **params)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_failing_trace_with_retries_has_its_cost_in_exact_parts(server):
    trace_id, root = new_trace_id(), new_span_id()
    attempt = new_span_id()
    spans = [
        tool_span(
            "turn", trace_id, start_ns=NOW_NS, cost="0.0001", duration_ms=1000, error="gave up", span_id=root
        ),
        tool_span("plan", trace_id, parent=root, start_ns=NOW_NS + 1 * MS, cost="0.002"),
        # search failed once (with a lookup beneath it that worked), then worked when tried again.
        tool_span(
            "search",
            trace_id,
            parent=root,
            start_ns=NOW_NS + 20 * MS,
            cost="0.01",
            error="timeout",
            span_id=attempt,
        ),
        tool_span("lookup", trace_id, parent=attempt, start_ns=NOW_NS + 21 * MS, cost="0.003", duration_ms=2),
        tool_span("search", trace_id, parent=root, start_ns=NOW_NS + 40 * MS, cost="0.01"),
        # the answer failed, and with it the turn.
        tool_span("answer", trace_id, parent=root, start_ns=NOW_NS + 60 * MS, cost="0.05", error="refused"),
    ]
    _send(server, spans)
    failure = _blowup(server, trace_id)["failure"]
    # The retried search ended earlier than the answer failed, but the deepest earliest error is it.
    assert failure["origin"]["span_id"] == attempt
    assert failure["origin"]["error"] == {"type": "", "message": "timeout"}
    assert [node["name"] for node in failure["path"]] == ["search", "turn"]
    assert failure["propagated_to"] == root
    assert failure["cost"] == {
        "total": "0.0751",
        "lost": "0.0751",
        "parts": {
            "retried": {"cost": "0.013", "span_count": 2},
            "failed": {"cost": "0.0501", "span_count": 2},
            "thrown_away": {"cost": "0.012", "span_count": 2},
            "kept": {"cost": "0", "span_count": 0},
        },
    }
    parts = failure["cost"]["parts"]
    assert sum(Decimal(part["cost"]) for part in parts.values()) == Decimal(
        server.get(f"/api/v1/traces/{trace_id}").json()["cost"]
    )
    assert [(a["span_id"], a["reason"], a["waste"]) for a in failure["retried_attempts"]] == [
        (attempt, "error", "0.013")
    ]


def _baseline(server, name, durations_ms, *, days_before=1, service="rag", **headers):
    """Traces of one span each, ``name`` taking each of ``durations_ms``, a day before NOW_NS."""
    spans = [
        tool_span(
            name, new_trace_id(), start_ns=NOW_NS - days_before * DAY + index * MS, cost="0", duration_ms=ms
        )
        for index, ms in enumerate(durations_ms)
    ]
    _send(server, spans, service=service, **headers)


def _slow_trace(server):
    """A trace whose critical path is turn > retrieve > rerank (900 ms) > answer."""
    trace_id, root = new_trace_id(), new_span_id()
    _send(
        server,
        [
            tool_span("turn", trace_id, start_ns=NOW_NS, cost="0", duration_ms=1200, span_id=root),
            tool_span("retrieve", trace_id, parent=root, start_ns=NOW_NS, cost="0", duration_ms=100),
            tool_span("rerank", trace_id, parent=root, start_ns=NOW_NS + 100 * MS, cost="0", duration_ms=900),
            tool_span(
                "answer", trace_id, parent=root, start_ns=NOW_NS + 1000 * MS, cost="0", duration_ms=200
            ),
        ],
    )
    return trace_id


def _timings(report):
    return {timing["name"]: timing for timing in report["slow"]["critical_path"]}


def test_a_span_over_its_p95_is_flagged_with_its_multiple_of_the_p50(server):
    _baseline(server, "rerank", [100] * 30 + [300] * 10)
    _baseline(server, "answer", [150] * 20 + [250] * 20)
    _baseline(server, "retrieve", [100] * 3)  # too few to judge
    trace_id = _slow_trace(server)
    report = _blowup(server, trace_id)
    timings = _timings(report)
    rerank = timings["rerank"]
    assert rerank["verdict"] == "slow"
    assert rerank["times_p50"] == "9.0"
    assert rerank["baseline"] == {"samples": 40, "p50_ns": 100 * MS, "p95_ns": 300 * MS}
    assert rerank["summary"] == "rerank took 9.0x its p50 (p50 100 ms, p95 300 ms, n=40)"
    assert report["slow"]["slow_span_ids"] == [rerank["span_id"]]
    assert timings["answer"]["verdict"] == "usual"
    assert timings["retrieve"]["verdict"] == "too_few_samples"
    assert timings["retrieve"]["times_p50"] is None
    assert "too few baseline samples (n=3)" in timings["retrieve"]["summary"]
    assert timings["turn"]["verdict"] == "too_few_samples" and timings["turn"]["baseline"] is None
    assert report["slow"]["baseline"]["days"] == 7
    assert report["slow"]["baseline"]["end_time"] == "2026-01-01T00:00:00Z"
    assert report["failure"]["origin"] is None and report["failure"]["cost"]["lost"] == "0"


def test_the_baseline_is_the_window_before_the_trace_in_its_own_project_and_service(server):
    _baseline(server, "rerank", [100] * 40, days_before=3)
    _baseline(server, "rerank", [100] * 40, service="other-service")
    _baseline(server, "rerank", [100] * 40, days_before=-1)  # after the trace
    _baseline(server, "rerank", [100] * 40, **{PROJECT_HEADER: "elsewhere"})
    trace_id = _slow_trace(server)
    assert _timings(_blowup(server, trace_id))["rerank"]["baseline"]["samples"] == 40
    # Two days of baseline leave out the spans three days before.
    narrow = _blowup(server, trace_id, baseline_days=2)
    assert narrow["slow"]["baseline"]["start_time"] == "2025-12-30T00:00:00Z"
    assert _timings(narrow)["rerank"]["baseline"] is None


def test_a_baseline_window_out_of_range_or_an_unknown_trace_is_refused(server):
    trace_id = _slow_trace(server)
    assert server.get(f"/api/v1/traces/{trace_id}/blowup", baseline_days=0).status_code == 400
    assert server.get(f"/api/v1/traces/{trace_id}/blowup", baseline_days=91).status_code == 400
    assert server.get(f"/api/v1/traces/{new_trace_id()}/blowup").status_code == 404
