"""``/api/v1/costs``: what the spend was, grouped by model, kind, service, session, user or day."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from tokentrail.api.encoding import money, money_map
from tokentrail.api.params import End, Project, Start, project_of, to_ns
from tokentrail.store import queries

__all__ = ["router"]

router = APIRouter(tags=["costs"])


@router.get("/costs", summary="Costs grouped")
async def get_costs(
    request: Request,
    group_by: Literal["model", "kind", "service", "session", "user", "day"] = "model",
    project: Project = None,
    start: Start = None,
    end: End = None,
) -> dict[str, Any]:
    """Cost (by type and origin), usage and counts of the spans that started in the range, grouped."""
    rows = await run_in_threadpool(
        queries.costs,
        request.app.state.store,
        project_of(request, project),
        group_by,
        queries.CostFilter(start_ns=to_ns(start), end_ns=to_ns(end)),
    )
    groups = [
        {
            "key": row["key"],
            "cost": money(row["cost"]),
            "cost_by_type": money_map(row["cost_by_type"]),
            "cost_by_origin": {
                origin: money(row[f"cost_{origin}"])
                for origin in ("provided", "inferred", "custom")
                if row[f"cost_{origin}"]
            },
            "usage": {key: int(value) for key, value in sorted(row["usage"].items()) if value},
            "span_count": row["span_count"],
            "trace_count": row["trace_count"],
            "unpriced_span_count": row["unpriced_count"],
            "duplicate_span_count": row["duplicate_count"],
        }
        for row in rows
    ]
    return {
        "group_by": group_by,
        "total": money(sum((Decimal(row["cost"]) for row in rows), Decimal(0))),
        "groups": groups,
    }
