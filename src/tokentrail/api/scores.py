"""``/api/v1/scores``: judgements of quality on traces, spans and sessions (see
:mod:`tokentrail.store.scores`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tokentrail.errors import BadRequest, NotFound
from tokentrail.params import Limit, Project, project_of
from tokentrail.store.score_configs import ConfigCheck
from tokentrail.store.scores import Score, read_scores, save_scores, trace_of_span

__all__ = ["ScoreBody", "router"]

router = APIRouter(tags=["scores"])


class ScoreBody(BaseModel):
    """A score as sent to ``POST /api/v1/scores``: on a trace, a span (its trace is found if not given)
    or a session."""

    name: str = Field(min_length=1, max_length=200)
    trace_id: str = ""
    span_id: str = ""
    session_id: str = ""
    data_type: Literal["numeric", "boolean", "categorical"] = "numeric"
    value: float | None = Field(default=None, allow_inf_nan=False)
    string_value: str = ""
    source: Literal["api", "human", "evaluator", "sdk"] = "api"
    comment: str = ""
    author: str = ""
    metadata: dict[str, str] = Field(default_factory=dict)
    evaluator: str = Field(default="", description="The evaluator that gave the score")
    run_id: str = Field(default="", description="The evaluation's run (its trace id when it was traced)")
    experiment_id: str = Field(default="", description="The experiment the score was given in")
    id: str | None = Field(default=None, description="Give an id to replace that score later")


def score_json(score: Score) -> dict[str, Any]:
    """A score as the API shows it."""
    return asdict(score)


@router.get("/scores", summary="List scores")
async def list_scores(
    request: Request,
    project: Project = None,
    trace_id: str | None = None,
    span_id: str | None = None,
    session_id: str | None = None,
    name: str | None = None,
    evaluator: str | None = None,
    experiment_id: str | None = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """The project's scores matching every filter given, newest first."""
    scores = await run_in_threadpool(
        read_scores,
        request.app.state.store,
        project_of(request, project),
        trace_id=trace_id,
        span_id=span_id,
        session_id=session_id,
        name=name,
        evaluator=evaluator,
        experiment_id=experiment_id,
        limit=limit,
    )
    return {"scores": [score_json(score) for score in scores]}


@router.post("/scores", summary="Add scores", status_code=201)
async def post_scores(request: Request, body: list[ScoreBody], project: Project = None) -> dict[str, Any]:
    """Store scores; a score on a span whose trace is not given goes to the span's trace (404 if no
    stored span has that id). A score whose name has a live config must fit it (else 400, nothing
    stored)."""
    project = project_of(request, project)
    store = request.app.state.store
    scores = []
    for sent in body:
        fields = sent.model_dump(exclude_none=True)
        if sent.span_id and not sent.trace_id:
            trace_id = await run_in_threadpool(trace_of_span, store, project, sent.span_id)
            if trace_id is None:
                raise NotFound(f"no span {sent.span_id!r} in project {project!r}")
            fields["trace_id"] = trace_id
        try:
            scores.append(Score(project=project, **fields))
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
    check = ConfigCheck(store)
    misfits = await run_in_threadpool(
        lambda: [problem for score in scores if (problem := check.misfit(score))]
    )
    if misfits:
        raise BadRequest("; ".join(misfits))
    await run_in_threadpool(save_scores, store, scores)
    return {"scores": [score_json(score) for score in scores]}
