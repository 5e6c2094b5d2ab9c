"""Offline evaluation: which stored traces a backfill judges (the judging itself is the same as online,
:class:`~tokentrail.evaluators.judge.Judge`)."""

from __future__ import annotations

from tokentrail.evaluators.definition import Evaluator
from tokentrail.evaluators.judge import Target
from tokentrail.semconv.common import EVALUATOR_SERVICE
from tokentrail.store import evaluators as stored
from tokentrail.store.database import Store
from tokentrail.store.sql import TraceFilter
from tokentrail.store.traces import traces

__all__ = ["backfill_targets"]


def backfill_targets(
    store: Store, evaluator: Evaluator, where: TraceFilter, limit: int, *, rejudge: bool = False
) -> list[Target]:
    """Up to ``limit`` stored traces matching ``where``, the latest first: never an evaluation's own trace,
    and not one the evaluator judged before unless ``rejudge``."""
    found: list[str] = []
    cursor = None
    while len(found) < limit:
        page = traces(store, evaluator.project, where, limit=limit, cursor=cursor)
        ids = [row["trace_id"] for row in page.items if EVALUATOR_SERVICE not in row["services"]]
        done = set() if rejudge else stored.judged(store, evaluator.project, evaluator.name, ids)
        found += [trace_id for trace_id in ids if trace_id not in done]
        cursor = page.next_cursor
        if cursor is None:
            break
    return [Target(trace_id) for trace_id in found[:limit]]
