"""A provider error without usage (a 429, a 400) was billed nothing: it is shown as a failed call, never
counted as unpriced; a failed call that returned usage and a successful one without are priced as ever."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from otlp_builders import new_span_id, new_trace_id, protobuf_request, span

START_NS = time.time_ns() - 60 * 10**9  # inside the UI's default ranges
SINCE = datetime.fromtimestamp(START_NS // 10**9 - 3600, UTC).isoformat().replace("+00:00", "Z")
USAGE = {"gen_ai.usage.input_tokens": 1_000, "gen_ai.usage.output_tokens": 50}


def _call(trace_id: str, span_id: str, usage: dict[str, int], error: str | None = None) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        **usage,
    }
    if error:
        attributes["error.type"] = "RateLimitError"
    return span("chat", trace_id, span_id, start_ns=START_NS, attributes=attributes, error=error)


def _send_calls(server) -> tuple[str, dict[str, str]]:
    """One trace holding a priced call, a 429 without usage, a success without usage and a failed stream
    that returned part of its usage; returns the trace id and the span ids by role."""
    trace_id = new_trace_id()
    ids = {role: new_span_id() for role in ("priced", "rate_limited", "no_usage", "partial")}
    calls = [
        _call(trace_id, ids["priced"], USAGE),
        _call(trace_id, ids["rate_limited"], {}, error="Rate limit reached for gpt-4o-mini"),
        _call(trace_id, ids["no_usage"], {}),
        _call(trace_id, ids["partial"], USAGE, error="stream timed out"),
    ]
    response = server.post_otlp(protobuf_request(calls), "application/x-protobuf")
    assert response.status_code == 200, response.text
    server.settle()
    return trace_id, ids


def _costs(server, trace_id: str) -> dict[str, dict[str, Any]]:
    spans = server.get(f"/api/v1/traces/{trace_id}").json()["spans"]
    return {item["span_id"]: item["cost"] for item in spans}


def _unpriced_reasons(server) -> dict[str, int]:
    report = server.get("/api/v1/costs/unpriced", start=SINCE).json()
    return {row["reason"]: row["span_count"] for row in report["by_reason"]}


def _trace_unpriced_count(server, trace_id: str) -> int:
    (row,) = [row for row in server.get("/api/v1/traces").json()["traces"] if row["trace_id"] == trace_id]
    return int(row["unpriced_count"])


def test_only_a_successful_call_without_usage_is_unpriced(server):
    trace_id, ids = _send_calls(server)

    costs = _costs(server, trace_id)
    by_model = server.get("/api/v1/costs", group_by="model", start=SINCE).json()["groups"]

    assert costs[ids["rate_limited"]] == {
        "total": "0",
        "by_type": {},
        "origin": None,
        "unpriced_reason": None,
        "price_source": "failed_call",
    }
    assert costs[ids["no_usage"]]["unpriced_reason"] == "no_usage"
    assert costs[ids["partial"]]["origin"] == "inferred" and costs[ids["partial"]]["total"] != "0"
    assert costs[ids["partial"]] == costs[ids["priced"]]
    assert _unpriced_reasons(server) == {"no_usage": 1}
    assert _trace_unpriced_count(server, trace_id) == 1
    assert [group["unpriced_span_count"] for group in by_model] == [1]


def test_the_ui_shows_a_failed_call_as_billed_nothing_and_counts_only_the_unpriced_one(server):
    trace_id, ids = _send_calls(server)

    failed = server.get(f"/traces/{trace_id}", span=ids["rate_limited"]).text
    unpriced = server.get(f"/traces/{trace_id}", span=ids["no_usage"]).text
    listed = server.get("/traces").text
    costs = server.get("/costs").text

    detail = failed[failed.index('<aside class="detail"') :]
    assert "Failed, no billed usage" in detail and "Not priced" not in detail and "Priced by" not in detail
    assert "Not priced: <strong>no_usage</strong>" in unpriced
    assert failed.count(">unpriced</span>") == 1 and failed.count(">no billed usage</span>") == 1
    assert 'title="1 spans could not be priced"' in listed
    assert "1 spans could not be priced" in costs


def test_repricing_clears_a_failed_call_stored_as_unpriced(server):
    trace_id, ids = _send_calls(server)
    as_ingested = _costs(server, trace_id)[ids["rate_limited"]]
    # The row as a version that priced every call without usage as no_usage stored it.
    server.store.client().command(
        "INSERT INTO spans SELECT * REPLACE "
        "('no_usage' AS unpriced_reason, '' AS price_source, ingested_ns + 1 AS ingested_ns) "
        "FROM spans FINAL WHERE trace_id = {trace_id:String} AND span_id = {span_id:String}",
        parameters={"trace_id": trace_id, "span_id": ids["rate_limited"]},
    )
    assert _unpriced_reasons(server) == {"no_usage": 2}
    assert _costs(server, trace_id)[ids["rate_limited"]]["price_source"] is None

    assert server.reprice(since=SINCE)["changed_spans"] == 1

    assert _unpriced_reasons(server) == {"no_usage": 1}
    assert _trace_unpriced_count(server, trace_id) == 1
    assert _costs(server, trace_id)[ids["rate_limited"]] == as_ingested
    assert server.reprice(since=SINCE)["changed_spans"] == 0  # re-pricing again keeps it
