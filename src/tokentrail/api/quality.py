"""``/api/v1/quality``: one score against what it cost, per trace name, model, prompt version, experiment
or service (see :mod:`tokentrail.analysis.quality` and :mod:`tokentrail.store.quality`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tokentrail.documents.quality import quality_json
from tokentrail.params import End, Project, Start, project_of, to_ns
from tokentrail.store.quality import read_quality
from tokentrail.store.sql import TraceFilter

__all__ = ["router"]

router = APIRouter(tags=["scores"])


class TraceFilters(BaseModel):
    """The trace list's filters, narrowing the scored traces."""

    name: str | None = Field(None, max_length=1000, description="Part of the trace's name")
    service: str | None = Field(None, max_length=1000, description="A service of the trace")
    model: str | None = Field(None, max_length=1000, description="A model the trace called")
    user: str | None = Field(None, max_length=1000, description="The trace's user")
    session: str | None = Field(None, max_length=1000, description="The trace's session")
    tag: str | None = Field(None, max_length=1000, description="A tag on any span of the trace")


@router.get("/quality", summary="Quality per dollar: a score against cost, per group of traces")
async def get_quality(
    request: Request,
    filters: Annotated[TraceFilters, Query()],
    score: Annotated[str, Query(min_length=1, max_length=200, description="The score's name")],
    by: Literal["name", "model", "prompt", "experiment", "service"] = "model",
    category: Annotated[
        str, Query(max_length=200, description="Categorical scores: the category whose share is the mean")
    ] = "",
    start: Start = None,
    end: End = None,
    project: Project = None,
) -> dict[str, Any]:
    """Per group of the traces scored with ``score`` (the trace's name, its costliest model or prompt
    version, the score's experiment, its service): traces, mean score with a 95% interval, exact cost per
    trace, tokens per trace, median latency and score per dollar; the Pareto frontier marked, and the
    cheaper groups as good as the best (their intervals overlap) said in words."""
    where = TraceFilter(
        start_ns=to_ns(start),
        end_ns=to_ns(end),
        name=filters.name,
        service=filters.service,
        model=filters.model,
        user_id=filters.user,
        session_id=filters.session,
        tag=filters.tag,
    )
    view, labels, _ = await run_in_threadpool(
        read_quality, request.app.state.store, project_of(request, project), score, by, where, category
    )
    return quality_json(view, labels)
