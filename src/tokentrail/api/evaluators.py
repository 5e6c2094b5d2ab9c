"""``/api/v1/evaluators``: LLM-as-judge evaluators (defining or deleting one needs an admin; running one
over traces, ``write``), their recent runs, and runs on request: over given traces (``/run``, synchronous,
at most 100) or over stored traces matching a filter (``/backfill``). See docs/evaluations.md."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from tokentrail.api.scores import score_json
from tokentrail.evaluators import manage
from tokentrail.evaluators.judge import Run, Target
from tokentrail.evaluators.offline import backfill_targets
from tokentrail.params import Limit, Money, Project, Time, project_of, to_ns
from tokentrail.store import evaluators as stored
from tokentrail.store.sql import TraceFilter

__all__ = ["router"]

router = APIRouter(tags=["evaluators"])

#: Most traces one ``/run`` call judges (it answers when all are judged).
MAX_RUN_TRACES = 100
#: Most traces one backfill judges.
MAX_BACKFILL_TRACES = 1000


class FilterBody(BaseModel):
    """Which traces an evaluator judges online (every field optional), as trace lists filter them."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(description="Text in the trace's name")] = ""
    service: str = ""
    tag: str = ""
    model: str = ""
    has_error: bool | None = None


class EvaluatorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: str | None = Field(
        None, description="The evaluator's project (default: the key's, or the server's)"
    )
    name: str
    provider: Literal["openai", "anthropic"] = "openai"
    base_url: str = Field(
        "", description="Any OpenAI-compatible endpoint, or Anthropic's (default: the provider's)"
    )
    model: str
    api_key: str = Field("", description="Stored; shown masked only")
    api_key_env: str = Field("", description="Or: the server environment variable holding the key")
    prompt: str = Field(
        description="Template: {{input}}, {{output}}, {{context}}, {{expected}}, {{metadata.<key>}}"
    )
    score_name: str
    data_type: Literal["numeric", "boolean", "categorical"] = "numeric"
    categories: list[str] = Field(default_factory=list)
    filter: FilterBody = FilterBody()
    sample_rate: Annotated[Decimal, Field(ge=0, le=1)] = Decimal(1)
    daily_budget_usd: Money = Field(
        Decimal(0), description="USD of online judge calls per UTC day; 0: no limit"
    )
    enabled: bool = True
    quiet_s: int = Field(
        30, ge=0, description="Seconds a trace must go without a new span before it is judged"
    )


class TargetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trace_id: str = Field(min_length=1)
    span_id: str = ""
    expected: Any = None


class RunBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    traces: list[TargetBody] = Field(min_length=1, max_length=MAX_RUN_TRACES)
    experiment_id: str = ""


class BackfillBody(FilterBody):
    start: Time | None = Field(None, description="Traces that started at or after (ISO time)")
    end: Time | None = Field(None, description="Traces that started before (ISO time)")
    limit: int = Field(100, ge=1, le=MAX_BACKFILL_TRACES)
    rejudge: bool = Field(False, description="Judge traces the evaluator has judged before again")


def _runs_json(runs: list[Run]) -> dict[str, Any]:
    return {
        "scores": [score_json(run.score) for run in runs if run.score is not None],
        "runs": [
            {"trace_id": run.target.trace_id, "run_id": run.run_id, "cost": run.cost, "error": run.error}
            for run in runs
        ],
    }


@router.get("/evaluators", summary="List evaluators")
async def list_evaluators(request: Request, project: Project = None) -> dict[str, Any]:
    found = await run_in_threadpool(
        manage.list_evaluators, request.app.state.store, project_of(request, project)
    )
    return {"evaluators": [manage.evaluator_json(evaluator) for evaluator in found]}


@router.post("/evaluators", summary="Define an evaluator (again)", status_code=201)
async def define_evaluator(request: Request, body: EvaluatorBody) -> dict[str, Any]:
    """Defining a name again replaces its definition; its runs and scores stay."""
    values = body.model_dump(exclude={"project", "filter"})
    values.update({f"filter_{key}": value for key, value in body.filter.model_dump().items()})
    project = project_of(request, body.project)
    evaluator = await run_in_threadpool(manage.save_evaluator, request.app.state.store, project, values)
    return manage.evaluator_json(evaluator)


@router.get("/evaluators/{name}", summary="One evaluator with its recent runs")
async def get_evaluator(
    request: Request,
    name: str,
    project: Project = None,
    limit: Annotated[Limit, Query(description="How many runs, the latest first")] = 50,
) -> dict[str, Any]:
    store, chosen = request.app.state.store, project_of(request, project)

    def read() -> dict[str, Any]:
        evaluator = manage.read_evaluator(store, chosen, name)
        runs = stored.run_rows(store, chosen, name, limit=limit)
        return {**manage.evaluator_json(evaluator), "runs": runs, "mark": stored.mark_of(store, chosen, name)}

    return await run_in_threadpool(read)


@router.delete("/evaluators/{name}", summary="Delete an evaluator")
async def delete_evaluator(request: Request, name: str, project: Project = None) -> dict[str, Any]:
    """No more online judging; its runs and scores stay."""
    evaluator = await run_in_threadpool(
        manage.delete_evaluator, request.app.state.store, project_of(request, project), name
    )
    return manage.evaluator_json(evaluator)


@router.post("/evaluators/{name}/run", summary="Judge the given traces now")
async def run_evaluator(
    request: Request, name: str, body: RunBody, project: Project = None
) -> dict[str, Any]:
    """Synchronous: answers once every trace is judged, with the scores given and one run per trace (its
    judge trace, what the call cost, and the error if it failed: ``trace not found`` for a trace not
    stored yet)."""
    store, chosen = request.app.state.store, project_of(request, project)
    targets = [Target(sent.trace_id, sent.span_id, sent.expected) for sent in body.traces]

    def judge() -> list[Run]:
        evaluator = manage.read_evaluator(store, chosen, name)
        return request.app.state.judge.judge(evaluator, targets, mode="run", experiment_id=body.experiment_id)

    return _runs_json(await run_in_threadpool(judge))


@router.post("/evaluators/{name}/backfill", summary="Judge stored traces matching a filter")
async def backfill(
    request: Request, name: str, body: BackfillBody, project: Project = None
) -> dict[str, Any]:
    """The stored traces matching the filter, latest first, up to ``limit`` (those judged before are left
    out unless ``rejudge``); answers with counts, the total cost, the scores and the runs."""
    store, chosen = request.app.state.store, project_of(request, project)
    where = TraceFilter(
        start_ns=to_ns(body.start),
        end_ns=to_ns(body.end),
        name=body.name or None,
        service=body.service or None,
        tag=body.tag or None,
        model=body.model or None,
        has_error=body.has_error,
    )

    def judge() -> list[Run]:
        evaluator = manage.read_evaluator(store, chosen, name)
        targets = backfill_targets(store, evaluator, where, body.limit, rejudge=body.rejudge)
        return request.app.state.judge.judge(evaluator, targets, mode="backfill") if targets else []

    runs = await run_in_threadpool(judge)
    return {
        "judged": len(runs),
        "scored": sum(run.score is not None for run in runs),
        "errors": sum(bool(run.error) for run in runs),
        "cost": sum((run.cost for run in runs), Decimal(0)),
        **_runs_json(runs),
    }
