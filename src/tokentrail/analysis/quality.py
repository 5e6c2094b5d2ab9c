"""Quality per dollar: one score against what it cost, per group of traces (trace name, model, prompt
version, experiment or service), to find where a cheaper group is as good.

Pure: the store sums each group (:mod:`tokentrail.store.quality`); this turns the sums into means with a
95% confidence interval, exact costs per trace, the Pareto frontier and the cheaper groups that are as
good as the best one.

- A trace's value is the mean of its scores of that name (a score on a span counts for its trace); for a
  categorical score, the share of its scores in the chosen category.
- A numeric mean's interval is the normal one, mean ± 1.96·s/√n (none for a single trace); a share's
  (boolean, categorical) is Wilson's, which stays inside [0, 1] and is sound for small groups.
- A group is on the frontier when no other group scores at least as well for at most its cost, and
  better or cheaper (higher scores are better).
- A cheaper group is *as good* as the best (highest mean) when it costs less per trace and its interval
  overlaps the best's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from tokentrail.money import exact

__all__ = [
    "GROUPINGS",
    "SHARE_TYPES",
    "Z_95",
    "AsGood",
    "GroupTotals",
    "QualityGroup",
    "QualityView",
    "as_good_and_cheaper",
    "interval",
    "pareto_frontier",
    "quality_view",
]

#: What traces can be grouped by.
GROUPINGS = ("name", "model", "prompt", "experiment", "service")
#: Score types whose trace values are shares (of true, of one category) in [0, 1].
SHARE_TYPES = ("boolean", "categorical")
#: The normal quantile of a two-sided 95% interval.
Z_95 = 1.959963984540054
#: Cost per trace is exact to the store's 18 decimals.
_COST_PLACES = Decimal("1e-18")


@dataclass(frozen=True, slots=True)
class GroupTotals:
    """One group's sums as the store reads them: its scored traces, the sum and sample variance of their
    values, their total cost and tokens, and the median trace duration."""

    key: str
    traces: int
    value_sum: float
    #: The sample variance of the traces' values (None, or NaN, for a single trace).
    value_var: float | None
    cost: Decimal
    tokens: int
    p50_ns: int


@dataclass(frozen=True, slots=True)
class QualityGroup:
    key: str
    traces: int
    mean: float
    #: The 95% interval of the mean; None when it cannot be told (one trace of a numeric score).
    low: float | None
    high: float | None
    cost: Decimal
    cost_per_trace: Decimal
    tokens_per_trace: float
    p50_ns: int
    #: Mean score per dollar of cost per trace; None for free traces.
    score_per_dollar: float | None
    frontier: bool = False


@dataclass(frozen=True, slots=True)
class AsGood:
    """A group as good as the best within the interval, and cheaper: ``times`` cheaper per trace (None
    when it costs nothing)."""

    group: QualityGroup
    best: QualityGroup
    times: Decimal | None


@dataclass(frozen=True, slots=True)
class QualityView:
    score: str
    data_type: str
    #: The category whose share a categorical score's mean is ("" otherwise).
    category: str
    by: str
    #: Best mean first (then cheaper, then by key).
    groups: list[QualityGroup]
    as_good: list[AsGood]


def interval(data_type: str, traces: int, mean: float, variance: float | None) -> tuple[float, float] | None:
    """The 95% confidence interval of a mean over ``traces`` trace values."""
    if traces < 1:
        return None
    if data_type in SHARE_TYPES:
        p = min(1.0, max(0.0, mean))
        z2 = Z_95 * Z_95
        centre = (p + z2 / (2 * traces)) / (1 + z2 / traces)
        half = Z_95 * math.sqrt(p * (1 - p) / traces + z2 / (4 * traces * traces)) / (1 + z2 / traces)
        return max(0.0, centre - half), min(1.0, centre + half)
    if traces < 2 or variance is None or not math.isfinite(variance):
        return None
    half = Z_95 * math.sqrt(max(variance, 0.0) / traces)
    return mean - half, mean + half


def _group(data_type: str, totals: GroupTotals) -> QualityGroup:
    mean = totals.value_sum / totals.traces
    bounds = interval(data_type, totals.traces, mean, totals.value_var)
    with exact():
        per_trace = (totals.cost / totals.traces).quantize(_COST_PLACES)
    return QualityGroup(
        key=totals.key,
        traces=totals.traces,
        mean=mean,
        low=bounds[0] if bounds else None,
        high=bounds[1] if bounds else None,
        cost=totals.cost,
        cost_per_trace=per_trace,
        tokens_per_trace=totals.tokens / totals.traces,
        p50_ns=totals.p50_ns,
        score_per_dollar=mean / float(per_trace) if per_trace > 0 else None,
    )


def _dominates(a: QualityGroup, b: QualityGroup) -> bool:
    """Whether ``a`` is at least as good for at most the cost, and better or cheaper."""
    return (
        a.mean >= b.mean
        and a.cost_per_trace <= b.cost_per_trace
        and (a.mean > b.mean or a.cost_per_trace < b.cost_per_trace)
    )


def pareto_frontier(groups: Sequence[QualityGroup]) -> set[str]:
    """The keys of the groups no other group dominates."""
    return {g.key for g in groups if not any(_dominates(other, g) for other in groups)}


def as_good_and_cheaper(groups: Sequence[QualityGroup]) -> list[AsGood]:
    """The groups cheaper per trace than the best one whose interval overlaps the best's, cheapest
    first. The best is the highest mean (the cheaper of equals)."""
    if not groups:
        return []
    best = min(groups, key=lambda g: (-g.mean, g.cost_per_trace, g.key))
    if best.low is None or best.high is None:
        return []
    found = []
    for group in groups:
        if group is best or group.low is None or group.high is None:
            continue
        if group.cost_per_trace < best.cost_per_trace and group.high >= best.low and group.low <= best.high:
            times = best.cost_per_trace / group.cost_per_trace if group.cost_per_trace > 0 else None
            found.append(AsGood(group, best, times))
    return sorted(found, key=lambda item: (item.group.cost_per_trace, item.group.key))


def quality_view(
    score: str, data_type: str, category: str, by: str, totals: Sequence[GroupTotals]
) -> QualityView:
    """The groups' means, intervals and costs, the frontier marked, and the cheaper groups as good."""
    groups = [_group(data_type, item) for item in totals if item.traces > 0]
    frontier = pareto_frontier(groups)
    marked = sorted(
        (replace(g, frontier=g.key in frontier) for g in groups),
        key=lambda g: (-g.mean, g.cost_per_trace, g.key),
    )
    return QualityView(score, data_type, category, by, marked, as_good_and_cheaper(marked))
