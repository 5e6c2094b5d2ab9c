"""Reads of cost: spend grouped or over time, the total, unpriced spans by reason, and the traces that
may hold a retried attempt."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypedDict, cast

from tokentrail.store.database import Store
from tokentrail.store.sql import (
    COUNTED_COST,
    CostFilter,
    InvalidQuery,
    TraceFilter,
    distinct_traces,
    has_span_in,
    per_trace,
    started_in,
    sum_money,
    trace_conditions,
)

__all__ = [
    "COST_GROUPS",
    "CostGroupRow",
    "CostSeriesRow",
    "UnpricedReport",
    "cost_series",
    "cost_total",
    "costs",
    "costs_in_windows",
    "retry_candidates",
    "unpriced",
]

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

# Spans that repeat a call another span already reports are listed but never summed.
_COUNTED = "s.duplicate_of = ''"


class CostGroupRow(TypedDict):
    """The counted cost, usage and span counts of one group."""

    key: str
    cost: Decimal
    cost_by_type: dict[str, Decimal]
    usage: dict[str, int]
    span_count: int
    trace_count: int
    unpriced_count: int
    cost_provided: Decimal
    cost_inferred: Decimal
    cost_custom: Decimal
    #: Spans repeating a call another span reports (listed, not counted).
    duplicate_count: int


class CostSeriesRow(TypedDict):
    """The cost of one group in one time bucket (see :func:`cost_series`)."""

    bucket_ns: int
    rank: int
    key: str
    cost: Decimal


def costs(store: Store, project: str, group_by: str, where: CostFilter) -> list[CostGroupRow]:
    """Cost, usage and span counts of spans that started in the window, grouped; costliest first."""
    params: dict[str, Any] = {"project": project}
    key, spans_sql = _cost_source(group_by, where, params)
    by_origin = "".join(
        f"{sum_money('s.cost_total', f'{_COUNTED} AND s.cost_origin = {origin!r}')} AS cost_{origin}, "
        for origin in ("provided", "inferred", "custom")
    )
    sql = (
        f"SELECT {key} AS key, {sum_money('s.cost_total', _COUNTED)} AS cost, "
        f"{sum_money('s.cost', _COUNTED, by_type=True)} AS cost_by_type, "
        f"sumMapIf(s.usage, {_COUNTED}) AS usage, "
        f"count() AS span_count, {distinct_traces('s.trace_id')} AS trace_count, "
        f"countIf(s.unpriced_reason != '' AND {_COUNTED}) AS unpriced_count, {by_origin}"
        "countIf(s.duplicate_of != '') AS duplicate_count "
        f"FROM {spans_sql} GROUP BY key ORDER BY cost DESC, key"
    )
    return cast(list[CostGroupRow], store.query_dicts(sql, params))


def cost_series(
    store: Store, project: str, group_by: str, where: CostFilter, *, width_ns: int, top: int
) -> list[CostSeriesRow]:
    """The cost of the spans that started in the window, per time bucket and group, as :func:`costs`
    counts it: rows of ``bucket_ns`` (buckets ``width_ns`` wide, starting at multiples of it), ``rank``
    (1 for the costliest group over the whole window, and so on; 0 for the groups after the ``top``
    costliest, folded into one), ``key`` (``""`` when folded) and ``cost``. Groups that cost nothing are
    left out, and so are buckets without cost."""
    params: dict[str, Any] = {"project": project, "width_ns": width_ns, "top": top}
    key, spans_sql = _cost_source(group_by, where, params)
    per_bucket = (
        "SELECT intDiv(s.start_ns, {width_ns:Int64}) * {width_ns:Int64} AS bucket_ns, "
        f"{key} AS group_key, {sum_money('s.cost_total', _COUNTED)} AS amount "
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
    return cast(list[CostSeriesRow], store.query_dicts(sql, params))


def _cost_source(group_by: str, where: CostFilter, params: dict[str, Any]) -> tuple[str, str]:
    """The key expression of a cost grouping, and the spans it groups (``s``, joined to their trace's
    facts as ``t`` when the key needs one)."""
    if group_by not in COST_GROUPS:
        raise InvalidQuery(f"group_by must be one of {', '.join(COST_GROUPS)}, got {group_by!r}")
    key, trace_fact = COST_GROUPS[group_by]
    spans_sql = _spans_in(where, params)
    if trace_fact:
        # Attribute each span's cost to its trace's session, user or tags, resolved over the whole trace.
        facts = per_trace([trace_fact], having=has_span_in(where, params))
        spans_sql += f" INNER JOIN ({facts}) AS t ON s.trace_id = t.trace_id"
    return key, spans_sql


def _spans_in(where: CostFilter, params: dict[str, Any]) -> str:
    """The project's spans (``s``) that started in the window (a trace straddling its edge counts in part)."""
    return f"(SELECT * FROM spans FINAL WHERE project = {{project:String}} {started_in(where, params)}) AS s"


def cost_total(store: Store, project: str, where: CostFilter) -> Decimal:
    """The cost of the spans that started in the window, each counted once."""
    params: dict[str, Any] = {"project": project}
    rows = store.query(
        f"SELECT {COUNTED_COST} FROM spans FINAL "
        f"WHERE project = {{project:String}} {started_in(where, params)}",
        params,
    )
    return Decimal(rows[0][0]) if rows else Decimal(0)


def costs_in_windows(
    store: Store, project: str, group_by: str | None, windows: list[tuple[int, int]]
) -> dict[str, list[Decimal]]:
    """The counted cost of each group (of the whole project, keyed ``""``, when ``group_by`` is None) in
    each ``[start_ns, end_ns)`` window, as :func:`costs` and :func:`cost_total` count it for that window:
    one pass over the spans for every window, instead of one per window. Groups without spans in any
    window are left out."""
    params: dict[str, Any] = {"project": project}
    union = CostFilter(start_ns=min(start for start, _ in windows), end_ns=max(end for _, end in windows))
    if group_by is None:
        key, spans_sql = "''", _spans_in(union, params)
    else:
        key, spans_sql = _cost_source(group_by, union, params)
    sums = []
    for index, (start, end) in enumerate(windows):
        params[f"w{index}_start"], params[f"w{index}_end"] = start, end
        inside = (
            f"{_COUNTED} AND s.start_ns >= {{w{index}_start:Int64}} AND s.start_ns < {{w{index}_end:Int64}}"
        )
        sums.append(f"{sum_money('s.cost_total', inside)} AS w{index}")
    rows = store.query(f"SELECT {key} AS key, {', '.join(sums)} FROM {spans_sql} GROUP BY key", params)
    return {row[0]: [Decimal(amount) for amount in row[1:]] for row in rows}


@dataclass(frozen=True, slots=True)
class UnpricedReport:
    """The counted spans that could not be priced, by reason, provider and model."""

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
        f"AND duplicate_of = '' {started_in(where, params)}"
    )
    per_trace_sql = (
        f"SELECT unpriced_reason AS reason, provider, {_MODEL} AS model, trace_id, count() AS t_spans, "
        f"min(start_ns) AS t_first, max(start_ns) AS t_last, sumMap(usage) AS t_usage {spans_where} "
        "GROUP BY reason, provider, model, trace_id"
    )
    groups = store.query_dicts(
        "SELECT reason, provider, model, sum(t_spans) AS span_count, count() AS trace_count, "
        "min(t_first) AS first_ns, max(t_last) AS last_ns, sumMap(t_usage) AS usage, "
        "arrayMap(p -> p.2, groupArraySorted(5)((-t_last, trace_id))) AS sample_trace_ids "
        f"FROM ({per_trace_sql}) GROUP BY reason, provider, model "
        "ORDER BY span_count DESC, reason, provider, model",
        params,
    )
    rows = store.query_dicts(
        "SELECT unpriced_reason AS reason, count() AS span_count, "
        f"{distinct_traces('trace_id')} AS trace_count, "
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
    conditions, _ = trace_conditions(TraceFilter(start_ns=where.start_ns, end_ns=where.end_ns), params)
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
    candidates = per_trace(["t_start", "t_name"], f"AND trace_id IN ({groups})")
    sql = (
        f"SELECT trace_id, t_name AS name FROM ({candidates})"
        + (" WHERE " + " AND ".join(conditions) if conditions else "")
        + " ORDER BY trace_id"
    )
    return store.query_dicts(sql, params)
