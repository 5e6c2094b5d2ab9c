"""``/api/v1/errors``: the failing traces, grouped by the span where each failure started."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from tokentrail.analysis.failures import failure_groups
from tokentrail.documents.failures import failures_json
from tokentrail.params import End, Limit, Project, Start, project_of, to_ns
from tokentrail.store.sql import CostFilter

__all__ = ["router"]

router = APIRouter(tags=["errors"])


@router.get("/errors", summary="Failing traces, grouped by the span where the failure started")
async def get_errors(
    request: Request,
    project: Project = None,
    start: Start = None,
    end: End = None,
    limit: Annotated[Limit, Query(description="How many groups to list")] = 100,
) -> dict[str, Any]:
    """The traces that started in the range with a failed span, and what they cost, grouped by where the
    failure started: the deepest error span (no error span beneath it), the earliest if there are several.
    Groups with the most traces come first, then the most recently seen."""
    groups = await run_in_threadpool(
        failure_groups,
        request.app.state.store,
        project_of(request, project),
        CostFilter(start_ns=to_ns(start), end_ns=to_ns(end)),
    )
    return failures_json(groups, limit)
