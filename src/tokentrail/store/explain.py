"""Reads for the cost change explainer: a set of traces as cells of alike spans, and the traces of a set
that drive one cell's cost.

A set is the traces that started in a window, narrowed by trace filters (name, session, user, model,
service, tag), a release (``service.version`` on any span's resource), an attribute's value on any span,
or one trace id. Every span of a
trace counts, also one that started after the window's end: a set is of traces, not of spans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tokentrail.semconv.common import SERVICE_VERSION
from tokentrail.store.database import Store
from tokentrail.store.sql import MONEY_SUM_TYPE, TraceFilter, trace_conditions
from tokentrail.store.summaries import summarized

__all__ = ["CELL_COLUMNS", "TraceSet", "set_cells", "traces_of_cell"]


@dataclass(frozen=True, slots=True)
class TraceSet:
    """Which traces a side of a comparison holds."""

    where: TraceFilter = field(default_factory=TraceFilter)
    #: The release: a span of the trace ran in a service of this ``service.version``.
    version: str | None = None
    #: Just this trace.
    trace_id: str | None = None
    #: A span of the trace has this (name, value) among its attributes, metadata or resource attributes
    #: (an HTTP route, a prompt's name, any attribute an instrumentation sets).
    attribute: tuple[str, str] | None = None


#: A span's cell, as SQL over ``spans`` (the model that served the call, else the one asked for).
CELL_COLUMNS = {
    "name": "s.name",
    "kind": "s.kind",
    "model": "if(s.response_model != '', s.response_model, s.request_model)",
    "failed": "s.status = 'error'",
}
_MONEY_MAP = f"Map(LowCardinality(String), {MONEY_SUM_TYPE})"


def _selected(chosen: TraceSet, params: dict[str, Any]) -> str:
    """SQL: the trace id and name of each trace of the set."""
    conditions, needed = trace_conditions(chosen.where, params)
    narrowing = ""
    if chosen.trace_id is not None:
        params["trace_id"] = chosen.trace_id
        narrowing += " AND trace_id = {trace_id:String}"
    if chosen.version is not None:
        params["version"], params["version_key"] = chosen.version, SERVICE_VERSION
        narrowing += (
            " AND trace_id IN (SELECT trace_id FROM spans WHERE project = {project:String} "
            "AND resource[{version_key:String}] = {version:String})"
        )
    if chosen.attribute is not None:
        params["attribute_name"], params["attribute_value"] = chosen.attribute
        held = " OR ".join(
            f"{column}[{{attribute_name:String}}] = {{attribute_value:String}}"
            for column in ("attributes", "metadata", "resource")
        )
        narrowing += (
            f" AND trace_id IN (SELECT trace_id FROM spans WHERE project = {{project:String}} AND ({held}))"
        )
    source = summarized(["t_name", *needed], narrowing)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"SELECT trace_id, t_name FROM ({source}){where}"


def _spans(chosen: TraceSet, params: dict[str, Any]) -> str:
    """SQL: the counted spans of the set's traces as ``s``, each with its trace's name as ``t_name``."""
    # A trace's spans start no earlier than the trace: the start index skips older parts of the table.
    after = " AND start_ns >= {start_ns:Int64}" if chosen.where.start_ns is not None else ""
    return (
        f"(SELECT * FROM spans FINAL PREWHERE project = {{project:String}} WHERE duplicate_of = ''{after}) "
        f"AS s INNER JOIN ({_selected(chosen, params)}) AS t ON s.trace_id = t.trace_id"
    )


def set_cells(store: Store, project: str, chosen: TraceSet) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """The set's traces per trace name, and its counted spans by cell (``grp`` the trace name, then
    :data:`CELL_COLUMNS`) with their ``calls``, ``usage`` and ``cost`` by type."""
    params: dict[str, Any] = {"project": project}
    traces = store.query(f"SELECT t_name, count() FROM ({_selected(chosen, params)}) GROUP BY t_name", params)
    columns = ", ".join(f"{sql} AS {name}" for name, sql in CELL_COLUMNS.items())
    cells = store.query_dicts(
        f"SELECT t.t_name AS grp, {columns}, count() AS calls, sumMap(s.usage) AS usage, "
        f"sumMap(CAST(s.cost, '{_MONEY_MAP}')) AS cost "
        f"FROM {_spans(chosen, params)} GROUP BY grp, name, kind, model, failed",
        params,
    )
    return {name: count for name, count in traces}, cells


def traces_of_cell(
    store: Store, project: str, chosen: TraceSet, cell: dict[str, Any], limit: int
) -> list[dict[str, Any]]:
    """The set's traces with spans in ``cell`` (its ``group`` and :data:`CELL_COLUMNS`), costliest in
    it first: each trace's start, and its calls, usage and cost in the cell."""
    params: dict[str, Any] = {
        "project": project,
        "group": cell["group"],
        "limit": limit,
        **{f"cell_{name}": cell[name] for name in CELL_COLUMNS},
    }
    matches = " AND ".join(
        f"{sql} = {{cell_{name}:{'Bool' if name == 'failed' else 'String'}}}"
        for name, sql in CELL_COLUMNS.items()
    )
    return store.query_dicts(
        f"SELECT s.trace_id AS trace_id, min(s.start_ns) AS start_ns, count() AS calls, "
        f"sumMap(s.usage) AS usage, sum(CAST(s.cost_total, '{MONEY_SUM_TYPE}')) AS cost "
        f"FROM {_spans(chosen, params)} WHERE t.t_name = {{group:String}} AND {matches} "
        "GROUP BY trace_id ORDER BY cost DESC, trace_id LIMIT {limit:UInt32}",
        params,
    )
