"""Reads of failures: failing traces grouped by where their failure started, and the spans that settle
the traces SQL cannot."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypedDict, cast

from tokentrail.store.database import Store
from tokentrail.store.sql import COUNTED_COST, CostFilter, TraceFilter, by_trace, trace_conditions

__all__ = ["FailureRow", "failure_spans", "failures"]


class FailureRow(TypedDict):
    """Failing traces whose failure started in spans of one group, or one trace left to its tree."""

    #: The trace id when SQL could not settle where its failure started, else "".
    unsettled: str
    span_name: str
    kind: str
    error_type: str
    service: str
    trace_count: int
    first_ns: int
    last_ns: int
    cost: Decimal
    #: Up to five ``(-start_ns, trace_id)``, the latest first.
    samples: list[tuple[int, str]]
    sample_message: str


# An error span's facts, in the order a trace's error spans are sorted by: earliest first, ties by span id.
_ERROR_SPAN = "(start_ns, span_id, name, kind, error_type, service, error_message)"


def failures(store: Store, project: str, where: CostFilter) -> list[FailureRow]:
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
    conditions, _ = trace_conditions(TraceFilter(start_ns=where.start_ns, end_ns=where.end_ns), params)
    # No span starts before its trace: a trace in the window has its error spans there or later.
    later = " AND start_ns >= {start_ns:Int64}" if where.start_ns is not None else ""
    failed = (
        "AND trace_id IN (SELECT trace_id FROM spans WHERE project = {project:String} "
        f"AND status = 'error'{later})"
    )
    per_trace = (
        f"SELECT trace_id, min(start_ns) AS t_start, {COUNTED_COST} AS t_cost, "
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
    rows = store.query_dicts(
        "SELECT if(settled, '', trace_id) AS unsettled, if(settled, origin.3, '') AS span_name, "
        "if(settled, toString(origin.4), '') AS kind, if(settled, origin.5, '') AS error_type, "
        "if(settled, toString(origin.6), '') AS service, count() AS trace_count, "
        "min(t_start) AS first_ns, max(t_start) AS last_ns, sum(t_cost) AS cost, "
        "groupArraySorted(5)((-t_start, trace_id)) AS samples, "
        "argMin(if(settled, origin.7, ''), (-t_start, trace_id)) AS sample_message "
        f"FROM ({origins}) GROUP BY unsettled, span_name, kind, error_type, service",
        params,
    )
    return cast(list[FailureRow], rows)


def failure_spans(store: Store, project: str, trace_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The spans of the given traces with their links, status and error facts (no payloads, no numbers),
    by trace id: enough to build their trees and find where each failure started."""
    return by_trace(
        store,
        "SELECT trace_id, span_id, parent_span_id, start_ns, end_ns, status, name, kind, error_type, "
        "error_message, service FROM spans FINAL "
        "WHERE project = {project:String} AND trace_id IN {ids:Array(String)}",
        project,
        trace_ids,
    )
