"""The parts of LangSmith runs (a run's post and its patch) kept in the ``langsmith_runs`` table
(migration 9), so a patch that arrives later, or at another server, merges with its post into one span.

A part is one row per (project, run id, post|patch): the run as sent, its text already redacted. Reads
pick each key's newest version by ``received_ns`` (the table's version column) without ``FINAL``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from tokentrail.store.database import Store

__all__ = ["RunPart", "project_of_run", "read_run_parts", "save_run_parts"]

_COLUMNS = ("project", "run_id", "op", "trace_id", "body", "received_ns")


@dataclass(frozen=True, slots=True)
class RunPart:
    """One stored part: the run's post or patch as sent (redacted)."""

    run_id: str
    op: str
    trace_id: str
    run: dict[str, Any]


def read_run_parts(store: Store, project: str, run_ids: Sequence[str]) -> dict[str, dict[str, RunPart]]:
    """The stored parts of ``run_ids`` in ``project``: run id -> op -> part."""
    if not run_ids:
        return {}
    rows = store.query(
        "SELECT run_id, op, argMax(trace_id, received_ns), argMax(body, received_ns) FROM langsmith_runs "
        "WHERE project = {project:String} AND run_id IN {run_ids:Array(String)} GROUP BY run_id, op",
        {"project": project, "run_ids": list(run_ids)},
    )
    parts: dict[str, dict[str, RunPart]] = {}
    for run_id, op, trace_id, body in rows:
        parts.setdefault(run_id, {})[op] = RunPart(run_id, op, trace_id, orjson.loads(body))
    return parts


def save_run_parts(store: Store, project: str, parts: Iterable[RunPart]) -> int:
    """Store ``parts`` (a new version of any stored with the same run id and op); returns how many."""
    now = time.time_ns()
    rows = [
        (project, part.run_id, part.op, part.trace_id, orjson.dumps(part.run).decode(), now) for part in parts
    ]
    if rows:
        store.client().insert("langsmith_runs", rows, column_names=list(_COLUMNS))
    return len(rows)


def project_of_run(store: Store, run_id: str) -> str | None:
    """The project a run's parts were stored in, if any (feedback sent with an admin key names none)."""
    rows = store.query(
        "SELECT project FROM langsmith_runs WHERE run_id = {run_id:String} LIMIT 1", {"run_id": run_id}
    )
    return rows[0][0] if rows else None
