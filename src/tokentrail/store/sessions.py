"""Reads of sessions (conversations): paged session lists with their totals, one session's traces."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypedDict, cast

from tokentrail.store.database import Store
from tokentrail.store.sql import (
    MONEY_SUM_TYPE,
    InvalidQuery,
    Page,
    TraceFilter,
    aggregates,
    decode_cursor,
    encode_cursor,
    trace_conditions,
)
from tokentrail.store.summaries import any_summary_where, summarized
from tokentrail.store.trace_scores import score_badges
from tokentrail.store.traces import TRACE_COLUMNS, TRACE_ROW_AGGREGATES, TraceRow

__all__ = ["SESSION_SORTS", "SessionRow", "SessionTraceRow", "session_traces", "sessions"]


class SessionRow(TypedDict):
    """One session with its totals over its traces, as a list shows it."""

    session_id: str
    trace_count: int
    first_ns: int
    last_ns: int
    cost: Decimal
    cost_by_type: dict[str, Decimal]
    usage: dict[str, int]
    error_count: int
    span_count: int
    #: "" when no trace names one.
    user_id: str


class SessionTraceRow(TraceRow):
    """One trace of a session, with its cost by type and its root span's input and output."""

    cost_by_type: dict[str, Decimal]
    input: str
    output: str


#: Sort keys for session lists, newest activity or costliest first: API name -> result column, its
#: ClickHouse type and the Python type of a cursor value.
SESSION_SORTS: dict[str, tuple[str, str, type]] = {
    "time": ("last_ns", "Int64", int),
    "cost": ("cost", MONEY_SUM_TYPE, Decimal),
}


def sessions(
    store: Store,
    project: str,
    *,
    start_ns: int | None = None,
    end_ns: int | None = None,
    user_id: str | None = None,
    sort: str = "time",
    limit: int = 50,
    cursor: str | None = None,
) -> Page[SessionRow]:
    """Sessions with their trace count and totals, most recently active (or costliest) first.

    Two steps over the traces' summaries, as for traces: pick the page's sessions from the few
    aggregates the sort and filters need, then total those sessions alone.
    """
    if sort not in SESSION_SORTS:
        raise InvalidQuery(f"sort must be one of {', '.join(SESSION_SORTS)}, got {sort!r}")
    column, column_type, value_type = SESSION_SORTS[sort]
    params: dict[str, Any] = {"project": project, "limit": limit + 1}
    # As in trace lists, a trace is in range by its start.
    filters, filtered = trace_conditions(
        TraceFilter(start_ns=start_ns, end_ns=end_ns, user_id=user_id or None), params
    )
    conditions = ["t_session != ''", *filters]
    having = []
    cursor_sort = f"session-{sort}"
    if cursor:
        value, session_id = decode_cursor(cursor, cursor_sort, column_type, value_type)
        params["cursor_value"], params["cursor_id"] = value_type(value), session_id
        having.append(f"({column}, session_id) < ({{cursor_value:{column_type}}}, {{cursor_id:String}})")
    sort_value = {"last_ns": "max(t_end)", "cost": "sum(t_cost)"}[column]
    picked = ["t_session", "t_end" if column == "last_ns" else "t_cost", *filtered]
    page = store.query(
        f"SELECT t_session AS session_id, {sort_value} AS {column} FROM ({summarized(picked)}) "
        f"WHERE {' AND '.join(conditions)} GROUP BY t_session"
        + (" HAVING " + " AND ".join(having) if having else "")
        + f" ORDER BY {column} DESC, session_id DESC LIMIT {{limit:UInt32}}",
        params,
    )
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        next_cursor = encode_cursor(cursor_sort, page[-1][1], page[-1][0])
    if not page:
        return Page([], next_cursor)
    params["ids"] = [session_id for session_id, _ in page]
    in_page = "t_session IN {ids:Array(String)}"
    needed = [
        "t_session",
        "t_user",
        "t_start",
        "t_end",
        "t_cost",
        "t_cost_by_type",
        "t_usage",
        "t_errors",
        "t_spans",
    ]
    rows = store.query_dicts(
        "SELECT t_session AS session_id, count() AS trace_count, min(t_start) AS first_ns, "
        "max(t_end) AS last_ns, sum(t_cost) AS cost, sumMap(t_cost_by_type) AS cost_by_type, "
        "sumMap(t_usage) AS usage, "
        "sum(t_errors) AS error_count, sum(t_spans) AS span_count, "
        "argMinIf(t_user, t_start, t_user != '') AS user_id "
        f"FROM ({summarized(needed, any_summary_where(in_page))}) "
        f"WHERE {in_page} AND {' AND '.join(conditions)} GROUP BY t_session",
        params,
    )
    by_session = {row["session_id"]: cast(SessionRow, row) for row in rows}
    return Page([by_session[session_id] for session_id, _ in page], next_cursor)


def session_traces(store: Store, project: str, session_id: str) -> list[SessionTraceRow]:
    """The traces of one session in the order they started, with their root spans' input and output and
    their scores."""
    params: dict[str, Any] = {"project": project, "session_id": session_id}
    in_session = "t_session = {session_id:String}"
    needed = [*TRACE_ROW_AGGREGATES, "t_cost_by_type"]
    rows = store.query_dicts(
        f"SELECT {TRACE_COLUMNS}, t_cost_by_type AS cost_by_type "
        f"FROM ({summarized(needed, any_summary_where(in_session))}) "
        f"WHERE {in_session} ORDER BY t_start, trace_id",
        params,
    )
    if not rows:
        return []
    # The root spans' payloads are no summary's (they can be large): read from those traces' spans alone.
    params["ids"] = [row["trace_id"] for row in rows]
    payloads = {
        trace_id: (root_input, root_output)
        for trace_id, root_input, root_output in store.query(
            f"SELECT trace_id, {aggregates(['t_input', 't_output'])} FROM spans FINAL "
            "PREWHERE project = {project:String} AND trace_id IN {ids:Array(String)} GROUP BY trace_id",
            params,
        )
    }
    badges = score_badges(store, project, params["ids"])
    for row in rows:
        row["input"], row["output"] = payloads[row["trace_id"]]
        row["scores"] = badges[row["trace_id"]]
    return cast(list[SessionTraceRow], rows)
