"""The trace page's annotate form: ``POST /traces/{trace_id}/scores``, a person's score on the trace or on
one of its spans.

The form posts JSON from the page's script, with the session's CSRF token in ``x-csrf-token`` as any
state-changing request made with the sign-in cookie must (:mod:`tokentrail.api.auth`), and needs the
``write`` right. The score's source is ``human``, its author the signed-in key's name; it is checked
against its name's score config as the API checks (:mod:`tokentrail.store.score_configs`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tokentrail.errors import BadRequest, NotFound
from tokentrail.store.database import Store
from tokentrail.store.score_configs import ConfigCheck
from tokentrail.store.scores import Score, save_scores, trace_of_span
from tokentrail.store.traces import trace_stamp
from tokentrail.ui.routes import reading

__all__ = ["Annotation", "router"]

router = APIRouter(include_in_schema=False)


class Annotation(BaseModel):
    """A score given on the trace page: on the trace, or on one of its spans."""

    name: str = Field(min_length=1, max_length=200)
    span_id: str = ""
    data_type: Literal["numeric", "boolean", "categorical"] = "numeric"
    value: float | None = Field(default=None, allow_inf_nan=False)
    string_value: str = ""
    comment: str = Field(default="", max_length=10_000)


@router.post("/traces/{trace_id}/scores", name="annotate")
async def annotate(request: Request, trace_id: str, body: Annotation) -> JSONResponse:
    """Store a human's score on the trace (or its span ``span_id``); 201 with the score, 404 for a trace
    or span the project does not hold, 400 for a score that is none or misfits its config."""
    store, project = reading(request)
    await _check_target(store, project, trace_id, body.span_id)
    principal = getattr(request.state, "principal", None)
    author = (principal.name or principal.key_id) if principal is not None and principal.key_id else ""
    try:
        score = Score(project=project, trace_id=trace_id, source="human", author=author, **body.model_dump())
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    misfit = await run_in_threadpool(ConfigCheck(store).misfit, score)
    if misfit is not None:
        raise BadRequest(misfit)
    await run_in_threadpool(save_scores, store, [score])
    return JSONResponse(asdict(score), status_code=201)


async def _check_target(store: Store, project: str, trace_id: str, span_id: str) -> None:
    if span_id:
        if await run_in_threadpool(trace_of_span, store, project, span_id) != trace_id:
            raise NotFound(f"no span {span_id!r} in trace {trace_id!r}")
    elif (await run_in_threadpool(trace_stamp, store, project, trace_id))[0] == 0:
        raise NotFound(f"no trace {trace_id!r} in project {project!r}")
