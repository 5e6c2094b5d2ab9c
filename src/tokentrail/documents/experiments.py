"""Datasets and experiments as documents: a dataset and its items, an experiment, and experiments
compared item by item (money as exact strings)."""

from __future__ import annotations

from typing import Any

from tokentrail.analysis.experiments import Comparison, ExperimentTotals, RunFacts
from tokentrail.documents.encoding import iso, money, usage
from tokentrail.json_text import parsed
from tokentrail.store.datasets import Dataset, DatasetItem
from tokentrail.store.experiments import Experiment

__all__ = ["comparison_json", "dataset_json", "experiment_json", "item_json", "totals_json"]


def dataset_json(dataset: Dataset) -> dict[str, Any]:
    return {
        "id": dataset.id,
        "name": dataset.name,
        "description": dataset.description,
        "item_count": dataset.item_count,
        "created_at": iso(dataset.created_ns),
    }


def item_json(item: DatasetItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "dataset_id": item.dataset_id,
        "input": parsed(item.input),
        "expected_output": parsed(item.expected_output),
        "metadata": dict(sorted(item.metadata.items())),
        "source_trace_id": item.source_trace_id or None,
        "source_span_id": item.source_span_id or None,
        "created_at": iso(item.created_ns),
    }


def experiment_json(experiment: Experiment) -> dict[str, Any]:
    return {
        "id": experiment.id,
        "name": experiment.name,
        "dataset_id": experiment.dataset_id,
        "metadata": dict(sorted(experiment.metadata.items())),
        "created_at": iso(experiment.created_ns),
    }


def _score_value(score: dict[str, Any]) -> Any:
    return score["string_value"] if score["data_type"] == "categorical" else score["value"]


def run_json(facts: RunFacts | None) -> dict[str, Any] | None:
    if facts is None:
        return None
    run = facts.run
    return {
        "trace_id": run.trace_id or None,
        "output": parsed(run.output),
        "error": run.error or None,
        "scores": {
            name: {"value": _score_value(score), "comment": score["comment"], "evaluator": score["evaluator"]}
            for name, score in sorted(facts.scores.items())
        },
        "cost": money(facts.cost),
        "tokens": facts.tokens,
        "usage": usage(facts.usage),
        "latency_ms": facts.latency_ns / 1e6,
        "started_at": iso(run.started_ns),
    }


def totals_json(totals: ExperimentTotals) -> dict[str, Any]:
    return {
        "experiment_id": totals.experiment.id,
        "runs": totals.runs,
        "errors": totals.errors,
        "cost": money(totals.cost),
        "mean_cost": money(totals.mean_cost),
        "tokens": totals.tokens,
        "mean_tokens": totals.mean_tokens,
        "mean_latency_ms": totals.mean_latency_ns / 1e6,
        "score_means": totals.score_means(),
    }


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    """Experiments side by side: ``items[i].runs[j]`` is experiment ``j``'s run of item ``i``."""
    return {
        "experiments": [experiment_json(experiment) for experiment in comparison.experiments],
        "items": [
            {"item": item_json(compared.item), "runs": [run_json(run) for run in compared.runs]}
            for compared in comparison.items
        ],
        "totals": [totals_json(totals) for totals in comparison.totals],
    }
