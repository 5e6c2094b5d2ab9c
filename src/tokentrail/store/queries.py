"""Every read the API makes, as parameterized ClickHouse SQL over ``spans``.

Trace-level facts (name, session, user, totals) are aggregated from the spans at query time, never
written back onto child rows: a child span without a session id still counts toward its trace's
session, and a root span that arrives after its children changes the answer the moment it lands.
``FINAL`` makes a re-sent span (same project, trace and span id) count once.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tokentrail.errors import BadRequest
from tokentrail.store.database import Store

__all__ = [
    "COST_GROUPS",
    "TRACE_SORTS",
    "CostFilter",
    "Page",
    "TraceFilter",
    "call_nodes",
    "cost_total",
    "costs",
    "session_traces",
    "sessions",
    "trace_spans",
    "traces",
    "unpriced",
]

# Per-trace aggregates, by name. Session, user and service prefer the root span, then the earliest span
# that has one; the name prefers an explicit trace name, then the root's span name, then the earliest
# span's. A query computes only the aggregates it needs: over a million spans, that is the difference.
_ROOT_FIRST = "(parent_span_id != '', start_ns)"
_AGGREGATES: dict[str, str] = {
    "t_start": "min(start_ns)",
    "t_end": "max(end_ns)",
    "t_duration": "max(end_ns) - min(start_ns)",
    "t_spans": "count()",
    # A span repeating a call another span of the trace already reports is shown but not counted.
    "t_cost": "sumIf(cost_total, duplicate_of = '')",
    "t_usage": "sumMapIf(usage, duplicate_of = '')",
    "t_cost_by_type": "sumMapIf(cost, duplicate_of = '')",
    "t_errors": "countIf(status = 'error')",
    "t_unpriced": "countIf(unpriced_reason != '')",
    "t_roots": "countIf(parent_span_id = '')",
    "t_name": f"""if(countIf(trace_name != '') > 0,
        argMinIf(trace_name, {_ROOT_FIRST}, trace_name != ''), argMin(name, {_ROOT_FIRST}))""",
    "t_session": f"argMinIf(session_id, {_ROOT_FIRST}, session_id != '')",
    "t_user": f"argMinIf(user_id, {_ROOT_FIRST}, user_id != '')",
    "t_service": f"argMin(service, {_ROOT_FIRST})",
    "t_models": "arrayFilter(m -> m != '', "
    "groupUniqArray(if(response_model != '', response_model, request_model)))",
    "t_services": "groupUniqArray(service)",
    # A trace's tags: the union of its spans' tags.
    "t_tags": "arraySort(groupUniqArrayArray(tags))",
}


def _per_trace(names: Iterable[str], span_where: str = "") -> str:
    """SQL computing the named aggregates per trace of the project (``span_where`` narrows the spans)."""
    columns = ",\n        ".join(f"{_AGGREGATES[name]} AS {name}" for name in dict.fromkeys(names))
    return (
        f"SELECT trace_id, {columns} FROM spans FINAL "
        f"WHERE project = {{project:String}} {span_where} GROUP BY trace_id"
    )


# The columns of a trace row, as the API shows them.
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
    "models": "t_models",
}
_TRACE_COLUMNS = ", ".join(
    ["trace_id", *(f"{agg} AS {name}" for name, agg in _TRACE_ROW.items()), "t_roots = 0 AS root_missing"]
)
_TRACE_ROW_AGGREGATES = [*_TRACE_ROW.values(), "t_roots"]

#: Sort keys for trace lists: API name -> aggregate column, its ClickHouse type and the Python type of
#: a cursor value.
TRACE_SORTS: dict[str, tuple[str, str, type]] = {
    "time": ("t_start", "Int64", int),
    "cost": ("t_cost", "Decimal(38, 18)", Decimal),
    "duration": ("t_duration", "Int64", int),
}

#: Cost groupings: name -> (SQL key expression, the per-trace aggregate it needs or "").
COST_GROUPS: dict[str, tuple[str, str]] = {
    "model": ("if(s.response_model != '', s.response_model, s.request_model)", ""),
    "kind": ("s.kind", ""),
    "service": ("s.service", ""),
    "day": ("toString(toDate(fromUnixTimestamp64Nano(s.start_ns)))", ""),
    "session": ("t.t_session", "t_session"),
    "user": ("t.t_user", "t_user"),
    # A span counts toward every tag of its trace (so tag groups can add up to more than the total);
    # a trace without tags groups under "".
    "tag": ("arrayJoin(if(empty(t.t_tags), [''], t.t_tags))", "t_tags"),
}


@dataclass(frozen=True, slots=True)
class TraceFilter:
    """Which traces a list shows. Times are Unix nanoseconds; a trace is in range by its start."""

    start_ns: int | None = None
    end_ns: int | None = None
    name: str | None = None
    session_id: str | None = None
    user_id: str | None = None
    model: str | None = None
    service: str | None = None
    has_error: bool | None = None
    min_cost: Decimal | None = None
    min_duration_ns: int | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def traces(
    store: Store,
    project: str,
    where: TraceFilter,
    *,
    sort: str = "time",
    descending: bool = True,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """One page of traces matching ``where``, sorted, continuing after ``cursor``.

    Two steps: pick the page's trace ids computing only the aggregates the filters and the sort need,
    then compute every column for just those traces (a primary-key lookup).
    """
    if sort not in TRACE_SORTS:
        raise BadRequest(f"sort must be one of {', '.join(TRACE_SORTS)}, got {sort!r}")
    column, column_type, value_type = TRACE_SORTS[sort]
    params: dict[str, Any] = {"project": project, "limit": limit + 1}
    span_where = _span_window(where.start_ns, where.end_ns, params)
    conditions, needed = _trace_conditions(where, params)
    if cursor:
        value, trace_id = _decode_cursor(cursor, sort)
        params["cursor_value"], params["cursor_id"] = value_type(value), trace_id
        op = "<" if descending else ">"
        conditions.append(f"({column}, trace_id) {op} ({{cursor_value:{column_type}}}, {{cursor_id:String}})")
    direction = "DESC" if descending else "ASC"
    page_sql = (
        f"SELECT trace_id, {column} AS sort_value FROM ({_per_trace([column, *needed], span_where)})"
        + (" WHERE " + " AND ".join(conditions) if conditions else "")
        + f" ORDER BY {column} {direction}, trace_id {direction} LIMIT {{limit:UInt32}}"
    )
    page = store.query(page_sql, params)
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        next_cursor = _encode_cursor(sort, page[-1][1], page[-1][0])
    rows = {row["trace_id"]: row for row in _trace_rows(store, project, [trace_id for trace_id, _ in page])}
    return Page([rows[trace_id] for trace_id, _ in page if trace_id in rows], next_cursor)


def _trace_rows(store: Store, project: str, trace_ids: list[str]) -> list[dict[str, Any]]:
    if not trace_ids:
        return []
    only = "AND trace_id IN {ids:Array(String)}"
    sql = f"SELECT {_TRACE_COLUMNS} FROM ({_per_trace(_TRACE_ROW_AGGREGATES, only)})"
    return store.query_dicts(sql, {"project": project, "ids": trace_ids})


def trace_spans(store: Store, project: str, trace_id: str) -> list[dict[str, Any]]:
    """Every span of one trace, earliest first."""
    return store.query_dicts(
        "SELECT * EXCEPT (ingested_ns), end_ns - start_ns AS duration_ns FROM spans FINAL "
        "WHERE project = {project:String} AND trace_id = {trace_id:String} ORDER BY start_ns, span_id",
        {"project": project, "trace_id": trace_id},
    )


def sessions(
    store: Store,
    project: str,
    *,
    start_ns: int | None = None,
    end_ns: int | None = None,
    user_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """Sessions with their trace count and totals, most recently active first."""
    params: dict[str, Any] = {"project": project, "limit": limit + 1}
    span_where = _span_window(start_ns, end_ns, params)
    conditions = ["t_session != ''"]
    # As in trace lists, a trace is in range by its start.
    if start_ns is not None:
        conditions.append("t_start >= {start_ns:Int64}")
    if end_ns is not None:
        conditions.append("t_start < {end_ns:Int64}")
    if user_id:
        params["user_id"] = user_id
        conditions.append("t_user = {user_id:String}")
    having = []
    if cursor:
        value, session_id = _decode_cursor(cursor, "session")
        params["cursor_value"], params["cursor_id"] = int(value), session_id
        having.append("(last_ns, session_id) < ({cursor_value:Int64}, {cursor_id:String})")
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
    sql = (
        "SELECT t_session AS session_id, count() AS trace_count, min(t_start) AS first_ns, "
        "max(t_end) AS last_ns, sum(t_cost) AS cost, sumMap(t_cost_by_type) AS cost_by_type, "
        "sumMap(t_usage) AS usage, "
        "sum(t_errors) AS error_count, sum(t_spans) AS span_count, "
        f"argMinIf(t_user, t_start, t_user != '') AS user_id FROM ({_per_trace(needed, span_where)}) "
        "WHERE "
        + " AND ".join(conditions)
        + " GROUP BY t_session"
        + (" HAVING " + " AND ".join(having) if having else "")
        + " ORDER BY last_ns DESC, session_id DESC LIMIT {limit:UInt32}"
    )
    rows = store.query_dicts(sql, params)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _encode_cursor("session", rows[-1]["last_ns"], rows[-1]["session_id"])
    return Page(rows, next_cursor)


def session_traces(store: Store, project: str, session_id: str) -> list[dict[str, Any]]:
    """The traces of one session in the order they started."""
    # Only traces with a span naming the session can resolve to it: look at those alone.
    candidates = (
        "AND trace_id IN (SELECT trace_id FROM spans WHERE project = {project:String} "
        "AND session_id = {session_id:String})"
    )
    needed = [*_TRACE_ROW_AGGREGATES, "t_cost_by_type"]
    sql = (
        f"SELECT {_TRACE_COLUMNS}, t_cost_by_type AS cost_by_type FROM ({_per_trace(needed, candidates)}) "
        "WHERE t_session = {session_id:String} ORDER BY t_start, trace_id"
    )
    return store.query_dicts(sql, {"project": project, "session_id": session_id})


def call_nodes(store: Store, project: str, trace_ids: list[str]) -> list[dict[str, Any]]:
    """Span links and LLM usage of the given traces, for recognising one call reported twice."""
    return store.query_dicts(
        "SELECT trace_id, span_id, parent_span_id, request_model, response_model, "
        "if(kind IN ('llm', 'embedding'), usage['input'], 0) AS input, "
        "if(kind IN ('llm', 'embedding'), usage['output'], 0) AS output, duplicate_of, response_id, "
        "start_ns, end_ns "
        "FROM spans FINAL WHERE project = {project:String} AND trace_id IN {ids:Array(String)}",
        {"project": project, "ids": trace_ids},
    )


@dataclass(frozen=True, slots=True)
class CostFilter:
    start_ns: int | None = None
    end_ns: int | None = None


def costs(store: Store, project: str, group_by: str, where: CostFilter) -> list[dict[str, Any]]:
    """Cost, usage and span counts of spans that started in the window, grouped; costliest first."""
    if group_by not in COST_GROUPS:
        raise BadRequest(f"group_by must be one of {', '.join(COST_GROUPS)}, got {group_by!r}")
    key, trace_fact = COST_GROUPS[group_by]
    params: dict[str, Any] = {"project": project}
    window = _span_window(where.start_ns, where.end_ns, params)
    # Only the spans that started in the window count (a trace straddling its edge counts in part).
    started = _started_in(where)
    spans_sql = f"(SELECT * FROM spans FINAL WHERE project = {{project:String}} {started}) AS s"
    if trace_fact:
        # Attribute each span's cost to its trace's session, user or tags, resolved over the whole trace.
        spans_sql += f" INNER JOIN ({_per_trace([trace_fact], window)}) AS t ON s.trace_id = t.trace_id"
    sql = (
        f"SELECT {key} AS key, sumIf(s.cost_total, {_COUNTED}) AS cost, "
        f"sumMapIf(s.cost, {_COUNTED}) AS cost_by_type, sumMapIf(s.usage, {_COUNTED}) AS usage, "
        "count() AS span_count, uniqExact(s.trace_id) AS trace_count, "
        "countIf(s.unpriced_reason != '') AS unpriced_count, "
        f"sumIf(s.cost_total, {_COUNTED} AND s.cost_origin = 'provided') AS cost_provided, "
        f"sumIf(s.cost_total, {_COUNTED} AND s.cost_origin = 'inferred') AS cost_inferred, "
        f"sumIf(s.cost_total, {_COUNTED} AND s.cost_origin = 'custom') AS cost_custom, "
        "countIf(s.duplicate_of != '') AS duplicate_count "
        f"FROM {spans_sql} GROUP BY key ORDER BY cost DESC, key"
    )
    return store.query_dicts(sql, params)


def cost_total(store: Store, project: str, where: CostFilter) -> Decimal:
    """The cost of the spans that started in the window, each counted once."""
    params: dict[str, Any] = {"project": project}
    _span_window(where.start_ns, where.end_ns, params)
    rows = store.query(
        "SELECT sumIf(cost_total, duplicate_of = '') FROM spans FINAL "
        f"WHERE project = {{project:String}} {_started_in(where)}",
        params,
    )
    return Decimal(rows[0][0]) if rows else Decimal(0)


@dataclass(frozen=True, slots=True)
class UnpricedReport:
    #: One row per (reason, provider, model): span and trace counts, first and last span start, usage
    #: and up to five trace ids (the latest first).
    groups: list[dict[str, Any]]
    #: One row per reason: span and trace counts, first and last span start.
    reasons: list[dict[str, Any]]
    #: The same over every unpriced span.
    total: dict[str, Any]


_MODEL = "if(response_model != '', response_model, request_model)"


def unpriced(store: Store, project: str, where: CostFilter) -> UnpricedReport:
    """The counted spans that started in the window and could not be priced, by reason, provider, model.

    Reasons are whatever the spans carry, so a reason added to pricing needs no change here. Spans left
    out of every total as a repeat of another span's call are left out here too.
    """
    params: dict[str, Any] = {"project": project}
    _span_window(where.start_ns, where.end_ns, params)
    spans_where = (
        "FROM spans FINAL WHERE project = {project:String} AND unpriced_reason != '' "
        f"AND duplicate_of = '' {_started_in(where)}"
    )
    per_trace = (
        f"SELECT unpriced_reason AS reason, provider, {_MODEL} AS model, trace_id, count() AS spans, "
        f"min(start_ns) AS first_ns, max(start_ns) AS last_ns, sumMap(usage) AS usage {spans_where} "
        "GROUP BY reason, provider, model, trace_id"
    )
    groups = store.query_dicts(
        "SELECT reason, provider, model, sum(spans) AS span_count, count() AS trace_count, "
        "min(first_ns) AS first_ns, max(last_ns) AS last_ns, sumMap(usage) AS usage, "
        "arrayMap(p -> p.2, groupArraySorted(5)((-last_ns, trace_id))) AS sample_trace_ids "
        f"FROM ({per_trace}) GROUP BY reason, provider, model "
        "ORDER BY span_count DESC, reason, provider, model",
        params,
    )
    rows = store.query_dicts(
        "SELECT unpriced_reason AS reason, count() AS span_count, uniqExact(trace_id) AS trace_count, "
        f"min(start_ns) AS first_ns, max(start_ns) AS last_ns {spans_where} "
        "GROUP BY reason WITH ROLLUP ORDER BY span_count DESC, reason",
        params,
    )
    # The rollup row (every reason) is the one with an empty reason: a stored reason never is.
    reasons = [row for row in rows if row["reason"]]
    total = next(
        (row for row in rows if not row["reason"]),
        {"span_count": 0, "trace_count": 0, "first_ns": None, "last_ns": None},
    )
    if not reasons:
        total = {"span_count": 0, "trace_count": 0, "first_ns": None, "last_ns": None}
    return UnpricedReport(groups, reasons, total)


# Spans that repeat a call another span already reports are listed but never summed.
_COUNTED = "s.duplicate_of = ''"


def _started_in(where: CostFilter) -> str:
    """Only the spans that started in the window (the parameters are those :func:`_span_window` sets)."""
    parts = []
    if where.start_ns is not None:
        parts.append("AND start_ns >= {start_ns:Int64}")
    if where.end_ns is not None:
        parts.append("AND start_ns < {end_ns:Int64}")
    return " ".join(parts)


def _span_window(start_ns: int | None, end_ns: int | None, params: dict[str, Any]) -> str:
    """Restrict the aggregation to traces having a span in the window (their start is checked later)."""
    parts = []
    if start_ns is not None:
        params["start_ns"] = start_ns
        parts.append("start_ns >= {start_ns:Int64}")
    if end_ns is not None:
        params["end_ns"] = end_ns
        parts.append("start_ns < {end_ns:Int64}")
    if not parts:
        return ""
    return (
        "AND trace_id IN (SELECT trace_id FROM spans WHERE project = {project:String} AND "
        + " AND ".join(parts)
        + ")"
    )


# Trace filters: TraceFilter field -> (condition on a per-trace aggregate, that aggregate).
_TRACE_CONDITIONS: dict[str, tuple[str, str]] = {
    "start_ns": ("t_start >= {start_ns:Int64}", "t_start"),
    "end_ns": ("t_start < {end_ns:Int64}", "t_start"),
    "name": ("positionCaseInsensitiveUTF8(t_name, {name:String}) > 0", "t_name"),
    "session_id": ("t_session = {session_id:String}", "t_session"),
    "user_id": ("t_user = {user_id:String}", "t_user"),
    "model": ("has(t_models, {model:String})", "t_models"),
    "service": ("has(t_services, {service:String})", "t_services"),
    "min_cost": ("t_cost >= {min_cost:Decimal(38, 18)}", "t_cost"),
    "min_duration_ns": ("t_duration >= {min_duration_ns:Int64}", "t_duration"),
}


def _trace_conditions(where: TraceFilter, params: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The SQL conditions for a filter, and the per-trace aggregates they read."""
    conditions, needed = [], []
    for name, (condition, aggregate) in _TRACE_CONDITIONS.items():
        value = getattr(where, name)
        if value is not None and value != "":
            params[name] = value
            conditions.append(condition)
            needed.append(aggregate)
    if where.has_error is not None:
        conditions.append("t_errors > 0" if where.has_error else "t_errors = 0")
        needed.append("t_errors")
    return conditions, needed


def _encode_cursor(sort: str, value: Any, last_id: str) -> str:
    payload = json.dumps([sort, str(value), last_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> tuple[str, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        cursor_sort, value, last_id = json.loads(base64.urlsafe_b64decode(padded))
        Decimal(value)
    except (ValueError, TypeError, ArithmeticError):
        raise BadRequest("cursor is not one this server issued") from None
    if cursor_sort != sort:
        raise BadRequest(f"cursor was issued for sort={cursor_sort!r}, not {sort!r}")
    return value, str(last_id)


# -- price rules ------------------------------------------------------------------------------------------


def price_rules(store: Store) -> list[dict[str, Any]]:
    """Every project's current price rules (deleted ones left out)."""
    return store.query_dicts(
        "SELECT project, id, kind, match, provider, effective_from_ns, prices, note, source "
        "FROM price_rules FINAL WHERE deleted = 0 ORDER BY project, id"
    )


def save_price_rule(store: Store, row: dict[str, Any], *, deleted: bool = False) -> None:
    """Insert or replace one rule (by project and id); ``deleted`` hides it from :func:`price_rules`."""
    store.client().insert(
        "price_rules",
        [
            (
                row["project"],
                row["id"],
                row["kind"],
                row["match"],
                row["provider"],
                row["effective_from_ns"],
                row["prices"],
                row["note"],
                row["source"],
                int(deleted),
                time.time_ns(),
            )
        ],
        column_names=[
            "project",
            "id",
            "kind",
            "match",
            "provider",
            "effective_from_ns",
            "prices",
            "note",
            "source",
            "deleted",
            "updated_ns",
        ],
    )
