"""Evaluators (migration 14): their definitions, one run row per trace (or span) judged, and each one's
online watermark and pause; plus the reads the online watch and the pages need from the spans: the traces
that arrived and went quiet, and what the judge calls cost (the spans of the evaluator service).

Definitions and marks are one row version per change, the newest read with ``FINAL``. A run row is keyed
by (project, evaluator, trace, span), so judging a trace again replaces its run, as its score is replaced.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tokentrail.semconv.common import EVALUATION_EVALUATOR, EVALUATOR_SERVICE
from tokentrail.store.database import Store
from tokentrail.store.sql import TraceFilter, trace_conditions
from tokentrail.store.summaries import summarized

__all__ = [
    "EVALUATOR_COLUMNS",
    "RUN_COLUMNS",
    "evaluation_spend",
    "evaluator_rows",
    "judge_costs",
    "judged",
    "mark_of",
    "quiet_traces",
    "run_rows",
    "save_evaluator",
    "save_mark",
    "save_runs",
    "spend_by_service",
]

EVALUATOR_COLUMNS = (
    "project",
    "name",
    "provider",
    "base_url",
    "model",
    "api_key",
    "api_key_env",
    "prompt",
    "score_name",
    "data_type",
    "categories",
    "filter_name",
    "filter_service",
    "filter_tag",
    "filter_model",
    "filter_has_error",
    "sample_rate",
    "daily_budget_usd",
    "enabled",
    "quiet_s",
    "created_ns",
    "deleted_ns",
)
RUN_COLUMNS = (
    "project",
    "evaluator",
    "trace_id",
    "span_id",
    "run_id",
    "score_id",
    "value",
    "string_value",
    "cost",
    "error",
    "mode",
    "created_ns",
)
_MARK_COLUMNS = ("project", "evaluator", "watermark_ns", "paused_day", "paused_reason")


def evaluator_rows(store: Store, project: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
    """The evaluators not deleted, of one project (or every project), by name."""
    given = {column: value for column, value in {"project": project, "name": name}.items() if value}
    where = "".join(f" AND {column} = {{{column}:String}}" for column in given)
    return store.query_dicts(
        f"SELECT {', '.join(EVALUATOR_COLUMNS)} FROM evaluators FINAL WHERE deleted_ns = 0{where} "
        "ORDER BY project, name",
        given,
    )


def save_evaluator(store: Store, row: dict[str, Any]) -> None:
    _insert(store, "evaluators", EVALUATOR_COLUMNS, [row])


def save_runs(store: Store, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        _insert(store, "evaluator_runs", RUN_COLUMNS, rows)


def run_rows(
    store: Store, project: str, evaluator: str | None = None, *, limit: int = 50
) -> list[dict[str, Any]]:
    """The latest runs of one evaluator (or of every one in the project), newest first."""
    params: dict[str, Any] = {"project": project, "limit": limit}
    where = "project = {project:String}"
    if evaluator:
        params["evaluator"] = evaluator
        where += " AND evaluator = {evaluator:String}"
    return store.query_dicts(
        f"SELECT {', '.join(RUN_COLUMNS)} FROM evaluator_runs FINAL WHERE {where} "
        "ORDER BY created_ns DESC, trace_id LIMIT {limit:UInt32}",
        params,
    )


def judged(store: Store, project: str, evaluator: str, trace_ids: Sequence[str]) -> set[str]:
    """Which of these traces the evaluator has a run on already (scored or failed)."""
    if not trace_ids:
        return set()
    rows = store.query(
        "SELECT DISTINCT trace_id FROM evaluator_runs WHERE project = {project:String} "
        "AND evaluator = {evaluator:String} AND trace_id IN {ids:Array(String)}",
        {"project": project, "evaluator": evaluator, "ids": list(trace_ids)},
    )
    return {row[0] for row in rows}


def mark_of(store: Store, project: str, evaluator: str) -> dict[str, Any] | None:
    """The evaluator's online watermark and pause, if it has run online before."""
    rows = store.query_dicts(
        f"SELECT {', '.join(_MARK_COLUMNS)} FROM evaluator_marks FINAL WHERE project = {{project:String}} "
        "AND evaluator = {evaluator:String}",
        {"project": project, "evaluator": evaluator},
    )
    return rows[0] if rows else None


def save_mark(store: Store, row: dict[str, Any]) -> None:
    _insert(store, "evaluator_marks", _MARK_COLUMNS, [row])


def quiet_traces(
    store: Store, project: str, where: TraceFilter, *, after_ns: int, quiet_before_ns: int, limit: int
) -> list[tuple[str, int]]:
    """Traces matching ``where`` with a span stored after ``after_ns`` and none after ``quiet_before_ns``
    (by the server's arrival time), each with its last arrival, the earliest first; never the evaluator
    service's own traces."""
    params: dict[str, Any] = {
        "project": project,
        "after": after_ns,
        "quiet": quiet_before_ns,
        "limit": limit,
        "own": EVALUATOR_SERVICE,
    }
    conditions, needed = trace_conditions(where, params)
    matching = " AND ".join(["NOT has(t_services, {own:String})", *conditions])
    return [
        (trace_id, int(last))
        for trace_id, last in store.query(
            "SELECT trace_id, max(ingested_ns) AS last FROM spans PREWHERE project = {project:String} "
            "WHERE ingested_ns > {after:Int64} AND trace_id IN "
            f"(SELECT trace_id FROM ({summarized(['t_services', *needed])}) WHERE {matching}) "
            "GROUP BY trace_id HAVING last <= {quiet:Int64} ORDER BY last, trace_id LIMIT {limit:UInt32}",
            params,
        )
    ]


def _evaluation_spans(params: dict[str, Any]) -> str:
    params.update(own=EVALUATOR_SERVICE, attribute=EVALUATION_EVALUATOR)
    return "project = {project:String} AND service = {own:String}"


def evaluation_spend(store: Store, project: str, evaluator: str, since_ns: int) -> Decimal:
    """What the evaluator's judge calls that started at or after ``since_ns`` cost."""
    params: dict[str, Any] = {"project": project, "evaluator": evaluator, "since": since_ns}
    rows = store.query(
        f"SELECT sum(cost_total) FROM spans FINAL WHERE {_evaluation_spans(params)} "
        "AND attributes[{attribute:String}] = {evaluator:String} AND start_ns >= {since:Int64}",
        params,
    )
    return Decimal(rows[0][0] or 0)


def judge_costs(store: Store, project: str, run_ids: Sequence[str]) -> dict[str, Decimal]:
    """The cost of each judge trace (by its trace id) the store holds."""
    if not run_ids:
        return {}
    params: dict[str, Any] = {"project": project, "ids": list(run_ids)}
    rows = store.query(
        f"SELECT trace_id, sum(cost_total) FROM spans FINAL WHERE {_evaluation_spans(params)} "
        "AND trace_id IN {ids:Array(String)} GROUP BY trace_id",
        params,
    )
    return {trace_id: Decimal(cost) for trace_id, cost in rows}


def spend_by_service(
    store: Store, project: str, start_ns: int, end_ns: int | None = None
) -> dict[str, Decimal]:
    """The cost of the spans that started in ``[start_ns, end_ns)``: ``evaluation`` (the evaluator
    service's judge calls) and ``app`` (everything else)."""
    params: dict[str, Any] = {"project": project, "start": start_ns, "end": end_ns or 2**63 - 1}
    _evaluation_spans(params)
    rows = store.query(
        "SELECT service = {own:String} AS evaluation, sum(cost_total) FROM spans FINAL "
        "WHERE project = {project:String} AND start_ns >= {start:Int64} AND start_ns < {end:Int64} "
        "AND duplicate_of = '' GROUP BY evaluation",
        params,
    )
    spend = {"app": Decimal(0), "evaluation": Decimal(0)}
    for evaluation, cost in rows:
        spend["evaluation" if evaluation else "app"] = Decimal(cost)
    return spend


def _insert(store: Store, table: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    now = time.time_ns()
    values = [[*(row[column] for column in columns), now] for row in rows]
    store.client().insert(table, values, column_names=[*columns, "updated_ns"])
