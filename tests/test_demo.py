"""The demo traffic shows what tokentrail is for: sessions, paid tools, retries, failures, cached and
reasoning tokens, all priced."""

from __future__ import annotations

from decimal import Decimal

from tokentrail.demo import send_demo


def _all_spans(server):
    traces = server.get("/api/v1/traces", limit=100).json()["traces"]
    return traces, [s for t in traces for s in server.get(f"/api/v1/traces/{t['trace_id']}").json()["spans"]]


def test_demo_traffic_covers_the_debugging_story(server):
    summary = send_demo(server.url, sessions=3, turns=3, seed=5)

    traces, spans = _all_spans(server)
    assert len(traces) == summary.traces == 9
    assert sum(t["span_count"] for t in traces) == summary.spans
    assert len(server.get("/api/v1/sessions").json()["sessions"]) == 3
    errors = {s["error"]["type"] for s in spans if s["error"]}
    assert {"RateLimitError", "TimeoutError"} <= errors
    reasoning = [s for s in spans if s["response_model"] == "o3-mini"]
    assert all(s["usage"]["cache_read"] and s["usage"]["reasoning"] for s in reasoning)
    assert any(s["usage"].get("cache_write") for s in spans if s["request_model"] == "claude-sonnet-4-5")
    assert {s["cost"]["origin"] for s in spans} >= {"inferred", "custom"}
    # Every span is priced but the calls that failed before the provider answered: billed nothing, they
    # are failed calls, not gaps in the accounting.
    assert not [s for s in spans if s["cost"]["unpriced_reason"]]
    failed = [s for s in spans if s["cost"]["price_source"] == "failed_call"]
    assert failed and all(s["error"] and s["cost"]["total"] == "0" for s in failed)
    assert all(Decimal(t["cost"]) > 0 for t in traces)


def test_demo_retries_show_what_the_replaced_attempts_cost(server):
    send_demo(server.url, sessions=3, turns=3, seed=5)

    traces = server.get("/api/v1/traces", limit=100).json()["traces"]
    trees = [server.get(f"/api/v1/traces/{t['trace_id']}").json() for t in traces]
    retried = [node for tree in trees for node in tree["spans"] if node["retry"]]
    reasons = {node["error"]["type"] for node in retried}
    # A rate-limited attempt cost nothing; a stream that timed out after part of the answer did.
    assert reasons == {"RateLimitError", "APITimeoutError"}
    assert all(Decimal(n["retry"]["waste"]) > 0 for n in retried if n["error"]["type"] == "APITimeoutError")
    assert any(Decimal(tree["retry_waste"]) > 0 for tree in trees)
    report = server.get("/api/v1/costs/retries").json()
    assert Decimal(report["total_waste"]) == sum(Decimal(tree["retry_waste"]) for tree in trees) > 0
    assert report["retried_attempts"] == len(retried)
    assert [op["name"] for op in report["by_operation"]] == ["chat claude-sonnet-4-5"]


def test_the_judges_verdicts_on_each_answer_are_its_scores(server):
    summary = send_demo(server.url, sessions=2, turns=3, seed=5)

    scores = server.get("/api/v1/scores", limit=1000).json()["scores"]
    by_name: dict[str, list[dict]] = {}
    for score in scores:
        by_name.setdefault(score["name"], []).append(score)

    assert {name: len(given) for name, given in by_name.items()} == {
        "helpfulness": summary.traces,
        "groundedness": summary.traces,
    }
    assert all(0.55 <= s["value"] <= 0.99 and s["data_type"] == "numeric" for s in by_name["helpfulness"])
    assert {s["string_value"] for s in by_name["groundedness"]} <= {"grounded", "unsupported"}
    assert all(s["source"] == "evaluator" and s["span_id"] for s in scores)
    quality = server.get("/api/v1/quality", score="helpfulness", by="name").json()
    assert [group["traces"] for group in quality["groups"]] == [summary.traces]
