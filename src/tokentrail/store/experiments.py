"""Experiments: an app function run on every item of a dataset, each run a trace of its own (migration 15).

An experiment is named within its dataset; a run is keyed by (experiment, item), so running an item again
replaces its run. A run's output and error are the function's result (JSON text) and exception; its cost,
tokens and latency are its trace's, read from the spans.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tokentrail.store.database import Store

__all__ = [
    "EXPERIMENT_COLUMNS",
    "RUN_COLUMNS",
    "Experiment",
    "ExperimentRun",
    "experiment_by_id",
    "experiment_by_name",
    "read_experiments",
    "read_runs",
    "run_scores",
    "save_experiment",
    "save_runs",
]

EXPERIMENT_COLUMNS = ("project", "id", "name", "dataset_id", "metadata", "created_ns")
RUN_COLUMNS = ("project", "experiment_id", "item_id", "trace_id", "output", "error", "started_ns", "ended_ns")


@dataclass(slots=True)
class Experiment:
    """A named run of an app over one dataset."""

    project: str
    name: str
    dataset_id: str
    metadata: dict[str, str] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_ns: int = field(default_factory=time.time_ns)

    def __post_init__(self) -> None:
        if not (self.name and self.dataset_id):
            raise ValueError("an experiment needs a name and its dataset")


@dataclass(slots=True)
class ExperimentRun:
    """One call of the app function on one item: its trace, output (JSON text) or error, and times."""

    project: str
    experiment_id: str
    item_id: str
    trace_id: str = ""
    output: str = ""
    error: str = ""
    started_ns: int = 0
    ended_ns: int = 0


def save_experiment(store: Store, experiment: Experiment) -> None:
    """Store ``experiment`` (replacing the version with its id)."""
    row = tuple(getattr(experiment, column) for column in EXPERIMENT_COLUMNS)
    store.client().insert(
        "experiments", [(*row, time.time_ns())], column_names=[*EXPERIMENT_COLUMNS, "updated_ns"]
    )


def _experiments(store: Store, project: str, condition: str, params: dict[str, Any]) -> list[Experiment]:
    rows = store.query_dicts(
        f"SELECT {', '.join(EXPERIMENT_COLUMNS)} FROM experiments FINAL WHERE project = {{project:String}} "
        f"{condition} ORDER BY created_ns DESC, id",
        {"project": project, **params},
    )
    return [Experiment(**{**row, "metadata": dict(row["metadata"])}) for row in rows]


def read_experiments(store: Store, project: str, dataset_id: str | None = None) -> list[Experiment]:
    """The project's experiments (of one dataset when given), newest first."""
    if dataset_id is None:
        return _experiments(store, project, "", {})
    return _experiments(store, project, "AND dataset_id = {dataset:String}", {"dataset": dataset_id})


def experiment_by_id(store: Store, project: str, experiment_id: str) -> Experiment | None:
    """The experiment with this id, None when there is none."""
    found = _experiments(store, project, "AND id = {id:String}", {"id": experiment_id})
    return found[0] if found else None


def experiment_by_name(store: Store, project: str, dataset_id: str, name: str) -> Experiment | None:
    """The newest experiment of this name on this dataset, None when there is none."""
    found = _experiments(
        store,
        project,
        "AND dataset_id = {dataset:String} AND name = {name:String}",
        {"dataset": dataset_id, "name": name},
    )
    return found[0] if found else None


def save_runs(store: Store, runs: Sequence[ExperimentRun]) -> int:
    """Store ``runs`` (a run of an item already run replaces it); returns how many."""
    if runs:
        now = time.time_ns()
        rows = [(*(getattr(run, column) for column in RUN_COLUMNS), now) for run in runs]
        store.client().insert("experiment_runs", rows, column_names=[*RUN_COLUMNS, "updated_ns"])
    return len(runs)


def read_runs(store: Store, project: str, experiment_ids: Sequence[str]) -> list[ExperimentRun]:
    """Every run of the given experiments, by experiment, then by start."""
    rows = store.query_dicts(
        f"SELECT {', '.join(RUN_COLUMNS)} FROM experiment_runs FINAL WHERE project = {{project:String}} "
        "AND experiment_id IN {ids:Array(String)} ORDER BY experiment_id, started_ns, item_id",
        {"project": project, "ids": list(experiment_ids)},
    )
    return [ExperimentRun(**row) for row in rows]


def run_scores(store: Store, project: str, experiment_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The scores given in these experiments, oldest first, with only what a comparison shows of them:
    ``trace_id``, ``name``, ``data_type``, ``value``, ``string_value``, ``comment``, ``evaluator``."""
    return store.query_dicts(
        "SELECT trace_id, name, data_type, value, string_value, comment, evaluator FROM scores FINAL "
        "WHERE project = {project:String} AND experiment_id IN {ids:Array(String)} ORDER BY created_ns, id",
        {"project": project, "ids": list(experiment_ids)},
    )
