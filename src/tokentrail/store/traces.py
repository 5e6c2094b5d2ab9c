"""Reads of traces: paged trace lists with their totals, one trace's spans, one span's payloads."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypedDict, cast

from tokentrail.store.database import Store
from tokentrail.store.sql import (
    MONEY_SUM_TYPE,
    InvalidQuery,
    Page,
    TraceFilter,
    by_trace,
    decode_cursor,
    encode_cursor,
    span_matches,
    trace_conditions,
)
from tokentrail.store.summaries import summarized
from tokentrail.store.trace_scores import (
    SCORE_SORT_PREFIX,
    ScoreBadge,
    score_badges,
    score_filter,
    score_sort,
)

__all__ = [
    "PAYLOAD_COLUMNS",
    "TRACE_COLUMNS",
    "TRACE_ROW_AGGREGATES",
    "TRACE_SORTS",
    "TraceRow",
    "span_payloads",
    "spans_of_traces",
    "trace_rows",
    "trace_spans",
    "trace_stamp",
    "traces",
]


class TraceRow(TypedDict):
    """One trace with its totals, as a list shows it."""

    trace_id: str
    name: str
    start_ns: int
    end_ns: int
    duration_ns: int
    span_count: int
    usage: dict[str, int]
    cost: Decimal
    error_count: int
    unpriced_count: int
    #: "" when no span names one.
    session_id: str
    user_id: str
    service: str
    services: list[str]
    models: list[str]
    #: 1 when no span of the trace is a root (its root has not arrived, or never will), else 0.
    root_missing: int
    #: Its scores by name.
    scores: list[ScoreBadge]


# The columns of a trace row (TraceRow), as aggregates.
_TRACE_ROW = {
    "name": "t_name",
    "start_ns": "t_start",
    "end_ns": "t_end",
    "duration_ns": "t_duration",
    "span_count": "t_spans",
    "usage": "t_usage",
    "cost": "t_cost",
    "error_count": "t_errors",
    "unpriced_count": "t_unpriced",
    "session_id": "t_session",
    "user_id": "t_user",
    "service": "t_service",
    "services": "t_services",
    "models": "t_models",
}
#: The select list of a :class:`TraceRow` over the aggregates :data:`TRACE_ROW_AGGREGATES` (their
#: summaries, :func:`~tokentrail.store.summaries.summarized`, or :func:`~tokentrail.store.sql.per_trace`).
TRACE_COLUMNS = ", ".join(
    ["trace_id", *(f"{agg} AS {name}" for name, agg in _TRACE_ROW.items()), "t_roots = 0 AS root_missing"]
)
TRACE_ROW_AGGREGATES = [*_TRACE_ROW.values(), "t_roots"]

#: Sort keys for trace lists: API name -> aggregate column, its ClickHouse type and the Python type of
#: a cursor value.
TRACE_SORTS: dict[str, tuple[str, str, type]] = {
    "time": ("t_start", "Int64", int),
    "cost": ("t_cost", MONEY_SUM_TYPE, Decimal),
    "duration": ("t_duration", "Int64", int),
}


def traces(
    store: Store,
    project: str,
    where: TraceFilter,
    *,
    sort: str = "time",
    descending: bool = True,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[TraceRow]:
    """One page of traces matching ``where``, sorted (by a column of :data:`TRACE_SORTS`, or by a score:
    ``score:<name>``), continuing after ``cursor``; each row with its scores.

    Two steps over the traces' summaries: pick the page's trace ids reading only the aggregates the
    filters and the sort need, then read every column for just those traces (a primary-key lookup).
    """
    params: dict[str, Any] = {"project": project, "limit": limit + 1}
    join = ""
    value_type: type = float
    if sort.startswith(SCORE_SORT_PREFIX) and len(sort) > len(SCORE_SORT_PREFIX):
        join, column = score_sort(sort.removeprefix(SCORE_SORT_PREFIX), descending, params)
        column_type, read = "Float64", ["t_start"]
    elif sort in TRACE_SORTS:
        column, column_type, value_type = TRACE_SORTS[sort]
        read = [column]
    else:
        raise InvalidQuery(f"sort must be one of {', '.join(TRACE_SORTS)} or score:<name>, got {sort!r}")
    span_where = span_matches(where, params) + score_filter(where.scores, params)
    conditions, needed = trace_conditions(where, params)
    if cursor:
        value, trace_id = decode_cursor(cursor, sort, column_type, value_type)
        params["cursor_value"], params["cursor_id"] = value_type(value), trace_id
        op = "<" if descending else ">"
        conditions.append(f"({column}, trace_id) {op} ({{cursor_value:{column_type}}}, {{cursor_id:String}})")
    direction = "DESC" if descending else "ASC"
    summaries = summarized([*read, *needed], span_where)
    page_sql = (
        f"SELECT trace_id, {column} AS sort_value FROM ({summaries}) AS t{join}"
        + (" WHERE " + " AND ".join(conditions) if conditions else "")
        + f" ORDER BY sort_value {direction}, trace_id {direction} LIMIT {{limit:UInt32}}"
    )
    page = store.query(page_sql, params)
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        next_cursor = encode_cursor(sort, page[-1][1], page[-1][0])
    rows = {row["trace_id"]: row for row in trace_rows(store, project, [trace_id for trace_id, _ in page])}
    return Page([rows[trace_id] for trace_id, _ in page if trace_id in rows], next_cursor)


def trace_rows(store: Store, project: str, trace_ids: list[str]) -> list[TraceRow]:
    """The rows of the given traces, as :func:`traces` lists them (in no particular order), with their
    scores."""
    if not trace_ids:
        return []
    only = "AND trace_id IN {ids:Array(String)}"
    sql = f"SELECT {TRACE_COLUMNS} FROM ({summarized(TRACE_ROW_AGGREGATES, only)})"
    rows = store.query_dicts(sql, {"project": project, "ids": trace_ids})
    badges = score_badges(store, project, [row["trace_id"] for row in rows])
    return [cast(TraceRow, {**row, "scores": badges[row["trace_id"]]}) for row in rows]


# The span rows trees are built from. Each read below picks its rows by key alone, in PREWHERE (see
# tokentrail.store.sql: the rows of one trace are read and merged, not every row beside them).
_TREE_SPANS = "SELECT * EXCEPT (ingested_ns), end_ns - start_ns AS duration_ns FROM spans FINAL "
#: What a span carries besides its facts and numbers: read for one span's detail, not for a whole tree.
PAYLOAD_COLUMNS = ("input", "output", "attributes", "resource", "events", "metadata")
# One trace's rows leave out what is the same on each (the project and trace asked for) and what no tree
# reads (the root's name, on every row): 100,000 spans are read value by value.
_ONE_TRACE = "ingested_ns, project, trace_id, trace_name"
_TRACE_SPANS = f"SELECT * EXCEPT ({_ONE_TRACE}), end_ns - start_ns AS duration_ns FROM spans FINAL "
# The same rows without their payloads, keeping only the attributes asked for (by name).
_TRACE_SPANS_WITHOUT_PAYLOADS = (
    f"SELECT * EXCEPT ({_ONE_TRACE}, {', '.join(PAYLOAD_COLUMNS)}), end_ns - start_ns AS duration_ns, "
    "mapFilter((k, v) -> has({kept_attributes:Array(String)}, k), attributes) AS attributes "
    "FROM spans FINAL "
)


def trace_spans(
    store: Store,
    project: str,
    trace_id: str,
    *,
    payloads: bool = True,
    kept_attributes: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Every span of one trace, earliest first, without the project, trace id and trace name; without
    ``payloads``, spans lack :data:`PAYLOAD_COLUMNS` but for the ``kept_attributes`` (a 2,000-span trace's
    payloads can be many megabytes that a tree does not show)."""
    params: dict[str, Any] = {"project": project, "trace_id": trace_id}
    select = _TRACE_SPANS
    if not payloads:
        select = _TRACE_SPANS_WITHOUT_PAYLOADS
        params["kept_attributes"] = list(kept_attributes)
    return store.query_dicts(
        select + "PREWHERE project = {project:String} AND trace_id = {trace_id:String} "
        "ORDER BY start_ns, span_id",
        params,
    )


def trace_stamp(store: Store, project: str, trace_id: str) -> tuple[int, int]:
    """A fingerprint of one trace's stored rows (their count and the sum of their arrival times): it changes
    whenever a span is added or rewritten (priced again, marked a duplicate, each a row with a later
    ``ingested_ns``), so a tree built from the trace can be kept until then. A merge changes it too."""
    rows = store.query(
        "SELECT count(), sum(ingested_ns) FROM spans PREWHERE project = {project:String} "
        "AND trace_id = {trace_id:String}",
        {"project": project, "trace_id": trace_id},
    )
    return int(rows[0][0]), int(rows[0][1])


def span_payloads(store: Store, project: str, trace_id: str, span_id: str) -> dict[str, Any] | None:
    """The :data:`PAYLOAD_COLUMNS` of one span, or None when there is no such span."""
    rows = store.query_dicts(
        f"SELECT {', '.join(PAYLOAD_COLUMNS)} FROM spans FINAL PREWHERE project = {{project:String}} "
        "AND trace_id = {trace_id:String} AND span_id = {span_id:String}",
        {"project": project, "trace_id": trace_id, "span_id": span_id},
    )
    return rows[0] if rows else None


def spans_of_traces(store: Store, project: str, trace_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every span of the given traces, as :func:`trace_spans` reads them, by trace id."""
    return by_trace(
        store,
        _TREE_SPANS + "PREWHERE project = {project:String} AND trace_id IN {ids:Array(String)} "
        "ORDER BY trace_id, start_ns, span_id",
        project,
        trace_ids,
    )
