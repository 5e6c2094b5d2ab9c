"""Sums of money are exact however large the amounts: every total the API shows (costs page, trace list
and page, sessions, time series, top lists, retry waste) equals the exact sum of the spans' costs, for
spans each holding up to the most a ``Decimal(38, 18)`` column holds.

The large amounts are written straight through the store's writer (ingest may refuse a stated cost over
its configured ceiling); the smallest arrive as stated tool costs over OTLP.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext

from otlp_builders import NOW_NS, new_span_id, new_trace_id, protobuf_request, span
from tokentrail.model import CostOrigin, Span, SpanKind, Status

PROTOBUF = "application/x-protobuf"
MOST = Decimal("99999999999999999999.999999999999999999")
BIG = Decimal("99999999999999999999.123456789012345678")
TINY = Decimal("0.000000000000000001")
WINDOW = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z"}


def _exact_sum(amounts: Iterable[Decimal]) -> Decimal:
    with localcontext(prec=120):
        return sum(amounts, Decimal(0))


@dataclass(frozen=True)
class Cost:
    """One span's cost, and the facts its groups are keyed by."""

    trace_id: str
    session: str
    user: str
    model: str
    kind: str
    cost_type: str
    amount: Decimal


def _stored(cost: Cost, name: str, start_ns: int, parent: str = "", *, failed: bool = False) -> Span:
    """A span as the writer stores it, costing ``cost``."""
    return Span(
        project="default",
        trace_id=cost.trace_id,
        span_id=new_span_id(),
        parent_span_id=parent,
        name=name,
        service="money-app",
        start_ns=start_ns,
        end_ns=start_ns + 1_000_000,
        kind=SpanKind(cost.kind),
        status=Status.ERROR if failed else Status.OK,
        request_model=cost.model,
        cost={cost.cost_type: cost.amount},
        cost_origin=CostOrigin.CUSTOM,
        session_id=cost.session,
        user_id=cost.user,
    )


def _workload(server) -> list[Cost]:
    """Four traces over two sessions and two users: large amounts in one trace and across traces, tiny
    ones beside them, and three attempts of one tool call of which two failed (retried)."""
    plans = [
        ("s-1", "u-1", "m-a", [("llm", "input", MOST), ("llm", "input", BIG), ("llm", "output", BIG)]),
        ("s-1", "u-2", "m-b", [("llm", "output", MOST), ("llm", "output", MOST)]),
        ("s-2", "u-1", "m-a", [("llm", "input", BIG), ("llm", "input", TINY)]),
    ]
    costs: list[Cost] = []
    rows: list[Span] = []
    otlp: list[dict] = []
    for number, (session, user, model, amounts) in enumerate(plans):
        trace_id, start_ns = new_trace_id(), NOW_NS + number * 60 * 10**9
        spans = [Cost(trace_id, session, user, model, *cost) for cost in amounts]
        root = _stored(spans[0], "step-0", start_ns)
        rows += [
            root,
            *(_stored(c, f"step-{i}", start_ns + i, root.span_id) for i, c in enumerate(spans[1:], 1)),
        ]
        costs += spans
        # A paid tool beside the large amounts, as ingest prices it.
        otlp.append(
            span(
                "lookup",
                trace_id,
                parent=root.span_id,
                start_ns=start_ns + 10**8,
                attributes={"gen_ai.operation.name": "execute_tool", "tool.cost_usd": str(TINY)},
            )
        )
        costs.append(Cost(trace_id, session, user, "", "tool", "tool", TINY))
    # A fourth trace: a chain whose tool call failed twice at the column's largest amount, then worked.
    trace_id, start_ns = new_trace_id(), NOW_NS + 5 * 60 * 10**9
    chain = Cost(trace_id, "s-2", "u-2", "", "chain", "custom", TINY)
    root = _stored(chain, "agent", start_ns)
    rows.append(root)
    costs.append(chain)
    for attempt in range(3):
        cost = Cost(trace_id, "s-2", "u-2", "", "tool", "tool", MOST)
        rows.append(
            _stored(cost, "fetch", start_ns + (attempt + 1) * 10**7, root.span_id, failed=attempt < 2)
        )
        costs.append(cost)
    server.app.state.writer.write(rows, 30)
    assert server.post_otlp(protobuf_request(otlp), PROTOBUF).status_code == 200
    server.settle()
    return costs


def _totals(costs: list[Cost], key: str) -> dict[str, Decimal]:
    grouped: defaultdict[str, list[Decimal]] = defaultdict(list)
    for cost in costs:
        grouped[getattr(cost, key)].append(cost.amount)
    return {group: _exact_sum(amounts) for group, amounts in grouped.items()}


def _by_type(costs: list[Cost], key: str) -> dict[str, dict[str, Decimal]]:
    groups = {getattr(cost, key) for cost in costs}
    return {
        group: _totals([cost for cost in costs if getattr(cost, key) == group], "cost_type")
        for group in groups
    }


def _money(values: dict[str, str]) -> dict[str, Decimal]:
    return {key: Decimal(value) for key, value in values.items()}


def _pages(server, path: str, field: str, **params: object) -> list[dict]:
    """Every row of a cost-sorted list, one row a page (so each page starts from a cost cursor)."""
    rows, cursor = [], None
    while True:
        page = server.get(path, sort="cost", limit=1, cursor=cursor, **params).json()
        rows += page[field]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def test_costs_page_agrees_with_the_exact_sum(server):
    costs = _workload(server)
    total = _exact_sum(cost.amount for cost in costs)
    assert total > 8 * 10**20  # past what Decimal(38, 18) holds, in more than 28 significant digits
    for group_by, key in [("model", "model"), ("kind", "kind"), ("session", "session"), ("user", "user")]:
        body = server.get("/api/v1/costs", group_by=group_by, **WINDOW).json()
        assert Decimal(body["total"]) == total, group_by
        assert {g["key"]: Decimal(g["cost"]) for g in body["groups"]} == _totals(costs, key), group_by
        by_type = {g["key"]: _money(g["cost_by_type"]) for g in body["groups"]}
        assert by_type == _by_type(costs, key), group_by
        by_origin = [Decimal(g["cost_by_origin"]["custom"]) for g in body["groups"]]
        assert _exact_sum(by_origin) == total, group_by
    for group_by in ("day", "tag"):
        assert Decimal(server.get("/api/v1/costs", group_by=group_by, **WINDOW).json()["total"]) == total


def test_trace_list_trace_pages_and_top_traces_agree_with_the_exact_sum(server):
    costs = _workload(server)
    expected = _totals(costs, "trace_id")
    listed = server.get("/api/v1/traces", limit=100).json()["traces"]
    assert {row["trace_id"]: Decimal(row["cost"]) for row in listed} == expected
    for trace_id, cost in expected.items():
        tree = server.get(f"/api/v1/traces/{trace_id}").json()
        assert Decimal(tree["cost"]) == cost
        (root,) = (s for s in tree["spans"] if s["span_id"] in tree["root_span_ids"])
        assert Decimal(root["subtree_cost"]["total"]) == cost
        in_tree = _by_type([c for c in costs if c.trace_id == trace_id], "trace_id")[trace_id]
        assert _money(root["subtree_cost"]["by_type"]) == in_tree
    costliest = sorted(expected, key=lambda trace_id: expected[trace_id], reverse=True)
    top = _pages(server, "/api/v1/traces", "traces")
    assert [(row["trace_id"], Decimal(row["cost"])) for row in top] == [(t, expected[t]) for t in costliest]
    most = max(expected.values())
    over = server.get("/api/v1/traces", min_cost=str(MOST), limit=100).json()["traces"]
    assert {row["trace_id"] for row in over} == {t for t, cost in expected.items() if cost >= MOST}
    assert max(Decimal(row["cost"]) for row in over) == most


def test_sessions_and_top_sessions_agree_with_the_exact_sum(server):
    costs = _workload(server)
    expected = _totals(costs, "session")
    by_type = _by_type(costs, "session")
    listed = server.get("/api/v1/sessions").json()["sessions"]
    assert {row["session_id"]: Decimal(row["cost"]) for row in listed} == expected
    assert {row["session_id"]: _money(row["cost_by_type"]) for row in listed} == by_type
    for session_id, cost in expected.items():
        detail = server.get(f"/api/v1/sessions/{session_id}").json()
        assert Decimal(detail["cost"]) == cost
        assert _money(detail["cost_by_type"]) == by_type[session_id]
    top = _pages(server, "/api/v1/sessions", "sessions")
    costliest = sorted(expected, key=lambda session_id: expected[session_id], reverse=True)
    assert [(row["session_id"], Decimal(row["cost"])) for row in top] == [(s, expected[s]) for s in costliest]


def test_cost_timeseries_agrees_with_the_exact_sum(server):
    costs = _workload(server)
    total = _exact_sum(cost.amount for cost in costs)
    for group_by, key in [("model", "model"), ("user", "user")]:
        body = server.get("/api/v1/costs/timeseries", group_by=group_by, buckets=12, **WINDOW).json()
        assert Decimal(body["total"]) == total, group_by
        assert _exact_sum(Decimal(bucket["total"]) for bucket in body["buckets"]) == total, group_by
        per_key: defaultdict[str, list[Decimal]] = defaultdict(list)
        for bucket in body["buckets"]:
            assert Decimal(bucket["total"]) == _exact_sum(_money(bucket["costs"]).values())
            for group, amount in bucket["costs"].items():
                per_key[group].append(Decimal(amount))
        assert {group: _exact_sum(amounts) for group, amounts in per_key.items()} == _totals(costs, key)


def test_retry_waste_agrees_with_the_exact_sum(server):
    _workload(server)
    waste = _exact_sum([MOST, MOST])  # the two failed attempts of the fourth trace
    body = server.get("/api/v1/costs/retries", **WINDOW).json()
    assert Decimal(body["total_waste"]) == waste
    (trace,) = body["traces"]
    assert Decimal(trace["waste"]) == waste
    assert Decimal(server.get(f"/api/v1/traces/{trace['trace_id']}").json()["retry_waste"]) == waste
