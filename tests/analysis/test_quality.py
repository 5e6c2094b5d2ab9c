"""Quality per dollar, pure: exact means and costs per trace, 95% intervals (normal for numbers, Wilson
for shares), the Pareto frontier, and the rule that calls a cheaper group as good as the best."""

from __future__ import annotations

import math
from decimal import Decimal
from statistics import fmean, variance

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokentrail.analysis.quality import (
    Z_95,
    GroupTotals,
    QualityGroup,
    as_good_and_cheaper,
    interval,
    pareto_frontier,
    quality_view,
)


def _totals(key: str, values: list[float], cost: str, tokens: int = 0, p50_ns: int = 0) -> GroupTotals:
    var = variance(values) if len(values) > 1 else None
    return GroupTotals(key, len(values), math.fsum(values), var, Decimal(cost), tokens, p50_ns)


def _group(key: str, mean: float, cost: str, low: float | None = None, high: float | None = None):
    return QualityGroup(key, 10, mean, low, high, Decimal(0), Decimal(cost), 0.0, 0, None)


def test_means_costs_and_tokens_per_trace_are_exact():
    values = [0.1, 0.2, 0.7]
    view = quality_view("helpful", "numeric", "", "model", [_totals("m", values, "0.3", 3000, 5)])

    (group,) = view.groups
    assert group.mean == fmean(values)
    assert group.cost_per_trace == Decimal("0.1")
    assert group.tokens_per_trace == 1000.0
    assert group.score_per_dollar == pytest.approx(fmean(values) / 0.1)


def test_cost_per_trace_keeps_18_decimals_of_an_uneven_split():
    view = quality_view("s", "numeric", "", "model", [_totals("m", [1.0, 1.0, 1.0], "1")])

    assert view.groups[0].cost_per_trace == Decimal("0.333333333333333333")


def test_a_numeric_interval_is_the_normal_one_and_none_for_one_trace():
    values = [1.0, 0.76] * 10
    low, high = interval("numeric", 20, fmean(values), variance(values))

    assert (high - low) / 2 == pytest.approx(Z_95 * math.sqrt(variance(values) / 20))
    assert interval("numeric", 1, 0.5, None) is None
    assert interval("numeric", 1, 0.5, math.nan) is None


def test_a_share_interval_is_wilsons_and_stays_within_0_and_1():
    assert interval("boolean", 10, 0.8, None) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert interval("boolean", 5, 1.0, None) == pytest.approx((0.5655, 1.0), abs=1e-4)
    low, high = interval("categorical", 1, 0.0, None)
    assert low == 0.0 and 0 < high < 1


def test_the_frontier_holds_the_groups_nothing_beats_for_less():
    groups = [
        _group("best", 0.9, "0.03"),
        _group("cheap", 0.8, "0.001"),
        _group("worse-and-dearer", 0.7, "0.01"),
        _group("tie-of-best", 0.9, "0.03"),
    ]

    assert pareto_frontier(groups) == {"best", "cheap", "tie-of-best"}


def test_a_cheaper_group_whose_interval_meets_the_best_is_as_good():
    best = _group("gpt-4o", 0.88, "0.031", 0.85, 0.91)
    mini = _group("gpt-4o-mini", 0.86, "0.0021", 0.83, 0.89)
    far = _group("tiny", 0.60, "0.0001", 0.55, 0.65)
    dearer = _group("o1", 0.87, "0.5", 0.84, 0.90)

    (found,) = as_good_and_cheaper([best, mini, far, dearer])

    assert (found.group.key, found.best.key) == ("gpt-4o-mini", "gpt-4o")
    assert found.times == Decimal("0.031") / Decimal("0.0021")


def test_no_claim_without_intervals_and_a_free_group_is_as_good_for_nothing():
    assert as_good_and_cheaper([_group("a", 0.9, "1"), _group("b", 0.8, "0.1")]) == []
    (found,) = as_good_and_cheaper([_group("a", 0.9, "1", 0.8, 1.0), _group("b", 0.85, "0", 0.7, 0.95)])
    assert found.times is None


def test_groups_read_best_mean_first_and_the_frontier_is_marked():
    view = quality_view(
        "s",
        "numeric",
        "",
        "name",
        [_totals("b", [0.5, 0.6], "2"), _totals("a", [0.9, 0.8], "1"), _totals("c", [0.9, 0.8], "3")],
    )

    assert [(g.key, g.frontier) for g in view.groups] == [("a", True), ("c", False), ("b", False)]


_groups = st.lists(
    st.tuples(
        st.floats(0, 1, allow_nan=False),
        st.decimals(0, 1, places=6, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=12,
)


@given(_groups)
def test_every_group_off_the_frontier_is_beaten_by_one_on_it(pairs):
    groups = [_group(str(i), mean, str(cost)) for i, (mean, cost) in enumerate(pairs)]
    frontier = pareto_frontier(groups)

    on = [g for g in groups if g.key in frontier]
    assert on
    for group in groups:
        better = [
            o
            for o in on
            if o.mean >= group.mean and o.cost_per_trace <= group.cost_per_trace and o is not group
        ]
        if group.key in frontier:
            assert all(o.mean == group.mean and o.cost_per_trace == group.cost_per_trace for o in better)
        else:
            assert better


@given(_groups)
def test_what_is_as_good_is_cheaper_than_the_best_and_overlaps_it(pairs):
    groups = [_group(str(i), mean, str(cost), mean - 0.1, mean + 0.1) for i, (mean, cost) in enumerate(pairs)]

    for found in as_good_and_cheaper(groups):
        assert found.group.cost_per_trace < found.best.cost_per_trace
        assert found.group.high >= found.best.low
        assert found.best.mean == max(g.mean for g in groups)
