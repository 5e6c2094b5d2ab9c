"""The duplicate-call marks of stored spans: reading a trace's call signatures with their marks, and
writing new marks as new row versions (the same replacement re-pricing uses: the row copied with a later
``ingested_ns``, which ``ReplacingMergeTree`` keeps)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from tokentrail.analysis.calls import CallNode
from tokentrail.store.database import Store

__all__ = ["Mark", "StoredCall", "StoredTrace", "stored_traces", "write_marks"]

#: Traces with fewer model spans than this cannot hold a repeated or wrapped call.
_MODEL_SPANS_TO_COMPARE = 2


class StoredCall(NamedTuple):
    """One stored model span: its call signature and the mark it carries."""

    node: CallNode
    duplicate_of: str
    duplicate_reason: str


class StoredTrace(NamedTuple):
    """What resolving one trace needs: its model spans, and every span's parent (layers may have other
    spans between them)."""

    calls: list[StoredCall]
    parents: dict[str, str]


class Mark(NamedTuple):
    """The mark one span should carry (empty strings: counted)."""

    trace_id: str
    span_id: str
    duplicate_of: str
    duplicate_reason: str


_MODEL_KINDS = "kind IN ('llm', 'embedding')"


def stored_traces(store: Store, project: str, trace_ids: Sequence[str]) -> dict[str, StoredTrace]:
    """Those of ``trace_ids`` that hold two model spans or more, by trace id.

    Only the model spans are read whole (with ``FINAL``: their marks must be the latest); the links of the
    others are two columns, read as columns, so a trace of 100,000 spans costs little to resolve again.
    """
    params = {"project": project, "ids": list(trace_ids), "least": _MODEL_SPANS_TO_COMPARE}
    where = "project = {project:String} AND trace_id IN {ids:Array(String)}"
    (wanted,) = (
        store.client()
        .query(
            f"SELECT groupArray(trace_id) FROM (SELECT trace_id FROM spans WHERE {where} AND {_MODEL_KINDS} "
            "GROUP BY trace_id HAVING uniqExact(span_id) >= {least:UInt32})",
            parameters=params,
        )
        .result_rows[0]
    )
    if not wanted:
        return {}
    params["ids"] = list(wanted)
    traces = {trace_id: StoredTrace([], {}) for trace_id in wanted}
    links = (
        store.client()
        .query(f"SELECT trace_id, span_id, parent_span_id FROM spans WHERE {where}", parameters=params)
        .result_columns
    )
    for trace_id, span_id, parent in zip(*links, strict=True):
        traces[trace_id].parents[span_id] = parent
    calls = store.query_dicts(
        "SELECT trace_id, span_id, parent_span_id, request_model, response_model, usage['input'] AS input, "
        "usage['output'] AS output, response_id, start_ns, cost_total != 0 AS costed, duplicate_of, "
        f"duplicate_reason FROM spans FINAL WHERE {where} AND {_MODEL_KINDS}",
        params,
    )
    for row in calls:
        node = CallNode(
            row["span_id"],
            row["parent_span_id"],
            frozenset(model for model in (row["request_model"], row["response_model"]) if model),
            int(row["input"]),
            int(row["output"]),
            row["response_id"],
            int(row["start_ns"]),
            True,
            bool(row["costed"]),
        )
        traces[row["trace_id"]].calls.append(StoredCall(node, row["duplicate_of"], row["duplicate_reason"]))
    return traces


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
