"""``/api/v1/costs``: what the spend was, grouped by model, kind, service, session, user, tag or day;
``/api/v1/costs/timeseries``: the same over time, in buckets ready to chart; ``/api/v1/costs/unpriced``:
which spans could not be priced, and why; ``/api/v1/costs/retries``: what retried attempts cost."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from tokentrail.analysis.costs import cost_groups, cost_over_time, retry_costs
from tokentrail.documents.costs import cost_groups_json, cost_series_json, retries_json, unpriced_json
from tokentrail.params import FIRST_TIME, End, Limit, Project, Start, project_of, to_ns
from tokentrail.store.costs import unpriced
from tokentrail.store.evaluators import spend_by_service
from tokentrail.store.sql import CostFilter

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
    """Cost (by type and origin), usage and counts of the spans that started in the range, grouped; and
    the total split into ``app_cost`` and ``evaluation_cost`` (the evaluators' judge calls)."""
    where = CostFilter(start_ns=to_ns(start), end_ns=to_ns(end))
    store, chosen = request.app.state.store, project_of(request, project)
    groups, spend = await asyncio.gather(
        run_in_threadpool(cost_groups, store, chosen, group_by, where),
        run_in_threadpool(spend_by_service, store, chosen, where.start_ns or 0, where.end_ns),
    )
    # The evaluators' judge calls apart from the application's own spend (see docs/evaluations.md).
    return {
        **cost_groups_json(groups, group_by),
        "app_cost": spend["app"],
        "evaluation_cost": spend["evaluation"],
    }


#: The range of a cost series without ``start``, in nanoseconds: a day.
_DEFAULT_RANGE_NS = 86_400 * 10**9


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
    series = await run_in_threadpool(
        cost_over_time,
        request.app.state.store,
        project_of(request, project),
        group_by,
        start_ns,
        end_ns,
        buckets=buckets,
        top=top,
    )
    return cost_series_json(series, group_by)


@router.get("/costs/unpriced", summary="Spans that could not be priced, and why")
async def get_unpriced(
    request: Request,
    project: Project = None,
    start: Start = None,
    end: End = None,
) -> dict[str, Any]:
    """The counted spans that started in the range without a price, by reason, provider and model."""
    report = await run_in_threadpool(
        unpriced,
        request.app.state.store,
        project_of(request, project),
        CostFilter(start_ns=to_ns(start), end_ns=to_ns(end)),
    )
    return unpriced_json(report)


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
        retry_costs,
        request.app.state.store,
        project_of(request, project),
        CostFilter(start_ns=to_ns(start), end_ns=to_ns(end)),
    )
    return retries_json(report, limit)
