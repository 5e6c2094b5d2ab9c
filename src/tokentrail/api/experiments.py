"""``/api/v1/experiments``: experiments on a dataset, their runs as the SDK records them, and experiments
compared item by item (see :mod:`tokentrail.analysis.experiments`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tokentrail.analysis.experiments import MAX_COMPARED, compare, compared_experiments
from tokentrail.documents.experiments import comparison_json, experiment_json
from tokentrail.errors import NotFound
from tokentrail.params import Project, project_of
from tokentrail.store import experiments as stored
from tokentrail.store.database import Store
from tokentrail.store.datasets import dataset_by_id
from tokentrail.store.experiments import Experiment, ExperimentRun

__all__ = ["router"]

router = APIRouter(tags=["experiments"])


class ExperimentBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    dataset_id: str = Field(min_length=1)
    metadata: dict[str, str] = Field(default_factory=dict)


class RunBody(BaseModel):
    item_id: str = Field(min_length=1)
    trace_id: str = ""
    output: str = Field(default="", description="The app function's result as JSON text")
    error: str = Field(default="", description="Why the app function failed ('' when it did not)")
    started_ns: int = Field(ge=0)
    ended_ns: int = Field(ge=0)


class RunsBody(BaseModel):
    runs: list[RunBody] = Field(min_length=1, max_length=1000)


async def _experiment(request: Request, project: str | None, experiment_id: str) -> tuple[Store, Experiment]:
    """The store and the experiment of that id (404 when there is none)."""
    store, name = request.app.state.store, project_of(request, project)
    found = await run_in_threadpool(compared_experiments, store, name, [experiment_id])
    return store, found[0]


@router.get("/experiments", summary="List experiments")
async def list_experiments(
    request: Request,
    project: Project = None,
    dataset_id: Annotated[str | None, Query(description="Only this dataset's experiments")] = None,
    name: Annotated[str | None, Query(description="Only experiments of this name")] = None,
) -> dict[str, Any]:
    """The project's experiments (of one dataset, of one name), newest first."""
    found = await run_in_threadpool(
        stored.read_experiments, request.app.state.store, project_of(request, project), dataset_id
    )
    return {"experiments": [experiment_json(one) for one in found if name in (None, one.name)]}


@router.post("/experiments", summary="Create an experiment", status_code=201)
async def create_experiment(
    request: Request, body: ExperimentBody, project: Project = None
) -> dict[str, Any]:
    """A new experiment on a stored dataset (404 when there is no such dataset)."""
    store, name = request.app.state.store, project_of(request, project)
    if await run_in_threadpool(dataset_by_id, store, name, body.dataset_id) is None:
        raise NotFound(f"no dataset {body.dataset_id!r} in project {name!r}")
    experiment = Experiment(name, body.name, body.dataset_id, body.metadata)
    await run_in_threadpool(stored.save_experiment, store, experiment)
    return experiment_json(experiment)


@router.get("/experiments/compare", summary="Experiments side by side, item by item")
async def compare_experiments(
    request: Request,
    ids: Annotated[
        str, Query(description=f"1 to {MAX_COMPARED} experiment ids of one dataset, comma-separated")
    ],
    project: Project = None,
) -> dict[str, Any]:
    """Per dataset item each experiment's output, error, scores, cost, tokens and latency; per experiment
    its totals and means. Cost and tokens are the run's trace's."""
    store, name = request.app.state.store, project_of(request, project)
    wanted = [one.strip() for one in ids.split(",") if one.strip()]
    experiments = await run_in_threadpool(compared_experiments, store, name, wanted)
    return comparison_json(await run_in_threadpool(compare, store, name, experiments))


@router.get("/experiments/{experiment_id}", summary="One experiment with its runs")
async def get_experiment(request: Request, experiment_id: str, project: Project = None) -> dict[str, Any]:
    """The experiment, each item of its dataset with its run (null when not run yet), and its totals."""
    store, experiment = await _experiment(request, project, experiment_id)
    comparison = await run_in_threadpool(compare, store, experiment.project, [experiment])
    document = comparison_json(comparison)
    return {
        **document["experiments"][0],
        "items": [{"item": row["item"], "run": row["runs"][0]} for row in document["items"]],
        "totals": document["totals"][0],
    }


@router.post("/experiments/{experiment_id}/runs", summary="Record runs of an experiment", status_code=201)
async def record_runs(
    request: Request, experiment_id: str, body: RunsBody, project: Project = None
) -> dict[str, Any]:
    """Store each run of an item (replacing an earlier run of that item)."""
    store, experiment = await _experiment(request, project, experiment_id)
    runs = [ExperimentRun(experiment.project, experiment.id, **run.model_dump()) for run in body.runs]
    return {"recorded": await run_in_threadpool(stored.save_runs, store, runs)}
