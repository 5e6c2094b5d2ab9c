"""Evaluators as the API, the CLI and the pages see them: defined (again), read and deleted in one project,
and shown without their key."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from tokentrail.errors import NotFound
from tokentrail.evaluators.definition import Evaluator, masked, new_evaluator
from tokentrail.store import evaluators as stored
from tokentrail.store.database import Store

__all__ = ["delete_evaluator", "evaluator_json", "list_evaluators", "read_evaluator", "save_evaluator"]


def list_evaluators(store: Store, project: str) -> list[Evaluator]:
    return [Evaluator.from_row(row) for row in stored.evaluator_rows(store, project)]


def read_evaluator(store: Store, project: str, name: str) -> Evaluator:
    rows = stored.evaluator_rows(store, project, name)
    if not rows:
        raise NotFound(f"no evaluator {name!r} in project {project!r}")
    return Evaluator.from_row(rows[0])


def save_evaluator(store: Store, project: str, values: dict[str, Any]) -> Evaluator:
    """Define an evaluator, or define one of that name again (its runs and scores stay)."""
    evaluator = new_evaluator(project, **values)
    stored.save_evaluator(store, evaluator.row())
    return evaluator


def delete_evaluator(store: Store, project: str, name: str) -> Evaluator:
    """No more online judging; its runs and scores stay."""
    evaluator = read_evaluator(store, project, name)
    stored.save_evaluator(store, {**evaluator.row(), "deleted_ns": time.time_ns()})
    return evaluator


def evaluator_json(evaluator: Evaluator) -> dict[str, Any]:
    """An evaluator as the API shows it: its key masked, never in clear."""
    document = asdict(evaluator)
    document["api_key"] = masked(evaluator.api_key)
    document["categories"] = list(evaluator.categories)
    for private in ("deleted_ns",):
        document.pop(private)
    return document
