"""The duplicate-call marks of stored spans: reading a trace's call signatures with their marks, and
writing new marks as new row versions (the same replacement re-pricing uses: the row copied with a later
``ingested_ns``, which ``ReplacingMergeTree`` keeps)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from tokentrail.analysis.calls import CallNode
from tokentrail.store.database import Store

__all__ = ["Mark", "StoredCall", "call_nodes", "write_marks"]

#: Traces with fewer model spans than this cannot hold a repeated or wrapped call.
_MODEL_SPANS_TO_COMPARE = 2


class StoredCall(NamedTuple):
    """One stored span of a trace: its call signature and the mark it carries."""

    trace_id: str
    node: CallNode
    duplicate_of: str
    duplicate_reason: str


class Mark(NamedTuple):
    """The mark one span should carry (empty strings: counted)."""

    trace_id: str
    span_id: str
    duplicate_of: str
    duplicate_reason: str


def call_nodes(store: Store, project: str, trace_ids: Sequence[str]) -> list[StoredCall]:
    """Every span of those of ``trace_ids`` that hold two model spans or more, with its stored mark."""
    rows = store.query_dicts(
        "SELECT trace_id, span_id, parent_span_id, request_model, response_model, "
        "kind IN ('llm', 'embedding') AS llm, if(llm, usage['input'], 0) AS input, "
        "if(llm, usage['output'], 0) AS output, response_id, start_ns, cost_total != 0 AS costed, "
        "duplicate_of, duplicate_reason "
        "FROM spans FINAL WHERE project = {project:String} AND trace_id IN ("
        "  SELECT trace_id FROM spans WHERE project = {project:String} AND trace_id IN {ids:Array(String)}"
        "  AND kind IN ('llm', 'embedding') GROUP BY trace_id HAVING uniqExact(span_id) >= {least:UInt32})",
        {"project": project, "ids": list(trace_ids), "least": _MODEL_SPANS_TO_COMPARE},
    )
    return [
        StoredCall(
            row["trace_id"],
            CallNode(
                row["span_id"],
                row["parent_span_id"],
                frozenset(model for model in (row["request_model"], row["response_model"]) if model),
                int(row["input"]),
                int(row["output"]),
                row["response_id"],
                int(row["start_ns"]),
                bool(row["llm"]),
                bool(row["costed"]),
            ),
            row["duplicate_of"],
            row["duplicate_reason"],
        )
        for row in rows
    ]


def write_marks(store: Store, project: str, marks: Sequence[Mark]) -> None:
    """Give each span in ``marks`` its mark, as a new version of its stored row."""
    if not marks:
        return
    store.client().command(
        "INSERT INTO spans SELECT s.* REPLACE (m.duplicate_of AS duplicate_of, "
        "m.duplicate_reason AS duplicate_reason, s.ingested_ns + 1 AS ingested_ns) "
        "FROM spans AS s FINAL INNER JOIN ("
        "  SELECT tupleElement(mark, 1) AS trace_id, tupleElement(mark, 2) AS span_id, "
        "  tupleElement(mark, 3) AS duplicate_of, tupleElement(mark, 4) AS duplicate_reason "
        "  FROM (SELECT arrayJoin({marks:Array(Tuple(String, String, String, String))}) AS mark)"
        ") AS m ON s.trace_id = m.trace_id AND s.span_id = m.span_id "
        "WHERE s.project = {project:String} AND s.trace_id IN {ids:Array(String)}",
        parameters={
            "project": project,
            "marks": [tuple(mark) for mark in marks],
            "ids": sorted({mark.trace_id for mark in marks}),
        },
    )
