"""``/api/v1/scores/summary``: each score's distribution over time (see
:mod:`tokentrail.analysis.score_summary`)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from tokentrail.analysis.score_summary import score_summaries
from tokentrail.documents.score_summary import score_summary_json
from tokentrail.params import Project, Time, project_of, to_ns

__all__ = ["DEFAULT_WINDOW_NS", "router"]

router = APIRouter(tags=["scores"])

#: The window read when no ``start`` is given: the last seven days.
DEFAULT_WINDOW_NS = 7 * 86_400 * 10**9


@router.get("/scores/summary", summary="Each score's distribution over time")
async def get_score_summary(
    request: Request,
    start: Annotated[Time | None, Query(description="Scores given at or after this ISO time")] = None,
    end: Annotated[Time | None, Query(description="Scores given before this ISO time")] = None,
    buckets: Annotated[int, Query(ge=1, le=200, description="At most this many time buckets")] = 24,
    project: Project = None,
) -> dict[str, Any]:
    """Per score name (and type), the scores given in the window (default: the last 7 days): how many,
    per source and evaluator, and per time bucket (every bucket, empty ones too) their mean and median
    (numeric), share true (boolean) or count per category (categorical); a numeric score's histogram."""
    end_ns = time.time_ns() if end is None else to_ns(end)
    start_ns = end_ns - DEFAULT_WINDOW_NS if start is None else to_ns(start)
    width_s, summaries = await run_in_threadpool(
        score_summaries, request.app.state.store, project_of(request, project), start_ns, end_ns, buckets
    )
    return score_summary_json(start_ns, end_ns, width_s, summaries)
