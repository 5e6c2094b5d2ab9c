"""Cost reports over the store: spend grouped with its total, spend over time in buckets ready to chart,
and what retried attempts cost."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from tokentrail.analysis.retries import (
    RETRY_ATTRIBUTES,
    RetryReport,
    TraceRetries,
    retries_in_tree,
    retry_report,
)
from tokentrail.analysis.tree import build_tree
from tokentrail.errors import BadRequest
from tokentrail.money import sum_money
from tokentrail.store import costs as stored_costs
from tokentrail.store.costs import CostGroupRow
from tokentrail.store.database import Store
from tokentrail.store.sql import CostFilter
from tokentrail.store.traces import spans_of_traces

__all__ = [
    "BUCKET_WIDTHS_S",
    "OTHER",
    "CostBucket",
    "CostGroups",
    "CostSeries",
    "bucket_seconds",
    "cost_groups",
    "cost_over_time",
    "retry_costs",
]


@dataclass(frozen=True, slots=True)
class CostGroups:
    """The counted spend of a window by group, costliest first, and its total."""

    rows: list[CostGroupRow]
    #: Each span counted once, also when the groups overlap (tags).
    total: Decimal


def cost_groups(store: Store, project: str, group_by: str, where: CostFilter) -> CostGroups:
    """Cost, usage and counts of the spans that started in the window, grouped, with the total."""
    rows = stored_costs.costs(store, project, group_by, where)
    if group_by == "tag":
        # A trace counts once toward each of its tags: the groups can add up to more than the total.
        return CostGroups(rows, stored_costs.cost_total(store, project, where))
    return CostGroups(rows, sum_money(row["cost"] for row in rows))


#: The bucket widths a cost series chooses from, in seconds (1m, 5m, 15m, 1h, 3h, 6h, 12h, 1d, 7d).
BUCKET_WIDTHS_S = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 7 * 86_400)
#: The folded groups after the costliest ``top``, as a series key.
OTHER = "other"


def bucket_seconds(start_ns: int, end_ns: int, buckets: int) -> int:
    """The smallest width of :data:`BUCKET_WIDTHS_S` of which ``buckets`` span ``[start_ns, end_ns)``;
    the widest when none does.

    The range's length decides, not its alignment: the last 24 hours in 24 buckets are hourly (25
    buckets once aligned to whole hours), not three-hourly.
    """
    for width_s in BUCKET_WIDTHS_S:
        if end_ns - start_ns <= buckets * width_s * 10**9:
            return width_s
    return BUCKET_WIDTHS_S[-1]


@dataclass(frozen=True, slots=True)
class CostBucket:
    """``[start_ns, end_ns)``, and the cost of each group in it (costliest group first, ``other`` last)."""

    start_ns: int
    end_ns: int
    costs: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class CostSeries:
    """Spend over time: every bucket of a range, empty ones too, stacked by group."""

    start_ns: int
    end_ns: int
    width_s: int
    #: The groups shown by name, costliest first (the rest are folded into :data:`OTHER`).
    keys: list[str]
    buckets: list[CostBucket]
    total: Decimal


def cost_over_time(
    store: Store, project: str, group_by: str, start_ns: int, end_ns: int, *, buckets: int, top: int
) -> CostSeries:
    """The cost of the spans that started in ``[start_ns, end_ns)``, counted as :func:`cost_groups`
    counts it, in at most ``buckets`` buckets and ``top`` named groups."""
    if start_ns >= end_ns:
        raise BadRequest("'end' must be after 'start'")
    width_s = bucket_seconds(start_ns, end_ns, buckets)
    width = width_s * 10**9
    where = CostFilter(start_ns=start_ns, end_ns=end_ns)
    rows = stored_costs.cost_series(store, project, group_by, where, width_ns=width, top=top)
    ranked = {row["rank"]: row["key"] for row in rows if row["rank"]}
    keys = [ranked[rank] for rank in sorted(ranked)]
    order = {key: index for index, key in enumerate([*keys, OTHER])}
    amounts: dict[int, dict[str, Decimal]] = {}
    for row in rows:
        amounts.setdefault(row["bucket_ns"], {})[row["key"] if row["rank"] else OTHER] = row["cost"]
    series = [
        CostBucket(
            bucket_ns,
            bucket_ns + width,
            dict(sorted(amounts.get(bucket_ns, {}).items(), key=lambda item: order[item[0]])),
        )
        for bucket_ns in range(start_ns // width * width, end_ns, width)
    ]
    total = sum_money(row["cost"] for row in rows)
    return CostSeries(start_ns, end_ns, width_s, keys, series, total)


# Traces whose spans are loaded per query when retries are computed.
_RETRY_BATCH = 200


def retry_costs(store: Store, project: str, where: CostFilter) -> RetryReport:
    """Retried attempts of the traces that started in the window and what they cost, computed exactly
    as each trace's tree shows them."""
    # SQL picks the traces that may hold a retry; each is then computed exactly as its tree shows it.
    names = [attribute.name for attribute in RETRY_ATTRIBUTES]
    candidates = stored_costs.retry_candidates(store, project, where, names)

    def traces() -> Iterator[tuple[str, str, TraceRetries]]:
        for first in range(0, len(candidates), _RETRY_BATCH):
            batch = candidates[first : first + _RETRY_BATCH]
            spans = spans_of_traces(store, project, [row["trace_id"] for row in batch])
            for row in batch:
                tree = build_tree(row["trace_id"], spans[row["trace_id"]])
                yield row["trace_id"], row["name"], retries_in_tree(tree)

    return retry_report(traces())
