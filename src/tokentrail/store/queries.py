"""Every read the API makes, as parameterized ClickHouse SQL over ``spans``.

Trace-level facts (name, session, user, totals) are aggregated from the spans at query time, never
written back onto child rows: a child span without a session id still counts toward its trace's
session, and a root span that arrives after its children changes the answer the moment it lands.
``FINAL`` makes a re-sent span (same project, trace and span id) count once.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tokentrail.errors import BadRequest
from tokentrail.model import PRICED_BY_USAGE
from tokentrail.store.database import Store

__all__ = [
    "COST_GROUPS",
    "PAYLOAD_COLUMNS",
    "REPRICED_COLUMNS",
    "REPRICE_SCAN_COLUMNS",
    "SESSION_SORTS",
    "TRACE_SORTS",
    "CostFilter",
    "KeyRange",
    "Page",
    "RepriceScope",
    "TraceFilter",
    "UnpricedReport",
    "call_nodes",
    "cost_series",
    "cost_total",
    "costs",
    "failure_spans",
    "failures",
    "retry_candidates",
    "session_traces",
    "sessions",
    "span_payloads",
    "spans_of_traces",
    "trace_rows",
    "trace_spans",
    "traces",
    "unpriced",
]

# Per-trace aggregates, by name. Session, user and service prefer the root span, then the earliest span
# that has one; the name prefers an explicit trace name, then the root's span name, then the earliest
# span's. A query computes only the aggregates it needs: over a million spans, that is the difference.
# One Int128 rather than the tuple (parent_span_id != '', start_ns): the same order for any Int64 start,
# and argMin over a number is much cheaper than over a tuple.
_ROOT_FIRST = "toInt128(start_ns) + bitShiftLeft(toInt128(parent_span_id != ''), 64)"

# The type money is summed in. ClickHouse sums Decimal(38, 18) in Decimal(38, 18), which wraps around
# without an error past about 1.7e20 (two spans can reach it); 76 digits hold 1e38 spans at the column's most.
_MONEY_SUM_TYPE = "Decimal(76, 18)"


def _sum_money(column: str, where: str, *, by_type: bool = False) -> str:
    """SQL summing a money column (``by_type``: a map of money by type) exactly over the rows where
    ``where`` holds: each amount is cast to :data:`_MONEY_SUM_TYPE` before it is added (sums of those
    sums, such as a session's of its traces', are of that type already)."""
    money_type = f"Map(LowCardinality(String), {_MONEY_SUM_TYPE})" if by_type else _MONEY_SUM_TYPE
    return f"{'sumMapIf' if by_type else 'sumIf'}(CAST({column}, '{money_type}'), {where})"


# What spans cost, each counted once: a span repeating a call another span already reports is not summed.
_COUNTED_COST = _sum_money("cost_total", "duplicate_of = ''")

_AGGREGATES: dict[str, str] = {
    "t_start": "min(start_ns)",
    "t_end": "max(end_ns)",
    "t_duration": "max(end_ns) - min(start_ns)",
    "t_spans": "count()",
    # A span repeating a call another span of the trace already reports is shown but not counted.
    "t_cost": _COUNTED_COST,
    "t_usage": "sumMapIf(usage, duplicate_of = '')",
    "t_cost_by_type": _sum_money("cost", "duplicate_of = ''", by_type=True),
    "t_errors": "countIf(status = 'error')",
    # A span counted on another (a second layer, a wrapper) has no price of its own to miss.
    "t_unpriced": "countIf(unpriced_reason != '' AND duplicate_of = '')",
    "t_roots": "countIf(parent_span_id = '')",
    "t_name": f"""if(countIf(trace_name != '') > 0,
        argMinIf(trace_name, {_ROOT_FIRST}, trace_name != ''), argMin(name, {_ROOT_FIRST}))""",
    "t_session": f"argMinIf(session_id, {_ROOT_FIRST}, session_id != '')",
    "t_user": f"argMinIf(user_id, {_ROOT_FIRST}, user_id != '')",
    "t_service": f"argMin(service, {_ROOT_FIRST})",
    # The models that served its counted calls (not an agent's alias, nor a second layer's).
    "t_models": "arrayFilter(m -> m != '', groupUniqArrayIf(if(response_model != '', response_model, "
    "request_model), kind IN ('llm', 'embedding') AND duplicate_of = ''))",
    "t_services": "groupUniqArray(service)",
    # A trace's tags: the union of its spans' tags.
    "t_tags": "arraySort(groupUniqArrayArray(tags))",
    # What the trace was asked and answered: its root span's payloads (a conversation's turn).
    "t_input": f"argMin(input, {_ROOT_FIRST})",
    "t_output": f"argMin(output, {_ROOT_FIRST})",
}


def _distinct_traces(column: str) -> str:
    """How many distinct trace ids ``column`` holds. Counted by their 128-bit hashes, which is twice as
    fast as by the strings and exact unless two of the ids collide (odds below 1e-20 for a billion)."""
    return f"uniqExact(reinterpretAsUInt128(sipHash128({column})))"


def _per_trace(names: Iterable[str], span_where: str = "", having: str = "") -> str:
    """SQL computing the named aggregates per trace of the project (``span_where`` narrows the spans,
    ``having`` the traces)."""
    columns = ",\n        ".join(f"{_AGGREGATES[name]} AS {name}" for name in dict.fromkeys(names))
    return (
        f"SELECT trace_id, {columns} FROM spans FINAL "
        f"WHERE project = {{project:String}} {span_where} GROUP BY trace_id"
        + (f" HAVING {having}" if having else "")
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
    "cost": ("t_cost", _MONEY_SUM_TYPE, Decimal),
    "duration": ("t_duration", "Int64", int),
}

#: Cost groupings: name -> (SQL key expression, the per-trace aggregate it needs or "").
COST_GROUPS: dict[str, tuple[str, str]] = {
    "model": ("if(s.response_model != '', s.response_model, s.request_model)", ""),
    "provider": ("s.provider", ""),
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
    #: A tag on any span of the trace.
    tag: str | None = None
    #: Text in any span's name, input or output (case-insensitive).
    q: str | None = None


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
    span_where = _span_matches(where, params)
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
    rows = {row["trace_id"]: row for row in trace_rows(store, project, [trace_id for trace_id, _ in page])}
    return Page([rows[trace_id] for trace_id, _ in page if trace_id in rows], next_cursor)


def trace_rows(store: Store, project: str, trace_ids: list[str]) -> list[dict[str, Any]]:
    """The rows of the given traces, as :func:`traces` lists them (in no particular order)."""
    if not trace_ids:
        return []
    only = "AND trace_id IN {ids:Array(String)}"
    sql = f"SELECT {_TRACE_COLUMNS} FROM ({_per_trace(_TRACE_ROW_AGGREGATES, only)})"
    return store.query_dicts(sql, {"project": project, "ids": trace_ids})


# The span rows trees are built from.
_TREE_SPANS = "SELECT * EXCEPT (ingested_ns), end_ns - start_ns AS duration_ns FROM spans FINAL "
#: What a span carries besides its facts and numbers: read for one span's detail, not for a whole tree.
PAYLOAD_COLUMNS = ("input", "output", "attributes", "resource", "events", "metadata")
# The same rows without their payloads, keeping only the attributes asked for (by name).
_TREE_SPANS_WITHOUT_PAYLOADS = (
    f"SELECT * EXCEPT (ingested_ns, {', '.join(PAYLOAD_COLUMNS)}), end_ns - start_ns AS duration_ns, "
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
    """Every span of one trace, earliest first; without ``payloads``, spans lack
    :data:`PAYLOAD_COLUMNS` but for the ``kept_attributes`` (a 2,000-span trace's payloads can be many
    megabytes that a tree does not show)."""
    params: dict[str, Any] = {"project": project, "trace_id": trace_id}
    select = _TREE_SPANS
    if not payloads:
        select = _TREE_SPANS_WITHOUT_PAYLOADS
        params["kept_attributes"] = list(kept_attributes)
    return store.query_dicts(
        select + "WHERE project = {project:String} AND trace_id = {trace_id:String} "
        "ORDER BY start_ns, span_id",
        params,
    )


def span_payloads(store: Store, project: str, trace_id: str, span_id: str) -> dict[str, Any] | None:
    """The :data:`PAYLOAD_COLUMNS` of one span, or None when there is no such span."""
    rows = store.query_dicts(
        f"SELECT {', '.join(PAYLOAD_COLUMNS)} FROM spans FINAL WHERE project = {{project:String}} "
        "AND trace_id = {trace_id:String} AND span_id = {span_id:String}",
        {"project": project, "trace_id": trace_id, "span_id": span_id},
    )
    return rows[0] if rows else None


def spans_of_traces(store: Store, project: str, trace_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every span of the given traces, as :func:`trace_spans` reads them, by trace id."""
    return _by_trace(
        store,
        _TREE_SPANS + "WHERE project = {project:String} AND trace_id IN {ids:Array(String)} "
        "ORDER BY trace_id, start_ns, span_id",
        project,
        trace_ids,
    )


def _by_trace(store: Store, sql: str, project: str, trace_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The rows of ``sql`` (over ``{project}`` and ``{ids}``) by their trace id, every given id present."""
    by_trace: dict[str, list[dict[str, Any]]] = {trace_id: [] for trace_id in trace_ids}
    if not trace_ids:
        return by_trace
    for row in store.query_dicts(sql, {"project": project, "ids": trace_ids}):
        by_trace[row["trace_id"]].append(row)
    return by_trace


#: Sort keys for session lists, newest activity or costliest first: API name -> result column, its
#: ClickHouse type and the Python type of a cursor value.
SESSION_SORTS: dict[str, tuple[str, str, type]] = {
    "time": ("last_ns", "Int64", int),
    "cost": ("cost", _MONEY_SUM_TYPE, Decimal),
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
) -> Page:
    """Sessions with their trace count and totals, most recently active (or costliest) first.

    Two steps, as for traces: pick the page's sessions from the few aggregates the sort and filters
    need, then total those sessions alone (their traces found by the session index).
    """
    if sort not in SESSION_SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SESSION_SORTS)}, got {sort!r}")
    column, column_type, value_type = SESSION_SORTS[sort]
    params: dict[str, Any] = {"project": project, "limit": limit + 1}
    # As in trace lists, a trace is in range by its start.
    filters, filtered = _trace_conditions(
        TraceFilter(start_ns=start_ns, end_ns=end_ns, user_id=user_id or None), params
    )
    conditions = ["t_session != ''", *filters]
    having = []
    cursor_sort = f"session-{sort}"
    if cursor:
        value, session_id = _decode_cursor(cursor, cursor_sort)
        params["cursor_value"], params["cursor_id"] = value_type(value), session_id
        having.append(f"({column}, session_id) < ({{cursor_value:{column_type}}}, {{cursor_id:String}})")
    sort_value = {"last_ns": "max(t_end)", "cost": "sum(t_cost)"}[column]
    picked = ["t_session", "t_end" if column == "last_ns" else "t_cost", *filtered]
    page = store.query(
        f"SELECT t_session AS session_id, {sort_value} AS {column} FROM ({_per_trace(picked)}) "
        f"WHERE {' AND '.join(conditions)} GROUP BY t_session"
        + (" HAVING " + " AND ".join(having) if having else "")
        + f" ORDER BY {column} DESC, session_id DESC LIMIT {{limit:UInt32}}",
        params,
    )
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        next_cursor = _encode_cursor(cursor_sort, page[-1][1], page[-1][0])
    if not page:
        return Page([], next_cursor)
    params["ids"] = [session_id for session_id, _ in page]
    # Only traces with a span naming one of the sessions can resolve to it.
    candidates = (
        "AND trace_id IN (SELECT trace_id FROM spans WHERE project = {project:String} "
        "AND session_id IN {ids:Array(String)})"
    )
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
        f"argMinIf(t_user, t_start, t_user != '') AS user_id FROM ({_per_trace(needed, candidates)}) "
        f"WHERE t_session IN {{ids:Array(String)}} AND {' AND '.join(conditions)} GROUP BY t_session",
        params,
    )
    by_session = {row["session_id"]: row for row in rows}
    return Page([by_session[session_id] for session_id, _ in page], next_cursor)


def session_traces(store: Store, project: str, session_id: str) -> list[dict[str, Any]]:
    """The traces of one session in the order they started, with their root spans' input and output."""
    # Only traces with a span naming the session can resolve to it: look at those alone.
    candidates = (
        "AND trace_id IN (SELECT trace_id FROM spans WHERE project = {project:String} "
        "AND session_id = {session_id:String})"
    )
    needed = [*_TRACE_ROW_AGGREGATES, "t_cost_by_type", "t_input", "t_output"]
    sql = (
        f"SELECT {_TRACE_COLUMNS}, t_cost_by_type AS cost_by_type, t_input AS input, t_output AS output "
        f"FROM ({_per_trace(needed, candidates)}) "
        "WHERE t_session = {session_id:String} ORDER BY t_start, trace_id"
    )
    return store.query_dicts(sql, {"project": project, "session_id": session_id})


def call_nodes(store: Store, project: str, trace_ids: list[str]) -> list[dict[str, Any]]:
    """Span links and LLM usage of the given traces, for recognising one call reported twice."""
    return store.query_dicts(
        "SELECT trace_id, span_id, parent_span_id, request_model, response_model, "
        "if(kind IN ('llm', 'embedding'), usage['input'], 0) AS input, "
        "if(kind IN ('llm', 'embedding'), usage['output'], 0) AS output, duplicate_of, response_id, "
        "start_ns, end_ns, kind IN ('llm', 'embedding') AS llm "
        "FROM spans FINAL WHERE project = {project:String} AND trace_id IN {ids:Array(String)}",
        {"project": project, "ids": trace_ids},
    )


def retry_candidates(
    store: Store, project: str, where: CostFilter, retry_attributes: Iterable[str]
) -> list[dict[str, Any]]:
    """Traces that started in the window and may hold a retried attempt, with their names, by trace id.

    A candidate has two spans of one operation (name, kind, and model for LLM and embedding calls) where
    an earlier one failed or a later one carries one of ``retry_attributes``. That is a superset of what
    ``analysis/retries.py`` finds: parents are not compared here, so orphans and spans freed from a cycle
    (roots of the tree, whatever their stored parent) are covered; the exact answer is computed there.
    """
    params: dict[str, Any] = {"project": project}
    conditions, _ = _trace_conditions(TraceFilter(start_ns=where.start_ns, end_ns=where.end_ns), params)
    marked = []
    for index, name in enumerate(dict.fromkeys(retry_attributes)):
        params[f"retry_attribute_{index}"] = name
        marked.append(f"attributes[{{retry_attribute_{index}:String}}] != ''")
    is_marked = "(" + " OR ".join(marked) + ")" if marked else "0"
    order = "(start_ns, span_id)"
    groups = (
        "SELECT trace_id FROM spans FINAL WHERE project = {project:String} "
        "GROUP BY trace_id, name, kind, "
        "if(kind IN ('llm', 'embedding'), if(request_model != '', request_model, response_model), '') "
        "HAVING count() >= 2 AND ("
        f"(countIf(status = 'error') > 0 AND minIf({order}, status = 'error') < max({order})) OR "
        f"(countIf({is_marked}) > 0 AND maxIf({order}, {is_marked}) > min({order})))"
    )
    candidates = _per_trace(["t_start", "t_name"], f"AND trace_id IN ({groups})")
    sql = (
        f"SELECT trace_id, t_name AS name FROM ({candidates})"
        + (" WHERE " + " AND ".join(conditions) if conditions else "")
        + " ORDER BY trace_id"
    )
    return store.query_dicts(sql, params)


@dataclass(frozen=True, slots=True)
class CostFilter:
    start_ns: int | None = None
    end_ns: int | None = None


def costs(store: Store, project: str, group_by: str, where: CostFilter) -> list[dict[str, Any]]:
    """Cost, usage and span counts of spans that started in the window, grouped; costliest first."""
    params: dict[str, Any] = {"project": project}
    key, spans_sql = _cost_source(group_by, where, params)
    by_origin = "".join(
        f"{_sum_money('s.cost_total', f'{_COUNTED} AND s.cost_origin = {origin!r}')} AS cost_{origin}, "
        for origin in ("provided", "inferred", "custom")
    )
    sql = (
        f"SELECT {key} AS key, {_sum_money('s.cost_total', _COUNTED)} AS cost, "
        f"{_sum_money('s.cost', _COUNTED, by_type=True)} AS cost_by_type, "
        f"sumMapIf(s.usage, {_COUNTED}) AS usage, "
        f"count() AS span_count, {_distinct_traces('s.trace_id')} AS trace_count, "
        f"countIf(s.unpriced_reason != '' AND {_COUNTED}) AS unpriced_count, {by_origin}"
        "countIf(s.duplicate_of != '') AS duplicate_count "
        f"FROM {spans_sql} GROUP BY key ORDER BY cost DESC, key"
    )
    return store.query_dicts(sql, params)


def cost_series(
    store: Store, project: str, group_by: str, where: CostFilter, *, width_ns: int, top: int
) -> list[dict[str, Any]]:
    """The cost of the spans that started in the window, per time bucket and group, as :func:`costs`
    counts it: rows of ``bucket_ns`` (buckets ``width_ns`` wide, starting at multiples of it), ``rank``
    (1 for the costliest group over the whole window, and so on; 0 for the groups after the ``top``
    costliest, folded into one), ``key`` (``""`` when folded) and ``cost``. Groups that cost nothing are
    left out, and so are buckets without cost."""
    params: dict[str, Any] = {"project": project, "width_ns": width_ns, "top": top}
    key, spans_sql = _cost_source(group_by, where, params)
    per_bucket = (
        "SELECT intDiv(s.start_ns, {width_ns:Int64}) * {width_ns:Int64} AS bucket_ns, "
        f"{key} AS group_key, {_sum_money('s.cost_total', _COUNTED)} AS amount "
        f"FROM {spans_sql} GROUP BY bucket_ns, group_key HAVING amount != 0"
    )
    # Ranked by the group's total over every bucket (each group a rank of its own: ties go by key).
    ranked = (
        "SELECT bucket_ns, group_key, amount, "
        "dense_rank() OVER (ORDER BY group_total DESC, group_key) AS group_rank FROM ("
        f"SELECT *, sum(amount) OVER (PARTITION BY group_key) AS group_total FROM ({per_bucket}))"
    )
    sql = (
        "SELECT bucket_ns, if(group_rank <= {top:UInt32}, group_rank, 0) AS rank, "
        "if(rank = 0, '', group_key) AS key, sum(amount) AS cost "
        f"FROM ({ranked}) GROUP BY bucket_ns, rank, key ORDER BY bucket_ns, rank"
    )
    return store.query_dicts(sql, params)


def _cost_source(group_by: str, where: CostFilter, params: dict[str, Any]) -> tuple[str, str]:
    """The key expression of a cost grouping, and the spans it groups (``s``, joined to their trace's
    facts as ``t`` when the key needs one)."""
    if group_by not in COST_GROUPS:
        raise BadRequest(f"group_by must be one of {', '.join(COST_GROUPS)}, got {group_by!r}")
    key, trace_fact = COST_GROUPS[group_by]
    # Only the spans that started in the window count (a trace straddling its edge counts in part).
    started = _started_in(where, params)
    spans_sql = f"(SELECT * FROM spans FINAL WHERE project = {{project:String}} {started}) AS s"
    if trace_fact:
        # Attribute each span's cost to its trace's session, user or tags, resolved over the whole trace.
        facts = _per_trace([trace_fact], having=_has_span_in(where, params))
        spans_sql += f" INNER JOIN ({facts}) AS t ON s.trace_id = t.trace_id"
    return key, spans_sql


def cost_total(store: Store, project: str, where: CostFilter) -> Decimal:
    """The cost of the spans that started in the window, each counted once."""
    params: dict[str, Any] = {"project": project}
    rows = store.query(
        f"SELECT {_COUNTED_COST} FROM spans FINAL "
        f"WHERE project = {{project:String}} {_started_in(where, params)}",
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
    spans_where = (
        "FROM spans FINAL WHERE project = {project:String} AND unpriced_reason != '' "
        f"AND duplicate_of = '' {_started_in(where, params)}"
    )
    per_trace = (
        f"SELECT unpriced_reason AS reason, provider, {_MODEL} AS model, trace_id, count() AS t_spans, "
        f"min(start_ns) AS t_first, max(start_ns) AS t_last, sumMap(usage) AS t_usage {spans_where} "
        "GROUP BY reason, provider, model, trace_id"
    )
    groups = store.query_dicts(
        "SELECT reason, provider, model, sum(t_spans) AS span_count, count() AS trace_count, "
        "min(t_first) AS first_ns, max(t_last) AS last_ns, sumMap(t_usage) AS usage, "
        "arrayMap(p -> p.2, groupArraySorted(5)((-t_last, trace_id))) AS sample_trace_ids "
        f"FROM ({per_trace}) GROUP BY reason, provider, model "
        "ORDER BY span_count DESC, reason, provider, model",
        params,
    )
    rows = store.query_dicts(
        "SELECT unpriced_reason AS reason, count() AS span_count, "
        f"{_distinct_traces('trace_id')} AS trace_count, "
        f"min(start_ns) AS first_ns, max(start_ns) AS last_ns {spans_where} "
        "GROUP BY reason WITH ROLLUP ORDER BY span_count DESC, reason",
        params,
    )
    # The rollup row (every reason) is the one with an empty reason: a stored reason never is.
    reasons = [row for row in rows if row["reason"]]
    total = next((row for row in rows if not row["reason"]), None)
    if not reasons or total is None:
        total = {"span_count": 0, "trace_count": 0, "first_ns": None, "last_ns": None}
    return UnpricedReport(groups, reasons, total)


# An error span's facts, in the order a trace's error spans are sorted by: earliest first, ties by span id.
_ERROR_SPAN = "(start_ns, span_id, name, kind, error_type, service, error_message)"


def failures(store: Store, project: str, where: CostFilter) -> list[dict[str, Any]]:
    """The failing traces that started in the window (those with a span whose status is error), grouped by
    the span where the failure started, as far as their error spans and parent links tell it.

    The failure of a trace started in its deepest error span: one with no error span anywhere beneath
    it, the earliest such when there are several (ties by span id). Errors usually propagate up a chain
    of error spans, so the first error span without an error child settles it when it has no children
    at all, or when it is the trace's only error span without an error child. A trace where neither holds
    (its first such span has children, which may hide an error deeper down) is returned as a row of its
    own with its id in ``unsettled``, for its tree to settle; in a settled group ``unsettled`` is ``""``.

    Rows: ``unsettled``, ``span_name``, ``kind``, ``error_type``, ``service`` (the group; empty for a
    trace left to its tree), ``trace_count``, ``first_ns`` and ``last_ns`` (the earliest and latest
    trace start), ``cost`` (the traces' totals, as their trees count them), ``samples`` (up to five
    ``(-start_ns, trace_id)``, the latest first) and ``sample_message`` (of the first sample's origin).
    """
    params: dict[str, Any] = {"project": project}
    conditions, _ = _trace_conditions(TraceFilter(start_ns=where.start_ns, end_ns=where.end_ns), params)
    # No span starts before its trace: a trace in the window has its error spans there or later.
    later = " AND start_ns >= {start_ns:Int64}" if where.start_ns is not None else ""
    failed = (
        "AND trace_id IN (SELECT trace_id FROM spans WHERE project = {project:String} "
        f"AND status = 'error'{later})"
    )
    per_trace = (
        f"SELECT trace_id, min(start_ns) AS t_start, {_COUNTED_COST} AS t_cost, "
        f"arraySort(groupArrayIf({_ERROR_SPAN}, status = 'error')) AS error_spans, "
        "groupArrayIf(parent_span_id, status = 'error') AS error_parents, "
        "groupUniqArray(parent_span_id) AS parents "
        f"FROM spans FINAL WHERE project = {{project:String}} {failed} "
        "GROUP BY trace_id HAVING notEmpty(error_spans)" + "".join(f" AND {c}" for c in conditions)
    )
    origins = (
        "SELECT trace_id, t_start, t_cost, "
        "arrayFilter(e -> NOT has(error_parents, e.2), error_spans) AS candidates, "
        "length(candidates) = 1 "
        "OR (length(candidates) > 1 AND NOT has(parents, candidates[1].2)) AS settled, "
        f"candidates[1] AS origin FROM ({per_trace})"
    )
    return store.query_dicts(
        "SELECT if(settled, '', trace_id) AS unsettled, if(settled, origin.3, '') AS span_name, "
        "if(settled, toString(origin.4), '') AS kind, if(settled, origin.5, '') AS error_type, "
        "if(settled, toString(origin.6), '') AS service, count() AS trace_count, "
        "min(t_start) AS first_ns, max(t_start) AS last_ns, sum(t_cost) AS cost, "
        "groupArraySorted(5)((-t_start, trace_id)) AS samples, "
        "argMin(if(settled, origin.7, ''), (-t_start, trace_id)) AS sample_message "
        f"FROM ({origins}) GROUP BY unsettled, span_name, kind, error_type, service",
        params,
    )


def failure_spans(store: Store, project: str, trace_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The spans of the given traces with their links, status and error facts (no payloads, no numbers),
    by trace id: enough to build their trees and find where each failure started."""
    return _by_trace(
        store,
        "SELECT trace_id, span_id, parent_span_id, start_ns, end_ns, status, name, kind, error_type, "
        "error_message, service FROM spans FINAL "
        "WHERE project = {project:String} AND trace_id IN {ids:Array(String)}",
        project,
        trace_ids,
    )


# Spans that repeat a call another span already reports are listed but never summed.
_COUNTED = "s.duplicate_of = ''"


def _started_in(where: CostFilter, params: dict[str, Any]) -> str:
    """Restrict the aggregation to the spans that started in the window."""
    return "".join(f" AND {condition}" for condition in _window_conditions(where, params))


def _window_conditions(where: CostFilter, params: dict[str, Any]) -> list[str]:
    """A span started in the window, as conditions on ``start_ns`` (none for an open window)."""
    conditions = []
    if where.start_ns is not None:
        params["start_ns"] = where.start_ns
        conditions.append("start_ns >= {start_ns:Int64}")
    if where.end_ns is not None:
        params["end_ns"] = where.end_ns
        conditions.append("start_ns < {end_ns:Int64}")
    return conditions


def _has_span_in(where: CostFilter, params: dict[str, Any]) -> str:
    """A per-trace condition: the trace has a span that started in the window (or "", no window).

    Checked on the aggregate, not by pre-selecting trace ids: ids are random, so a time window skips no
    part of the table, and a second pass over it to collect the ids costs more than it saves."""
    conditions = _window_conditions(where, params)
    return f"countIf({' AND '.join(conditions)}) > 0" if conditions else ""


# Trace filters: TraceFilter field -> (condition on a per-trace aggregate, that aggregate).
_TRACE_CONDITIONS: dict[str, tuple[str, str]] = {
    "start_ns": ("t_start >= {start_ns:Int64}", "t_start"),
    "end_ns": ("t_start < {end_ns:Int64}", "t_start"),
    "name": ("positionCaseInsensitiveUTF8(t_name, {name:String}) > 0", "t_name"),
    "session_id": ("t_session = {session_id:String}", "t_session"),
    "user_id": ("t_user = {user_id:String}", "t_user"),
    "model": ("has(t_models, {model:String})", "t_models"),
    "service": ("has(t_services, {service:String})", "t_services"),
    "min_cost": (f"t_cost >= {{min_cost:{_MONEY_SUM_TYPE}}}", "t_cost"),
    "min_duration_ns": ("t_duration >= {min_duration_ns:Int64}", "t_duration"),
}


# Trace filters met by any one span of the trace: TraceFilter field -> condition on a span.
_SPAN_CONDITIONS: dict[str, str] = {
    "tag": "has(tags, {tag:String})",
    "q": "(positionCaseInsensitiveUTF8(name, {q:String}) > 0 "
    "OR positionCaseInsensitiveUTF8(input, {q:String}) > 0 "
    "OR positionCaseInsensitiveUTF8(output, {q:String}) > 0)",
}


def _span_matches(where: TraceFilter, params: dict[str, Any]) -> str:
    """Restrict the aggregation to traces with a span meeting each span condition of the filter.

    Checked on the spans before they are grouped, so only the matching traces are aggregated; ``FINAL``
    applies the condition to each span's latest copy only.
    """
    parts = []
    for name, condition in _SPAN_CONDITIONS.items():
        value = getattr(where, name)
        if value:
            params[name] = value
            parts.append(
                " AND trace_id IN (SELECT trace_id FROM spans FINAL "
                f"WHERE project = {{project:String}} AND {condition})"
            )
    return "".join(parts)


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


#: Each cursor's sort (``session-`` for session lists) -> the ClickHouse and Python types of its value.
_CURSOR_TYPES: dict[str, tuple[str, type]] = {
    **{sort: (column_type, value_type) for sort, (_, column_type, value_type) in TRACE_SORTS.items()},
    **{
        f"session-{sort}": (column_type, value_type)
        for sort, (_, column_type, value_type) in SESSION_SORTS.items()
    },
}
#: A ClickHouse ``Decimal(P, S)``: P digits, S of them after the point.
_DECIMAL_TYPE = re.compile(r"Decimal\((\d+), (\d+)\)")


def _column_holds(column_type: str, value: int | Decimal) -> bool:
    """Whether a sort value fits the type it is bound as (``Int64`` or a ``Decimal``): one past it, from a
    crafted cursor, would fail the query (a decimal) or wrap around into another number (an integer)."""
    if column_type == "Int64":
        return -(2**63) <= value < 2**63
    decimal = _DECIMAL_TYPE.fullmatch(column_type)
    assert decimal is not None, column_type  # the sort tables name no other type
    return abs(value) < 10 ** (int(decimal[1]) - int(decimal[2]))


def _decode_cursor(cursor: str, sort: str) -> tuple[int | Decimal, str]:
    """The sort value and last id of a cursor :func:`_encode_cursor` made for ``sort``; any other cursor
    (altered, cut, or holding a value the sort's column cannot) is a BadRequest."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, RecursionError):  # not base64, not UTF-8 JSON, or nested past the parser's depth
        decoded = None
    if not (
        isinstance(decoded, list) and len(decoded) == 3 and all(isinstance(part, str) for part in decoded)
    ):
        raise BadRequest("cursor: not one this server issued")
    cursor_sort, text, last_id = decoded
    if cursor_sort != sort:
        raise BadRequest(f"cursor: issued for sort={cursor_sort!r}, not {sort!r}")
    column_type, value_type = _CURSOR_TYPES[sort]
    try:
        value = value_type(text)
        holds = _column_holds(column_type, value)
    except (ValueError, ArithmeticError):  # not a number of the type, or NaN (which has no order)
        holds = False
    if not holds:
        raise BadRequest(f"cursor: not one this server issued (its sort value does not fit {column_type})")
    return value, last_id


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


# -- re-pricing -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RepriceScope:
    """The spans a re-pricing job may change: a project's spans that started in ``[since_ns, until_ns)``,
    except those whose ``price_source`` is ``keep_source`` (a cost the span reported itself), and with
    ``priced_only`` those that neither are priced by usage nor were priced before."""

    project: str
    since_ns: int
    until_ns: int | None
    keep_source: str
    #: Only LLM and embedding spans and those priced before: with no call rule, nothing else can change.
    priced_only: bool = False


#: A trace id range ``[low, high)`` of the table's order; None leaves that end open.
KeyRange = tuple[str | None, str | None]

#: What a re-pricing job reads of each span (:func:`reprice_scan`), in this order: the version's key,
#: what pricing reads, the priced columns it may replace, and whether the span is a duplicate.
REPRICE_SCAN_COLUMNS = (
    "trace_id",
    "span_id",
    "ingested_ns",
    "kind",
    "status",
    "provider",
    "request_model",
    "response_model",
    "usage",
    "usage_source",
    "start_ns",
    "name",
    "attributes",
    "cost",
    "cost_total",
    "cost_origin",
    "unpriced_reason",
    "price_source",
    "duplicate",
)
#: A re-priced row as :func:`write_repriced` uploads it: the key of the version that was priced, then the
#: new values (``price_span`` may complete a span's usage as well as price it).
REPRICED_COLUMNS = (
    "trace_id",
    "span_id",
    "ingested_ns",
    "usage",
    "usage_source",
    "cost",
    "cost_total",
    "cost_origin",
    "unpriced_reason",
    "price_source",
)
_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _reprice_where(scope: RepriceScope, keys: KeyRange, params: dict[str, Any]) -> str:
    params.update(project=scope.project, since_ns=scope.since_ns, keep_source=scope.keep_source)
    parts = ["project = {project:String}", "start_ns >= {since_ns:Int64}"]
    parts.append("price_source != {keep_source:String}")
    if scope.priced_only:
        params["usage_kinds"] = sorted(kind.value for kind in PRICED_BY_USAGE)
        parts.append("(kind IN {usage_kinds:Array(String)} OR price_source != '')")
    if scope.until_ns is not None:
        params["until_ns"] = scope.until_ns
        parts.append("start_ns < {until_ns:Int64}")
    return " AND ".join(parts + _key_range(keys, params))


def _key_range(keys: KeyRange, params: dict[str, Any], prefix: str = "") -> list[str]:
    low, high = keys
    parts = []
    if low is not None:
        params["key_low"] = low
        parts.append(f"{prefix}trace_id >= {{key_low:String}}")
    if high is not None:
        params["key_high"] = high
        parts.append(f"{prefix}trace_id < {{key_high:String}}")
    return parts


def reprice_scope(store: Store, scope: RepriceScope, samples: int) -> tuple[int, Decimal, list[str]]:
    """How many spans are in scope, what they cost (each counted once), and a sample of their trace ids
    (up to ``samples``) to split the table into chunks of about equal size."""
    params: dict[str, Any] = {}
    where = _reprice_where(scope, (None, None), params)
    rows = store.query(
        f"SELECT count(), {_COUNTED_COST}, "
        f"groupArraySample({int(samples)}, 1)(trace_id) FROM spans FINAL WHERE {where}",
        params,
    )
    count, cost, sample = rows[0]
    return int(count), Decimal(cost), list(sample)


def reprice_scan(store: Store, scope: RepriceScope, keys: KeyRange, attributes: Iterable[str]) -> bytes:
    """The spans in scope whose trace id is in ``keys``, as ``JSONCompactEachRow`` lines of
    :data:`REPRICE_SCAN_COLUMNS` (decimals as strings); of the raw attributes only ``attributes``."""
    params: dict[str, Any] = {"attributes": list(attributes)}
    sql = (
        "SELECT trace_id, span_id, ingested_ns, kind, status, provider, request_model, response_model, "
        "usage, usage_source, start_ns, name, "
        "mapFilter((k, v) -> has({attributes:Array(String)}, k), attributes), "
        "cost, cost_total, cost_origin, unpriced_reason, price_source, duplicate_of != '' "
        f"FROM spans FINAL WHERE {_reprice_where(scope, keys, params)}"
    )
    settings = {"output_format_json_quote_decimals": 1, "output_format_json_quote_64bit_integers": 0}
    raw = store.client().raw_query(sql, parameters=params, settings=settings, fmt="JSONCompactEachRow")
    return bytes(raw)


def create_repriced_table(store: Store, table: str) -> None:
    """A scratch table for one job's re-priced rows (:data:`REPRICED_COLUMNS`)."""
    store.client().command(
        f"CREATE TABLE IF NOT EXISTS {_table(table)} (trace_id String, span_id String, ingested_ns Int64, "
        "usage Map(LowCardinality(String), UInt64), "
        "usage_source Map(LowCardinality(String), LowCardinality(String)), "
        "cost Map(LowCardinality(String), Decimal(38, 18)), cost_total Decimal(38, 18), "
        "cost_origin LowCardinality(String), unpriced_reason LowCardinality(String), "
        "price_source LowCardinality(String)) ENGINE = Memory"
    )


def drop_repriced_table(store: Store, table: str) -> None:
    store.client().command(f"DROP TABLE IF EXISTS {_table(table)}")


def write_repriced(store: Store, table: str, project: str, keys: KeyRange, rows: list[bytes]) -> None:
    """Replace the re-priced spans of one trace id range (``rows``: ``JSONCompactEachRow`` lines of
    :data:`REPRICED_COLUMNS`), inside ClickHouse.

    The rows are uploaded into ``table``, then each span's stored row is copied with the new values
    and ``ingested_ns`` one nanosecond later, so the copy replaces it. Only the version that was priced
    is copied (same ``ingested_ns``): a span re-sent while the job ran was priced at ingest with the
    current rules, and it keeps its later ``ingested_ns``, so it still wins over the copy either way.
    """
    client = store.client()
    name = _table(table)
    client.command(f"TRUNCATE TABLE {name}")
    if not rows:
        return
    client.raw_insert(name, list(REPRICED_COLUMNS), insert_block=b"\n".join(rows), fmt="JSONCompactEachRow")
    params: dict[str, Any] = {"project": project}
    replaced = ", ".join(f"n.{column} AS {column}" for column in REPRICED_COLUMNS[3:])
    # The IN reads only the key columns of the range first: the whole rows are read for the matches only.
    matched = f"(s.trace_id, s.span_id) IN (SELECT trace_id, span_id FROM {name})"
    where = " AND ".join(["s.project = {project:String}", *_key_range(keys, params, "s."), matched])
    client.command(
        f"INSERT INTO spans SELECT s.* REPLACE ({replaced}, s.ingested_ns + 1 AS ingested_ns) "
        f"FROM spans AS s INNER JOIN {name} AS n "
        "ON s.trace_id = n.trace_id AND s.span_id = n.span_id AND s.ingested_ns = n.ingested_ns "
        f"WHERE {where}",
        parameters=params,
    )


def _table(name: str) -> str:
    if not _TABLE_NAME.fullmatch(name):
        raise ValueError(f"not a scratch table name: {name!r}")
    return name
