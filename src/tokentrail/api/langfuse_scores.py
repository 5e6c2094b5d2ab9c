"""Scores from the Langfuse SDK: ``POST /api/public/scores`` (5.x, a JSON array) and ``score-create``
events on ``POST /api/public/ingestion`` (4.x), stored with :func:`tokentrail.store.scores.save_scores`
before the answer.

Each score is judged alone: one that cannot be kept is reported, the others are stored. The answers are
the ones the SDK reads: 202 ``{"message": "Accepted"}`` when all were kept, else 207 with the counts and
each error; ingestion answers 207 with a result per event, and an event of another type (traces and
observations come over OTel now) is an error that says so, never a silent success.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from tokentrail.api.encoding import ExactJSONResponse
from tokentrail.api.langfuse import ERRORS, LangfuseRoute, langfuse_project
from tokentrail.ingest.langfuse_scores import LangfuseScore, problems, to_score
from tokentrail.store.database import Store
from tokentrail.store.score_configs import ConfigCheck
from tokentrail.store.scores import Score, save_scores, trace_of_span

__all__ = ["SDK_NAME_HEADER", "router"]

router = APIRouter(tags=["langfuse"], route_class=LangfuseRoute, responses=ERRORS)

#: Sent by the Langfuse SDKs: a score that names no source was given through one.
SDK_NAME_HEADER = "x-langfuse-sdk-name"
#: The ingestion event that carries a score.
SCORE_EVENT = "score-create"
#: Most items one request may carry (the SDK sends at most 1 MiB of scores at once).
MAX_ITEMS = 10_000


class IngestionEvent(BaseModel):
    """One event of a 4.x ingestion batch."""

    id: str = Field(max_length=200)
    type: str
    timestamp: str = ""
    body: dict[str, Any] = Field(default_factory=dict)


class IngestionBatch(BaseModel):
    """A 4.x ingestion request."""

    batch: list[IngestionEvent] = Field(max_length=MAX_ITEMS)
    metadata: Any = None


@router.post("/api/public/scores", summary="Add scores from the Langfuse SDK", status_code=202)
async def post_langfuse_scores(
    request: Request, body: Annotated[list[dict[str, Any]], Body(max_length=MAX_ITEMS)]
) -> Response:
    """Store the scores; 202 when every one was kept, else 207 with what was refused and why."""
    reader = _ScoreReader(request)
    scores, errors = [], []
    for sent in body:
        try:
            scores.append(await reader.score(sent))
        except ValueError as exc:
            errors.append({"message": str(exc)})
    await run_in_threadpool(save_scores, reader.store, scores)
    if not errors:
        return ExactJSONResponse({"message": "Accepted"}, status_code=202)
    return ExactJSONResponse({"accepted": len(scores), "rejected": len(errors), "errors": errors}, 207)


@router.post("/api/public/ingestion", summary="Take score events from the Langfuse SDK 4.x", status_code=207)
async def post_ingestion(request: Request, body: IngestionBatch) -> Response:
    """Store each ``score-create`` event's score; answer 207 with a result per event."""
    reader = _ScoreReader(request)
    scores: list[Score] = []
    successes, errors = [], []
    for event in body.batch:
        try:
            if event.type != SCORE_EVENT:
                raise ValueError(
                    f"tokentrail takes only {SCORE_EVENT} events here, not {event.type!r}: send traces and "
                    "observations over OTel to /api/public/otel/v1/traces (Langfuse SDK 3 or later)"
                )
            # A 4.x score has no time of its own: its event's is when it was given.
            timed = {"timestamp": event.timestamp} if event.timestamp else {}
            scores.append(await reader.score({**timed, **event.body}))
            successes.append({"id": event.id, "status": 201})
        except ValueError as exc:
            errors.append({"id": event.id, "status": 400, "message": str(exc), "error": str(exc)})
    await run_in_threadpool(save_scores, reader.store, scores)
    return ExactJSONResponse({"successes": successes, "errors": errors}, status_code=207)


class _ScoreReader:
    """Turns sent scores into the request's project's scores."""

    def __init__(self, request: Request) -> None:
        self.store: Store = request.app.state.store
        self.project = langfuse_project(request)
        self.default_source = "sdk" if SDK_NAME_HEADER in request.headers else "api"
        self.check = ConfigCheck(self.store)

    async def score(self, sent: object) -> Score:
        """``sent`` as a score; raise ValueError saying what is wrong with it."""
        try:
            read = LangfuseScore.model_validate(sent)
        except ValidationError as exc:
            raise ValueError(problems(exc.errors())) from None
        trace_id = read.trace_id or ""
        if read.observation_id and not trace_id:
            found = await run_in_threadpool(trace_of_span, self.store, self.project, read.observation_id)
            if found is None:
                raise ValueError(f"no observation {read.observation_id!r} in project {self.project!r}")
            trace_id = found
        score = to_score(read, self.project, trace_id=trace_id, default_source=self.default_source)
        misfit = await run_in_threadpool(self.check.misfit, score)
        if misfit is not None:
            raise ValueError(misfit)
        return score
