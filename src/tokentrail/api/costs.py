"""``/api/v1/costs``: what the spend was, grouped by model, kind, service, session, user, tag or day;
``/api/v1/costs/timeseries``: the same over time, in buckets ready to chart; ``/api/v1/costs/unpriced``:
which spans could not be priced, and why; ``/api/v1/costs/retries``: what retried attempts cost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from tokentrail.analysis.retries import (
    RETRY_ATTRIBUTES,
    RetryReport,
    TraceRetries,
    retries_in_tree,
    retry_report,
)
from tokentrail.analysis.tree import build_tree
from tokentrail.api.encoding import money, money_map
from tokentrail.api.params import FIRST_TIME, End, Limit, Project, Start, project_of, to_ns
from tokentrail.api.views import iso
from tokentrail.errors import BadRequest
from tokentrail.money import sum_money
from tokentrail.store import costs as stored_costs
from tokentrail.store.database import Store
from tokentrail.store.sql import CostFilter
from tokentrail.store.traces import spans_of_traces

__all__ = ["router"]

router = APIRouter(tags=["costs"])


@router.get("/costs", summary="Costs grouped")
async def get_costs(
    request: Request,
    group_by: Literal["model", "provider", "kind", "service", "session", "user", "tag", "day"] = "model",
    project: Project = None,
    start: Start = None,
    end: End = None,
) -> dict[str, Any]:
    """Cost (by type and origin), usage and counts of the spans that started in the range, grouped."""
    store, name = request.app.state.store, project_of(request, project)
    where = CostFilter(start_ns=to_ns(start), end_ns=to_ns(end))
    rows = await run_in_threadpool(stored_costs.costs, store, name, group_by, where)
    if group_by == "tag":
        # A trace counts once toward each of its tags: the groups can add up to more than the total.
        total = await run_in_threadpool(stored_costs.cost_total, store, name, where)
    else:
        total = sum_money(row["cost"] for row in rows)
    groups = [
        {
            "key": row["key"],
            "cost": money(row["cost"]),
            "cost_by_type": money_map(row["cost_by_type"]),
            "cost_by_origin": {
                origin: money(amount)
                for origin, amount in (
                    ("provided", row["cost_provided"]),
                    ("inferred", row["cost_inferred"]),
                    ("custom", row["cost_custom"]),
                )
                if amount
            },
            "usage": {key: int(value) for key, value in sorted(row["usage"].items()) if value},
            "span_count": row["span_count"],
            "trace_count": row["trace_count"],
            "unpriced_span_count": row["unpriced_count"],
            "duplicate_span_count": row["duplicate_count"],
        }
        for row in rows
    ]
    return {"group_by": group_by, "total": money(total), "groups": groups}


#: The bucket widths a cost series chooses from, in seconds (1m, 5m, 15m, 1h, 3h, 6h, 12h, 1d, 7d).
BUCKET_WIDTHS_S = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 7 * 86_400)
#: The range of a cost series without ``start``, in nanoseconds: a day.
_DEFAULT_RANGE_NS = 86_400 * 10**9
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


@router.get("/costs/timeseries", summary="Cost over time, stacked by a group")
async def get_cost_timeseries(
    request: Request,
    group_by: Literal["model", "provider", "kind", "service", "user"] = "model",
    project: Project = None,
    start: Start = None,
    end: End = None,
    buckets: Annotated[int, Query(ge=1, le=200, description="At most this many buckets")] = 24,
    top: Annotated[
        int, Query(ge=1, le=50, description="Groups shown by name; the rest are folded into 'other'")
    ] = 8,
) -> dict[str, Any]:
    """The cost of the spans that started in the range (default: the last 24 hours), counted as
    ``/costs`` counts it, per time bucket and group: every bucket of the range, empty ones too."""
    end_ns = time.time_ns() if end is None else to_ns(end)
    # Not before the first time the store holds: an earlier one would wrap around in ClickHouse.
    start_ns = max(end_ns - _DEFAULT_RANGE_NS, to_ns(FIRST_TIME)) if start is None else to_ns(start)
    if start_ns >= end_ns:
        raise BadRequest("'end' must be after 'start'")
    width_s = bucket_seconds(start_ns, end_ns, buckets)
    width = width_s * 10**9
    rows = await run_in_threadpool(
        stored_costs.cost_series,
        request.app.state.store,
        project_of(request, project),
        group_by,
        CostFilter(start_ns=start_ns, end_ns=end_ns),
        width_ns=width,
        top=top,
    )
    ranked = {row["rank"]: row["key"] for row in rows if row["rank"]}
    keys = [ranked[rank] for rank in sorted(ranked)]
    order = {key: index for index, key in enumerate([*keys, OTHER])}
    amounts: dict[int, dict[str, Decimal]] = {}
    for row in rows:
        amounts.setdefault(row["bucket_ns"], {})[row["key"] if row["rank"] else OTHER] = row["cost"]
    series = []
    for bucket_ns in range(start_ns // width * width, end_ns, width):
        costs = dict(sorted(amounts.get(bucket_ns, {}).items(), key=lambda item: order[item[0]]))
        series.append(
            {
                "start": iso(bucket_ns),
                "start_ns": bucket_ns,
                "end_ns": bucket_ns + width,
                "total": money(sum_money(costs.values())),
                "costs": {key: money(amount) for key, amount in costs.items()},
            }
        )
    return {
        "group_by": group_by,
        "bucket_seconds": width_s,
        "start": iso(start_ns),
        "end": iso(end_ns),
        "total": money(sum_money(row["cost"] for row in rows)),
        "keys": keys,
        "buckets": series,
    }


@router.get("/costs/unpriced", summary="Spans that could not be priced, and why")
async def get_unpriced(
    request: Request,
    project: Project = None,
    start: Start = None,
    end: End = None,
) -> dict[str, Any]:
    """The counted spans that started in the range without a price, by reason, provider and model."""
    report = await run_in_threadpool(
        stored_costs.unpriced,
        request.app.state.store,
        project_of(request, project),
        CostFilter(start_ns=to_ns(start), end_ns=to_ns(end)),
    )
    groups = [
        {
            "reason": row["reason"],
            "provider": row["provider"],
            "model": row["model"],
            "span_count": row["span_count"],
            "trace_count": row["trace_count"],
            "first_seen": iso(row["first_ns"]),
            "last_seen": iso(row["last_ns"]),
            "usage": {key: int(value) for key, value in sorted(row["usage"].items()) if value},
            "sample_trace_ids": list(row["sample_trace_ids"]),
        }
        for row in report.groups
    ]
    return {
        "span_count": report.total["span_count"],
        "trace_count": report.total["trace_count"],
        "by_reason": [
            {
                "reason": row["reason"],
                "span_count": row["span_count"],
                "trace_count": row["trace_count"],
                "first_seen": iso(row["first_ns"]),
                "last_seen": iso(row["last_ns"]),
            }
            for row in report.reasons
        ],
        "groups": groups,
    }


# Traces whose spans are loaded per query when retries are computed.
_RETRY_BATCH = 200


@router.get("/costs/retries", summary="Retry waste: what retried attempts cost")
async def get_retries(
    request: Request,
    project: Project = None,
    start: Start = None,
    end: End = None,
    limit: Annotated[Limit, Query(description="How many traces to list")] = 50,
) -> dict[str, Any]:
    """Retried attempts of the traces that started in the range and what they cost, per trace (costliest
    first) and per operation; the same numbers the trace trees show."""
    report = await run_in_threadpool(
        _retry_report,
        request.app.state.store,
        project_of(request, project),
        CostFilter(start_ns=to_ns(start), end_ns=to_ns(end)),
    )
    return {
        "total_waste": money(report.total_waste),
        "retried_attempts": report.retried_attempts,
        "trace_count": len(report.traces),
        "traces": [
            {"trace_id": row.trace_id, "name": row.name, "waste": money(row.waste), "attempts": row.attempts}
            for row in report.traces[:limit]
        ],
        "by_operation": [
            {
                "name": row.operation.name,
                "kind": row.operation.kind,
                "model": row.operation.model or None,
                "attempts": row.attempts,
                "waste": money(row.waste),
            }
            for row in report.by_operation
        ],
    }


def _retry_report(store: Store, project: str, where: CostFilter) -> RetryReport:
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
