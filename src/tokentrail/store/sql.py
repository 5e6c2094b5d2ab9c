"""SQL fragments every read over ``spans`` shares: exact money sums, per-trace aggregates, trace and
time-window conditions, and page cursors.

Trace-level facts (name, session, user, totals) are aggregated from the spans at query time, never
written back onto child rows: a child span without a session id still counts toward its trace's
session, and a root span that arrives after its children changes the answer the moment it lands.
``FINAL`` makes a re-sent span (same project, trace and span id) count once. Trace and session lists
read the same aggregates pre-computed per trace (:mod:`tokentrail.store.summaries`).

A condition on the key alone (project, trace id, span id) goes in ``PREWHERE``: it applies before
``FINAL`` merges the rows, so only the matching rows are read and merged (a 200-span trace of an unmerged
million-span table: 42 ms in ``WHERE``, 17 ms in ``PREWHERE``). Every version of a row has the same key,
so the latest one is still the one kept. A condition on any other column must stay in ``WHERE``, which
sees the latest versions only: in ``PREWHERE`` it would pick an older version that met it.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:  # the schema's migrations read the aggregates, and the store imports the schema
    from tokentrail.store.database import Store
    from tokentrail.store.trace_scores import ScoreCondition

__all__ = [
    "COUNTED_COST",
    "MONEY_SUM_TYPE",
    "CostFilter",
    "InvalidQuery",
    "Page",
    "TraceFilter",
    "aggregates",
    "by_trace",
    "decode_cursor",
    "distinct_traces",
    "encode_cursor",
    "has_span_in",
    "one_of",
    "per_trace",
    "span_matches",
    "started_in",
    "sum_money",
    "trace_conditions",
]


class InvalidQuery(ValueError):
    """A read asked for something no query can answer as asked (an unknown sort or grouping, a cursor
    this server did not issue); the message says what, for the caller to show (the API: a 400)."""


# Per-trace aggregates, by name. Session, user and service prefer the root span, then the earliest span
# that has one; the name prefers an explicit trace name, then the root's span name, then the earliest
# span's. A query computes only the aggregates it needs: over a million spans, that is the difference.
# One Int128 rather than the tuple (parent_span_id != '', start_ns): the same order for any Int64 start,
# and argMin over a number is much cheaper than over a tuple.
_ROOT_FIRST = "toInt128(start_ns) + bitShiftLeft(toInt128(parent_span_id != ''), 64)"

#: The type money is summed in. ClickHouse sums Decimal(38, 18) in Decimal(38, 18), which wraps around
#: without an error past about 1.7e20 (two spans can reach it); 76 digits hold 1e38 spans at the
#: column's most.
MONEY_SUM_TYPE = "Decimal(76, 18)"


def sum_money(column: str, where: str, *, by_type: bool = False) -> str:
    """SQL summing a money column (``by_type``: a map of money by type) exactly over the rows where
    ``where`` holds: each amount is cast to :data:`MONEY_SUM_TYPE` before it is added (sums of those
    sums, such as a session's of its traces', are of that type already)."""
    money_type = f"Map(LowCardinality(String), {MONEY_SUM_TYPE})" if by_type else MONEY_SUM_TYPE
    return f"{'sumMapIf' if by_type else 'sumIf'}(CAST({column}, '{money_type}'), {where})"


#: What spans cost, each counted once: a span repeating a call another span already reports is not summed.
COUNTED_COST = sum_money("cost_total", "duplicate_of = ''")

_AGGREGATES: dict[str, str] = {
    "t_start": "min(start_ns)",
    "t_end": "max(end_ns)",
    "t_duration": "max(end_ns) - min(start_ns)",
    "t_spans": "count()",
    # A span repeating a call another span of the trace already reports is shown but not counted.
    "t_cost": COUNTED_COST,
    "t_usage": "sumMapIf(usage, duplicate_of = '')",
    "t_cost_by_type": sum_money("cost", "duplicate_of = ''", by_type=True),
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


#: Ids that can be written into SQL as they are: OTLP's are hex, LangSmith's UUIDs.
_PLAIN_IDS = re.compile(r"[0-9A-Za-z_ -]*")


def one_of(column: str, ids: Collection[str], params: dict[str, Any], name: str = "ids") -> str:
    """SQL: ``column`` is one of ``ids``. Binding thousands of ids as a parameter escapes each character in
    Python, which cost more than the queries themselves, so ids with nothing to escape are written as one
    literal; any others are bound as ``name``."""
    joined = " ".join(ids)
    if _PLAIN_IDS.fullmatch(joined):
        return f"{column} IN (SELECT arrayJoin(splitByChar(' ', '{joined}')))"
    params[name] = list(ids)
    return f"{column} IN {{{name}:Array(String)}}"


def distinct_traces(column: str) -> str:
    """How many distinct trace ids ``column`` holds. Counted by their 128-bit hashes, which is twice as
    fast as by the strings and exact unless two of the ids collide (odds below 1e-20 for a billion)."""
    return f"uniqExact(reinterpretAsUInt128(sipHash128({column})))"


def aggregates(names: Iterable[str]) -> str:
    """The select list computing the named per-trace aggregates, each under its name, over a query that
    groups spans by trace."""
    return ",\n        ".join(f"{_AGGREGATES[name]} AS {name}" for name in dict.fromkeys(names))


def per_trace(names: Iterable[str], span_where: str = "", having: str = "") -> str:
    """SQL computing the named aggregates per trace of the project (``span_where`` narrows the spans,
    ``having`` the traces)."""
    return (
        f"SELECT trace_id, {aggregates(names)} FROM spans FINAL "
        f"WHERE project = {{project:String}} {span_where} GROUP BY trace_id"
        + (f" HAVING {having}" if having else "")
    )


def by_trace(store: Store, sql: str, project: str, trace_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The rows of ``sql`` (over ``{project}`` and ``{ids}``) by their trace id, every given id present."""
    rows: dict[str, list[dict[str, Any]]] = {trace_id: [] for trace_id in trace_ids}
    if not trace_ids:
        return rows
    for row in store.query_dicts(sql, {"project": project, "ids": trace_ids}):
        rows[row["trace_id"]].append(row)
    return rows


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, and the cursor of the next (None on the last page)."""

    items: list[T]
    next_cursor: str | None


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
    #: Conditions on the trace's scores, all met (:mod:`tokentrail.store.trace_scores`).
    scores: tuple[ScoreCondition, ...] = ()


@dataclass(frozen=True, slots=True)
class CostFilter:
    """A time window in Unix nanoseconds, ``[start_ns, end_ns)``; None leaves that end open."""

    start_ns: int | None = None
    end_ns: int | None = None


def started_in(where: CostFilter, params: dict[str, Any]) -> str:
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


def has_span_in(where: CostFilter, params: dict[str, Any]) -> str:
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
    "min_cost": (f"t_cost >= {{min_cost:{MONEY_SUM_TYPE}}}", "t_cost"),
    "min_duration_ns": ("t_duration >= {min_duration_ns:Int64}", "t_duration"),
    "tag": ("has(t_tags, {tag:String})", "t_tags"),
}


# Trace filters met by any one span of the trace: TraceFilter field -> condition on a span.
_SPAN_CONDITIONS: dict[str, str] = {
    "q": "(positionCaseInsensitiveUTF8(name, {q:String}) > 0 "
    "OR positionCaseInsensitiveUTF8(input, {q:String}) > 0 "
    "OR positionCaseInsensitiveUTF8(output, {q:String}) > 0)",
}


def span_matches(where: TraceFilter, params: dict[str, Any]) -> str:
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


def trace_conditions(where: TraceFilter, params: dict[str, Any]) -> tuple[list[str], list[str]]:
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


def encode_cursor(sort: str, value: Any, last_id: str) -> str:
    """A cursor continuing a list sorted by ``sort`` after the row of ``value`` and ``last_id``."""
    payload = json.dumps([sort, str(value), last_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


#: A ClickHouse ``Decimal(P, S)``: P digits, S of them after the point.
_DECIMAL_TYPE = re.compile(r"Decimal\((\d+), (\d+)\)")


def _column_holds(column_type: str, value: float | Decimal) -> bool:
    """Whether a sort value fits the type it is bound as (``Int64`` or a ``Decimal``): one past it, from a
    crafted cursor, would fail the query (a decimal) or wrap around into another number (an integer)."""
    if column_type == "Int64":
        return -(2**63) <= value < 2**63
    if column_type == "Float64":  # a score's mean, or the infinity a trace without the score sorts at
        return value == value  # not NaN
    decimal = _DECIMAL_TYPE.fullmatch(column_type)
    assert decimal is not None, column_type  # the sort tables name no other type
    return abs(value) < 10 ** (int(decimal[1]) - int(decimal[2]))


def decode_cursor(
    cursor: str, sort: str, column_type: str, value_type: type
) -> tuple[int | float | Decimal, str]:
    """The sort value (of ``value_type``, bound as ``column_type``) and last id of a cursor
    :func:`encode_cursor` made for ``sort``; any other cursor (altered, cut, or holding a value the sort's
    column cannot) is an :class:`InvalidQuery`."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, RecursionError):  # not base64, not UTF-8 JSON, or nested past the parser's depth
        decoded = None
    if not (
        isinstance(decoded, list) and len(decoded) == 3 and all(isinstance(part, str) for part in decoded)
    ):
        raise InvalidQuery("cursor: not one this server issued")
    cursor_sort, text, last_id = decoded
    if cursor_sort != sort:
        raise InvalidQuery(f"cursor: issued for sort={cursor_sort!r}, not {sort!r}")
    try:
        value = value_type(text)
        holds = _column_holds(column_type, value)
    except (ValueError, ArithmeticError):  # not a number of the type, or NaN (which has no order)
        holds = False
    if not holds:
        raise InvalidQuery(f"cursor: not one this server issued (its sort value does not fit {column_type})")
    return value, last_id
