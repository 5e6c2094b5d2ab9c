"""``tokentrail.experiment(dataset, fn, evaluators=...)``: an app function run on every item of a dataset,
each call a trace of its own, its output judged by evaluators, everything recorded on the server.

Each call of ``fn(input)`` runs in a thread pool inside a root span carrying the experiment, dataset and
item (``tokentrail.experiment.id`` ...), so the LLM calls it makes (instrumented) land in that trace and
are priced. An item is recorded as soon as its call and its code evaluators are done, so a crash loses
nothing recorded; run again with the same name, an experiment resumes, skipping the items already run.
An exception in ``fn`` is that item's error, never the experiment's. Server (LLM-judge) evaluators run
once every trace has been sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry.trace import Status, StatusCode, format_trace_id

from tokentrail.sdk import capture, configure
from tokentrail.sdk.api import request
from tokentrail.sdk.attributes import (
    DATASET_ID,
    DATASET_ITEM_ID,
    EXPERIMENT_ID,
    EXPERIMENT_NAME,
    INPUT,
    OUTPUT,
)
from tokentrail.sdk.datasets import Dataset, Item
from tokentrail.sdk.datasets import dataset as named_dataset
from tokentrail.sdk.evaluators import (
    CodeEvaluator,
    EvaluatorFunction,
    Judged,
    code_scores,
    judge_scores,
    resolve,
)

__all__ = ["ExperimentResult", "Run", "experiment"]


@dataclass
class Run:
    """One item's call: its output or error, its trace, and the scores its evaluators gave."""

    item: Item
    trace_id: str
    output: Any = None
    error: str = ""
    scores: dict[str, Any] = field(default_factory=dict)
    #: Evaluators that failed on it, each with its error.
    evaluator_errors: dict[str, str] = field(default_factory=dict)


@dataclass
class ExperimentResult:
    """What an experiment did in this call: its runs, and how many items an earlier call had run."""

    id: str
    name: str
    dataset: Dataset
    runs: list[Run]
    skipped: int = 0

    @property
    def errors(self) -> list[Run]:
        return [run for run in self.runs if run.error]

    def score_means(self) -> dict[str, float]:
        """Each numeric or boolean score's mean over this call's runs."""
        values: dict[str, list[float]] = {}
        for run in self.runs:
            for name, value in run.scores.items():
                if isinstance(value, int | float):
                    values.setdefault(name, []).append(float(value))
        return {name: sum(found) / len(found) for name, found in sorted(values.items())}


def _started(
    dataset_id: str, name: str, metadata: Mapping[str, str], resume: bool
) -> tuple[str, list[dict[str, Any]]]:
    """The experiment's id and the items it ran already, each with its run (resumed), or a new one's."""
    if resume:
        found = request("GET", "/api/v1/experiments", params={"dataset_id": dataset_id, "name": name})
        if found["experiments"]:
            experiment_id = found["experiments"][0]["id"]
            document = request("GET", f"/api/v1/experiments/{experiment_id}")
            return experiment_id, [row for row in document["items"] if row["run"] is not None]
    body = {"name": name, "dataset_id": dataset_id, "metadata": dict(metadata)}
    return request("POST", "/api/v1/experiments", json=body)["id"], []


def _unjudged(earlier: list[dict[str, Any]], evaluator_name: str) -> list[Judged]:
    """The runs an interrupted call recorded that the evaluator has not scored yet (it runs last)."""
    return [
        Judged(
            row["run"]["trace_id"], row["item"]["input"], row["run"]["output"], row["item"]["expected_output"]
        )
        for row in earlier
        if not row["run"]["error"]
        and not any(score["evaluator"] == evaluator_name for score in row["run"]["scores"].values())
    ]


@dataclass(frozen=True)
class _Runner:
    """Runs one item: the call in its root span, its code evaluators, then its record on the server."""

    fn: Callable[[Any], Any]
    experiment_id: str
    name: str
    dataset_id: str
    evaluators: list[CodeEvaluator]

    def __call__(self, item: Item) -> Run:
        setup = configure.installed()
        assert setup is not None, "experiment checked init was called"
        rules = capture.current()
        attributes = {
            EXPERIMENT_ID: self.experiment_id,
            EXPERIMENT_NAME: self.name,
            DATASET_ID: self.dataset_id,
            DATASET_ITEM_ID: item.id,
            INPUT: rules.text(item.input),
        }
        started = time.time_ns()
        span_name = getattr(self.fn, "__name__", "experiment run")
        with setup.tracer.start_as_current_span(
            span_name, attributes=attributes, record_exception=False
        ) as span:
            run = Run(item, format_trace_id(span.get_span_context().trace_id))
            try:
                run.output = self.fn(item.input)
                span.set_attribute(OUTPUT, rules.text(run.output))
            except Exception as exc:  # the item's error, never the experiment's
                run.error = f"{type(exc).__name__}: {exc}"
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, run.error))
        ended = time.time_ns()
        if not run.error:
            self._judge(run)
        record = {
            "item_id": item.id,
            "trace_id": run.trace_id,
            "output": "" if run.error else rules.json(run.output),
            "error": run.error,
            "started_ns": started,
            "ended_ns": ended,
        }
        request("POST", f"/api/v1/experiments/{self.experiment_id}/runs", json={"runs": [record]})
        return run

    def _judge(self, run: Run) -> None:
        judged = Judged(run.trace_id, run.item.input, run.output, run.item.expected_output)
        scores, run.evaluator_errors = code_scores(self.evaluators, judged, experiment_id=self.experiment_id)
        if scores:
            request("POST", "/api/v1/scores", json=scores)
        run.scores.update(_values(scores))


def _values(scores: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Each score's value (a category for a categorical one) by its name."""
    return {
        score["name"]: score["string_value"] if score["data_type"] == "categorical" else score["value"]
        for score in scores
    }


def _run_all(runner: _Runner, items: list[Item], concurrency: int) -> list[Run]:
    """Each item's run, ``concurrency`` at a time; interrupted (Ctrl-C, a crash), the items not started
    are not run (those recorded stay recorded)."""
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="tokentrail-experiment")
    try:
        futures = [pool.submit(runner, item) for item in items]
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def experiment(
    dataset: Dataset | str,
    fn: Callable[[Any], Any],
    *,
    evaluators: Iterable[CodeEvaluator | EvaluatorFunction | str] = (),
    name: str | None = None,
    concurrency: int = 4,
    metadata: Mapping[str, str] | None = None,
    resume: bool = True,
) -> ExperimentResult:
    """Run ``fn`` on every item of ``dataset`` (a dataset, or its name) ``concurrency`` at a time and judge
    each output; see the module's description. Without ``name``, the experiment is named after ``fn``
    and the time."""
    if configure.installed() is None:
        raise RuntimeError("call tokentrail.init(...) first: the experiment's runs are traced")
    chosen = named_dataset(dataset) if isinstance(dataset, str) else dataset
    name = name or f"{getattr(fn, '__name__', 'experiment')} {datetime.now(UTC):%Y-%m-%d %H:%M:%S}"
    code, server = resolve(evaluators)
    experiment_id, earlier = _started(chosen.id, name, metadata or {}, resume)
    done = {row["item"]["id"] for row in earlier}
    items = [item for item in chosen.items() if item.id not in done]
    runner = _Runner(fn, experiment_id, name, chosen.id, code)
    runs = _run_all(runner, items, concurrency)
    configure.flush()
    judged = [
        Judged(run.trace_id, run.item.input, run.output, run.item.expected_output)
        for run in runs
        if not run.error
    ]
    by_trace = {run.trace_id: run for run in runs}
    for evaluator_name in server:
        wanted = judged + _unjudged(earlier, evaluator_name)
        if not wanted:
            continue
        scores, errors = judge_scores(evaluator_name, wanted, experiment_id=experiment_id)
        for score in scores:
            if score["trace_id"] in by_trace:
                by_trace[score["trace_id"]].scores.update(_values([score]))
        for trace_id, error in errors.items():
            if trace_id in by_trace:
                by_trace[trace_id].evaluator_errors[evaluator_name] = error
    return ExperimentResult(experiment_id, name, chosen, runs, len(done))
