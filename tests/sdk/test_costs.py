"""Stated costs: record_cost and @tool(cost_per_call=...) write tokentrail.cost.usd as exact decimal text,
summed when stated several times on a span, and the server counts them in the trace's totals."""

from __future__ import annotations

from decimal import Decimal

import pytest

import tokentrail
from tokentrail.sdk.costs import as_decimal


@pytest.mark.parametrize(
    ("amount", "exact"),
    [(0.1, "0.1"), ("0.002", "0.002"), (Decimal("1E-7"), "1E-7"), (3, "3")],
)
def test_amounts_are_exact_decimals(amount, exact):
    assert as_decimal(amount) == Decimal(exact)


@pytest.mark.parametrize("amount", [-1, "abc", float("nan"), float("inf"), True])
def test_an_amount_that_is_no_cost_is_refused(amount):
    with pytest.raises(ValueError):
        as_decimal(amount)


def test_costs_stated_on_one_span_add_up_exactly(traced):
    @tokentrail.trace(name="step")
    def step():
        for _ in range(3):
            tokentrail.record_cost(0.1, description="search")

    step()
    span = traced.spans()["step"]
    assert span.attributes["tokentrail.cost.usd"] == "0.3"  # a float sum would be 0.30000000000000004
    assert [event.attributes["tokentrail.cost.description"] for event in span.events] == ["search"] * 3


def test_record_cost_outside_any_span_does_nothing(traced):
    tokentrail.record_cost("0.5")
    assert traced.memory.get_finished_spans() == ()


def test_tool_costs_count_in_the_traces_totals(traced_live, server):
    @tokentrail.tool(cost_per_call="0.002")
    def search(query):
        return [query]

    @tokentrail.trace(name="answer", kind="agent")
    def answer():
        search("a")
        search("b")
        tokentrail.record_cost("0.01", description="moderation")

    answer()
    assert tokentrail.flush(10)
    (trace,) = server.get("/api/v1/traces").json()["traces"]
    assert Decimal(trace["cost"]) == Decimal("0.014")
    tree = server.get(f"/api/v1/traces/{trace['trace_id']}").json()
    tools = [span for span in tree["spans"] if span["kind"] == "tool"]
    assert [(span["tool_name"], span["cost"]["total"]) for span in tools] == [("search", "0.002")] * 2
