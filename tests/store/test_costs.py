"""Costs in several windows at once (what budget checks read): each window's amounts are what the cost
reports give for that window alone, for the whole project and for every grouping."""

from __future__ import annotations

from decimal import Decimal

import pytest

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span
from tokentrail.store.costs import COST_GROUPS, cost_total, costs, costs_in_windows
from tokentrail.store.sql import CostFilter

HOUR = 3600 * 10**9
WINDOWS = [
    (NOW_NS, NOW_NS + 24 * HOUR),
    (NOW_NS + 6 * HOUR, NOW_NS + 12 * HOUR),
    (NOW_NS - HOUR, NOW_NS + HOUR),
]


@pytest.fixture
def spent(server):
    """Traces of two users and tags over a day, the user and tags on the root only, costs on the children."""
    spans = []
    for hour, user, tags, usd in (
        (0, "ana", ["a"], "1"),
        (7, "bo", ["a", "b"], "2.5"),
        (11, "ana", [], "4"),
        (30, "bo", ["b"], "8"),
    ):
        trace_id = new_trace_id()
        root = span(
            "turn",
            trace_id,
            start_ns=NOW_NS + hour * HOUR,
            attributes={"user.id": user, "tokentrail.tags": tags},
        )
        child = span(
            "search",
            trace_id,
            parent=root["span_id"],
            start_ns=NOW_NS + hour * HOUR + 1,
            attributes={"tool.cost_usd": usd},
        )
        spans += [root, child]
    assert server.post_otlp(protobuf_request(spans), "application/x-protobuf").status_code == 200
    server.settle()
    return server.store


@pytest.mark.parametrize("group_by", [None, *COST_GROUPS])
def test_each_window_counts_what_the_reports_count_for_it_alone(spent, group_by):
    together = costs_in_windows(spent, "default", group_by, WINDOWS)
    for index, (start, end) in enumerate(WINDOWS):
        where = CostFilter(start_ns=start, end_ns=end)
        alone = (
            {"": cost_total(spent, "default", where)}
            if group_by is None
            else {row["key"]: row["cost"] for row in costs(spent, "default", group_by, where)}
        )
        found = {key: amounts[index] for key, amounts in together.items() if amounts[index] or key in alone}
        assert found == {key: Decimal(amount) for key, amount in alone.items()}, (group_by, index)


def test_a_users_spend_per_window(spent):
    assert costs_in_windows(spent, "default", "user", WINDOWS) == {
        "ana": [Decimal(5), Decimal(4), Decimal(1)],
        "bo": [Decimal("2.5"), Decimal("2.5"), Decimal(0)],
    }
