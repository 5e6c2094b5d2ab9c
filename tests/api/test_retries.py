"""Retry waste through OTLP into a live server: marked in trace trees, reported per trace and overall."""

from __future__ import annotations

from decimal import Decimal

import pytest

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span
from prices import MTOK, per_mtok
from tokentrail.analysis.retries import RETRY_ATTRIBUTES
from tokentrail.store.costs import retry_candidates
from tokentrail.store.sql import CostFilter

PROTOBUF = "application/x-protobuf"
MS = 1_000_000
DAY = 86_400 * 10**9


def _chat(trace_id, parent, start_ns, tokens_in, tokens_out, *, error=None, **attributes):
    return span(
        "chat",
        trace_id,
        parent=parent,
        start_ns=start_ns,
        duration_ms=50,
        error=error,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": tokens_in,
            "gen_ai.usage.output_tokens": tokens_out,
            **attributes,
        },
    )


def _tool(trace_id, parent, start_ns, *, error=None):
    attributes = {"openinference.span.kind": "TOOL", "tool.name": "web_search", "tool.cost_usd": "0.005"}
    return span("web_search", trace_id, parent=parent, start_ns=start_ns, attributes=attributes, error=error)


def _step(trace_id, parent, start_ns, *, error=None):
    attributes = {"openinference.span.kind": "CHAIN"}
    return span(
        "step",
        trace_id,
        parent=parent,
        start_ns=start_ns,
        duration_ms=100,
        attributes=attributes,
        error=error,
    )


def _cost(tokens_in, tokens_out, when_ns=NOW_NS):
    price = per_mtok("gpt-4o-mini", "openai", when_ns)
    return (tokens_in * price["input_mtok"] + tokens_out * price["output_mtok"]) / MTOK


@pytest.fixture
def retried(server):
    """Three traces: retries after errors; a retried step around a resent call; separate calls only."""
    first, second, clean = new_trace_id(), new_trace_id(), new_trace_id()
    root1 = span("turn", first, duration_ms=1000)
    timed_out = _chat(first, root1["span_id"], NOW_NS + 10 * MS, 1000, 40, error="Request timed out.")
    answered = _chat(first, root1["span_id"], NOW_NS + 100 * MS, 1000, 200)
    failed_tool = _tool(first, root1["span_id"], NOW_NS + 200 * MS, error="503 from the search API")
    tool = _tool(first, root1["span_id"], NOW_NS + 300 * MS)
    followup = _chat(first, root1["span_id"], NOW_NS + 400 * MS, 500, 50)  # a new call, not a retry

    start2 = NOW_NS + DAY
    root2 = span("turn", second, start_ns=start2, duration_ms=1000)
    step1 = _step(second, root2["span_id"], start2 + 10 * MS, error="the plan did not parse")
    rejected = _chat(second, step1["span_id"], start2 + 11 * MS, 300, 30)
    resent = _chat(
        second, step1["span_id"], start2 + 61 * MS + 1, 300, 30, **{"http.request.resend_count": 1}
    )
    step2 = _step(second, root2["span_id"], start2 + 200 * MS)
    planned = _chat(second, step2["span_id"], start2 + 201 * MS, 300, 60)

    root3 = span("turn", clean, start_ns=NOW_NS + 2 * DAY, duration_ms=1000)
    separate = [_chat(clean, root3["span_id"], NOW_NS + 2 * DAY + i * 100 * MS, 100, 10) for i in (1, 2)]

    spans = [root1, timed_out, answered, failed_tool, tool, followup]
    spans += [root2, step1, rejected, resent, step2, planned, root3, *separate]
    response = server.post_otlp(protobuf_request(spans), PROTOBUF)
    assert response.status_code == 200, response.content
    return {
        "first": first,
        "second": second,
        "clean": clean,
        "timed_out": timed_out["span_id"],
        "answered": answered["span_id"],
        "failed_tool": failed_tool["span_id"],
        "tool": tool["span_id"],
        "step1": step1["span_id"],
        "step2": step2["span_id"],
        "rejected": rejected["span_id"],
        "resent": resent["span_id"],
        "partial": _cost(1000, 40),
        "rejected_cost": _cost(300, 30, start2),
        "resent_cost": _cost(300, 30, start2),
    }


def _marks(server, trace_id):
    tree = server.get(f"/api/v1/traces/{trace_id}").json()
    return tree, {node["span_id"]: node["retry"] for node in tree["spans"] if node["retry"]}


def test_the_tree_marks_retried_attempts_with_what_they_wasted(server, retried):
    tree, marks = _marks(server, retried["first"])

    assert marks == {
        retried["timed_out"]: {
            "replaced_by": retried["answered"],
            "reason": "error",
            "waste": str(retried["partial"].normalize()),
        },
        retried["failed_tool"]: {"replaced_by": retried["tool"], "reason": "error", "waste": "0.005"},
    }
    assert Decimal(tree["retry_waste"]) == retried["partial"] + Decimal("0.005")
    assert tree["retried_attempts"] == 2


def test_a_retried_step_wastes_its_subtree_and_a_retry_inside_it_counts_once(server, retried):
    tree, marks = _marks(server, retried["second"])

    step_waste = retried["rejected_cost"] + retried["resent_cost"]
    assert set(marks) == {retried["step1"], retried["rejected"]}
    assert marks[retried["step1"]]["replaced_by"] == retried["step2"]
    assert Decimal(marks[retried["step1"]]["waste"]) == step_waste
    assert marks[retried["rejected"]] == {
        "replaced_by": retried["resent"],
        "reason": "http.request.resend_count",
        "waste": str(retried["rejected_cost"].normalize()),
    }
    assert Decimal(tree["retry_waste"]) == step_waste
    assert tree["retried_attempts"] == 2


def test_separate_calls_are_not_retries(server, retried):
    tree, marks = _marks(server, retried["clean"])

    assert marks == {}
    assert tree["retry_waste"] == "0" and tree["retried_attempts"] == 0


def test_the_retry_report_agrees_with_the_trees(server, retried):
    body = server.get("/api/v1/costs/retries").json()

    first = retried["partial"] + Decimal("0.005")
    second = retried["rejected_cost"] + retried["resent_cost"]
    assert Decimal(body["total_waste"]) == first + second
    assert body["retried_attempts"] == 4 and body["trace_count"] == 2
    assert [
        (row["trace_id"], row["name"], Decimal(row["waste"]), row["attempts"]) for row in body["traces"]
    ] == [
        (retried["first"], "turn", first, 2),
        (retried["second"], "turn", second, 2),
    ]
    for row in body["traces"]:
        assert row["waste"] == server.get(f"/api/v1/traces/{row['trace_id']}").json()["retry_waste"]
    by_operation = {(op["name"], op["kind"], op["model"]): op for op in body["by_operation"]}
    assert {key: (op["attempts"], Decimal(op["waste"])) for key, op in by_operation.items()} == {
        ("chat", "llm", "gpt-4o-mini"): (2, retried["partial"] + retried["rejected_cost"]),
        ("web_search", "tool", None): (1, Decimal("0.005")),
        # The step's own share: the retry inside it is the chat call's.
        ("step", "chain", None): (1, retried["resent_cost"]),
    }
    wastes = [Decimal(op["waste"]) for op in body["by_operation"]]
    assert wastes == sorted(wastes, reverse=True) and sum(wastes) == Decimal(body["total_waste"])


def test_the_retry_report_takes_a_window_and_a_limit(server, retried):
    later = server.get("/api/v1/costs/retries", start="2026-01-01T12:00:00Z").json()
    earlier = server.get("/api/v1/costs/retries", end="2026-01-01T12:00:00Z").json()
    top = server.get("/api/v1/costs/retries", limit=1).json()
    nothing = server.get("/api/v1/costs/retries", start="2026-01-02T12:00:00Z").json()

    assert [row["trace_id"] for row in later["traces"]] == [retried["second"]]
    assert [row["trace_id"] for row in earlier["traces"]] == [retried["first"]]
    assert Decimal(later["total_waste"]) + Decimal(earlier["total_waste"]) == Decimal(top["total_waste"])
    assert len(top["traces"]) == 1 and top["trace_count"] == 2 and top["retried_attempts"] == 4
    assert nothing == {
        "total_waste": "0",
        "retried_attempts": 0,
        "trace_count": 0,
        "traces": [],
        "by_operation": [],
    }
    assert server.get("/api/v1/costs/retries", limit=0).status_code == 400


def test_candidates_cover_orphans_and_leave_out_traces_without_retries(server, retried):
    orphans = new_trace_id()
    lost = [
        _chat(orphans, "00000000000000a1", NOW_NS + 3 * DAY, 100, 0, error="429 Too Many Requests"),
        _chat(orphans, "00000000000000a2", NOW_NS + 3 * DAY + 100 * MS, 100, 10),
    ]
    assert server.post_otlp(protobuf_request(lost), PROTOBUF).status_code == 200
    server.settle()

    names = [attribute.name for attribute in RETRY_ATTRIBUTES]
    candidates = retry_candidates(server.store, server.settings.default_project, CostFilter(), names)

    assert {row["trace_id"] for row in candidates} == {retried["first"], retried["second"], orphans}
    assert server.get(f"/api/v1/traces/{orphans}").json()["retried_attempts"] == 1
