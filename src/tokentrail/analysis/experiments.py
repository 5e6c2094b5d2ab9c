"""Experiments side by side: for each item of their dataset, each experiment's run (output, error, scores)
with its trace's cost, tokens and latency, and per experiment the totals and means.

Runs are aligned by dataset item; an item an experiment did not run has no run in its column. Cost and
tokens are the run's trace's (:func:`tokentrail.store.traces.trace_rows`), so the LLM calls made inside
the app function count, priced at ingest. Latency is the run's own time (the app function's call).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tokentrail.documents.encoding import tokens
from tokentrail.errors import BadRequest, NotFound
from tokentrail.money import exact, sum_money
from tokentrail.store.database import Store
from tokentrail.store.datasets import DatasetItem, read_items
from tokentrail.store.experiments import Experiment, ExperimentRun, experiment_by_id, read_runs, run_scores
from tokentrail.store.traces import trace_rows

__all__ = [
    "MAX_COMPARED",
    "ComparedItem",
    "Comparison",
    "ExperimentTotals",
    "RunFacts",
    "compare",
    "compared_experiments",
]

#: Most experiments side by side.
MAX_COMPARED = 5
#: Places a mean amount of money keeps (those of a stored amount).
_MONEY_PLACES = Decimal(10) ** -18


@dataclass(frozen=True, slots=True)
class RunFacts:
    """One run with what it cost and how it was judged."""

    run: ExperimentRun
    #: Each score's newest value by its name (as :func:`~tokentrail.store.experiments.run_scores` reads it).
    scores: dict[str, dict[str, Any]]
    cost: Decimal
    tokens: int
    usage: dict[str, int]

    @property
    def latency_ns(self) -> int:
        return max(0, self.run.ended_ns - self.run.started_ns)


@dataclass(frozen=True, slots=True)
class ComparedItem:
    """One dataset item and each experiment's run of it (None where an experiment has none)."""

    item: DatasetItem
    runs: list[RunFacts | None]


@dataclass(slots=True)
class ExperimentTotals:
    """What one experiment's runs add up to."""

    experiment: Experiment
    runs: int = 0
    errors: int = 0
    tokens: int = 0
    latency_ns: int = 0
    costs: list[Decimal] = field(default_factory=list)
    #: Each numeric or boolean score's values, by score name.
    score_values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, facts: RunFacts) -> None:
        self.runs += 1
        self.errors += bool(facts.run.error)
        self.costs.append(facts.cost)
        self.tokens += facts.tokens
        self.latency_ns += facts.latency_ns
        for name, score in facts.scores.items():
            if score["value"] is not None and score["data_type"] != "categorical":
                self.score_values.setdefault(name, []).append(score["value"])

    @property
    def cost(self) -> Decimal:
        return sum_money(self.costs)

    @property
    def mean_cost(self) -> Decimal:
        with exact():
            return (self.cost / self.runs).quantize(_MONEY_PLACES) if self.runs else Decimal(0)

    @property
    def mean_latency_ns(self) -> int:
        return self.latency_ns // self.runs if self.runs else 0

    @property
    def mean_tokens(self) -> float:
        return self.tokens / self.runs if self.runs else 0.0

    def score_means(self) -> dict[str, float]:
        return {name: sum(values) / len(values) for name, values in sorted(self.score_values.items())}


@dataclass(frozen=True, slots=True)
class Comparison:
    """Experiments of one dataset, item by item, with each one's totals (in the order asked)."""

    experiments: list[Experiment]
    items: list[ComparedItem]
    totals: list[ExperimentTotals]


def _facts(store: Store, project: str, runs: Sequence[ExperimentRun]) -> dict[tuple[str, str], RunFacts]:
    """Each run's facts, by (experiment id, item id)."""
    traces = {
        row["trace_id"]: row for row in trace_rows(store, project, [r.trace_id for r in runs if r.trace_id])
    }
    scores: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    # Oldest first: a score given again under the same name keeps its newest value.
    for score in run_scores(store, project, sorted({run.experiment_id for run in runs})):
        scores[score["trace_id"]][score["name"]] = score
    facts = {}
    for run in runs:
        trace = traces.get(run.trace_id)
        counts = dict(trace["usage"]) if trace else {}
        cost = trace["cost"] if trace else Decimal(0)
        facts[run.experiment_id, run.item_id] = RunFacts(
            run, scores.get(run.trace_id, {}), Decimal(cost), tokens(counts), counts
        )
    return facts


def compared_experiments(store: Store, project: str, ids: Sequence[str]) -> list[Experiment]:
    """The experiments ``ids`` names (1 to :data:`MAX_COMPARED`, of one dataset), in that order."""
    if not 1 <= len(ids) <= MAX_COMPARED:
        raise BadRequest(f"ids: give 1 to {MAX_COMPARED} experiment ids, not {len(ids)}")
    experiments = []
    for experiment_id in ids:
        experiment = experiment_by_id(store, project, experiment_id)
        if experiment is None:
            raise NotFound(f"no experiment {experiment_id!r} in project {project!r}")
        experiments.append(experiment)
    if len({experiment.dataset_id for experiment in experiments}) > 1:
        raise BadRequest("ids: experiments compared must be of one dataset")
    return experiments


def compare(store: Store, project: str, experiments: Sequence[Experiment]) -> Comparison:
    """``experiments`` (of one dataset, see :func:`compared_experiments`) side by side, item by item in
    the dataset's order."""
    items = read_items(store, project, experiments[0].dataset_id) if experiments else []
    facts = _facts(store, project, read_runs(store, project, [experiment.id for experiment in experiments]))
    totals = [ExperimentTotals(experiment) for experiment in experiments]
    compared = []
    for item in items:
        runs = [facts.get((experiment.id, item.id)) for experiment in experiments]
        for total, run in zip(totals, runs, strict=True):
            if run is not None:
                total.add(run)
        compared.append(ComparedItem(item, runs))
    return Comparison(list(experiments), compared, totals)
