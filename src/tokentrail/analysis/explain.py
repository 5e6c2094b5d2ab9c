"""The cost change explainer over the store: which two sets of traces to compare, their change in cost
split into parts (:mod:`.cost_change`), what drives each part, and the traces behind one driver."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from tokentrail.analysis.cost_change import (
    FACTORS,
    CellKey,
    CostChange,
    SetCost,
    SpanCell,
    decompose,
    fold_tail,
)
from tokentrail.errors import BadRequest
from tokentrail.store.database import Store
from tokentrail.store.explain import TraceSet, set_cells, traces_of_cell
from tokentrail.store.sql import TraceFilter

__all__ = [
    "COMPARED_FIELDS",
    "DEFAULT_WINDOW_NS",
    "Comparison",
    "Driver",
    "Explanation",
    "comparison",
    "driver_traces",
    "explain",
]

#: Operations (trace name, span name) and trace names named on their own; the rest are folded into one
#: each (ids in span names would otherwise make every span a cell of its own).
MAX_OPERATIONS, MAX_TRACE_NAMES = 300, 100
#: The window compared when none is given: the last seven days.
DEFAULT_WINDOW_NS = 7 * 86_400 * 10**9
#: What two sets can differ by, as a filter on their traces: parameter -> TraceFilter field ("" for the
#: release and an attribute, which are not trace filters).
COMPARED_FIELDS = {
    "name": "name",
    "service": "service",
    "model": "model",
    "user": "user_id",
    "session": "session_id",
    "tag": "tag",
    "version": "",
    "attribute": "",
}


@dataclass(frozen=True, slots=True)
class Comparison:
    """The two sets compared, and a few words on each."""

    old: TraceSet
    new: TraceSet
    old_label: str
    new_label: str


def comparison(
    *,
    start_ns: int | None,
    end_ns: int | None,
    vs_start_ns: int | None = None,
    vs_end_ns: int | None = None,
    filters: Mapping[str, str | None] | None = None,
    compare: str | None = None,
    old_value: str | None = None,
    new_value: str | None = None,
    old_trace: str | None = None,
    new_trace: str | None = None,
    now_ns: int | None = None,
) -> Comparison:
    """The sets a request asks to compare: two traces; two values of one field (a release, a model, a
    user...) over one window; or a window (default: the last 7 days) against another (default: the one
    just before it, as long). ``filters`` narrow both sets alike."""
    if old_trace or new_trace:
        if not (old_trace and new_trace):
            raise BadRequest("old_trace and new_trace go together: the two traces compared")
        return Comparison(TraceSet(trace_id=old_trace), TraceSet(trace_id=new_trace), old_trace, new_trace)
    end = end_ns if end_ns is not None else now_ns if now_ns is not None else time.time_ns()
    start = start_ns if start_ns is not None else end - DEFAULT_WINDOW_NS
    if start >= end:
        raise BadRequest("start must be before end")
    common = _narrowed(TraceSet(TraceFilter(start_ns=start, end_ns=end)), dict(filters or {}))
    if compare is not None:
        if compare not in COMPARED_FIELDS:
            raise BadRequest(f"compare must be one of {', '.join(COMPARED_FIELDS)}, got {compare!r}")
        if not (old_value and new_value):
            raise BadRequest(f"compare={compare} needs old_value and new_value, the two values compared")
        old = _narrowed(common, {compare: old_value})
        return Comparison(
            old, _narrowed(common, {compare: new_value}), f"{compare} {old_value}", f"{compare} {new_value}"
        )
    vs_end = vs_end_ns if vs_end_ns is not None else start
    vs_start = vs_start_ns if vs_start_ns is not None else vs_end - (end - start)
    if vs_start >= vs_end:
        raise BadRequest("vs_start must be before vs_end")
    old = replace(common, where=replace(common.where, start_ns=vs_start, end_ns=vs_end))
    return Comparison(old, common, "before", "after")


def _narrowed(chosen: TraceSet, filters: dict[str, str | None]) -> TraceSet:
    for name, value in filters.items():
        if not value:
            continue
        if name not in COMPARED_FIELDS:
            raise BadRequest(f"unknown filter {name!r}: one of {', '.join(COMPARED_FIELDS)}")
        field_name = COMPARED_FIELDS[name]
        if field_name:
            filters_of: dict[str, Any] = {field_name: value}
            chosen = replace(chosen, where=replace(chosen.where, **filters_of))
        elif name == "version":
            chosen = replace(chosen, version=value)
        else:
            attribute, equals, held = value.partition("=")
            if not (attribute and equals):
                raise BadRequest(f"attribute: {value!r} is not name=value, e.g. http.route=/chat")
            chosen = replace(chosen, attribute=(attribute, held))
    return chosen


@dataclass(frozen=True, slots=True)
class Driver:
    """One cell's share of a part, and what moved there in the part's own unit."""

    cell: CellKey
    #: The cost type, for the parts that differ by it (prices, cache shares, other usage, tools).
    detail: str
    amount: Fraction
    old: Fraction | None
    new: Fraction | None


@dataclass(frozen=True, slots=True)
class Explanation:
    """A comparison and its answer: the change, its parts, and each part's drivers, largest first."""

    comparison: Comparison
    old_traces: int
    new_traces: int
    change: CostChange
    drivers: dict[str, list[Driver]]
    elapsed_ms: float


def explain(store: Store, project: str, chosen: Comparison) -> Explanation:
    """Read both sets and split the change in their cost."""
    began = time.perf_counter()
    old, new = (_set_cost(store, project, side) for side in (chosen.old, chosen.new))
    change = decompose(*fold_tail(old, new, operations=MAX_OPERATIONS, groups=MAX_TRACE_NAMES))
    drivers = {
        factor: sorted(
            (
                Driver(cell, detail, amount, *change.values.get((factor, cell, detail), (None, None)))
                for (cell, detail), amount in cells.items()
                if amount
            ),
            key=lambda driver: (-abs(driver.amount), driver.cell, driver.detail),
        )
        for factor, cells in change.drivers.items()
    }
    return Explanation(
        chosen,
        sum(old.traces.values()),
        sum(new.traces.values()),
        change,
        {factor: drivers.get(factor, []) for factor in FACTORS},
        (time.perf_counter() - began) * 1000,
    )


def _set_cost(store: Store, project: str, chosen: TraceSet) -> SetCost:
    traces, rows = set_cells(store, project, chosen)
    cells = [
        SpanCell(
            CellKey(row["grp"], row["name"], row["kind"], row["model"], bool(row["failed"])),
            row["calls"],
            {key: value for key, value in row["usage"].items() if value},
            {key: Decimal(value) for key, value in row["cost"].items() if value},
        )
        for row in rows
    ]
    return SetCost(traces, cells)


def driver_traces(
    store: Store, project: str, chosen: Comparison, cell: CellKey, limit: int
) -> dict[str, list[dict[str, Any]]]:
    """The traces of each set with spans in ``cell``, costliest in it first."""
    return {
        side: traces_of_cell(store, project, chosen_set, cell._asdict(), limit)
        for side, chosen_set in (("old", chosen.old), ("new", chosen.new))
    }
