"""``/api/v1/usage-stats``: how much a project traces and what a span takes on disk."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from tokentrail.documents.usage import usage_json
from tokentrail.errors import BadRequest
from tokentrail.params import Project, Time, project_of, to_ns
from tokentrail.store.usage import span_storage, traced_volume

__all__ = ["DEFAULT_WINDOW", "router"]

router = APIRouter(tags=["usage"])

#: The window read when no ``since`` is given: the last seven days.
DEFAULT_WINDOW = timedelta(days=7)


@router.get("/usage-stats", summary="Traces per day, spans per trace and bytes per span on disk")
async def get_usage_stats(
    request: Request,
    project: Project = None,
    since: Annotated[
        Time | None, Query(description="ISO 8601 time; the window starts there (default: 7 days ago)")
    ] = None,
) -> dict[str, Any]:
    """The project's traces whose spans started from ``since`` until now, per day, with their spans per
    trace (mean and median); and the compressed bytes a span takes in the store's spans table (every
    project's rows together, so a ratio and no totals)."""
    end_ns = time.time_ns()
    start_ns = end_ns - int(DEFAULT_WINDOW.total_seconds() * 10**9) if since is None else to_ns(since)
    if start_ns >= end_ns:
        raise BadRequest("'since' must be in the past")
    store = request.app.state.store
    volume = await run_in_threadpool(traced_volume, store, project_of(request, project), start_ns, end_ns)
    storage = await run_in_threadpool(span_storage, store)
    return usage_json(start_ns, end_ns, volume, storage)
