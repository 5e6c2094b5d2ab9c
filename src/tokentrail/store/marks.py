"""The duplicate-call marks of stored spans: reading a trace's call signatures with their marks, and
writing new marks as new row versions (the same replacement re-pricing uses: the row copied with a later
``ingested_ns``, which ``ReplacingMergeTree`` keeps)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

from tokentrail.analysis.calls import CallNode
from tokentrail.store.database import Store
from tokentrail.store.sql import one_of

__all__ = ["WHOLE_TRACE_SPANS", "Mark", "StoredCall", "StoredTrace", "stored_traces", "write_marks"]

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
_NO_MODEL = frozenset({""})


#: A trace with more spans than this is read by the parts the new spans belong to, not whole.
WHOLE_TRACE_SPANS = 2_000


def stored_traces(
    store: Store, project: str, touched: Mapping[str, Collection[str]]
) -> dict[str, StoredTrace]:
    """What resolving needs of the ``touched`` traces (trace id -> ids of its spans just inserted) that hold
    two model spans or more, by trace id.

    Decisions never reach outside one root's subtree but through a provider response id (layers are
    ancestors of each other, wrappers wrap), so a trace of more than :data:`WHOLE_TRACE_SPANS` spans is read
    only where its new spans sit: the subtrees of their topmost ancestors, and of any model span naming a
    response id one of those names. Its cost follows the batch, not the trace. Only the model spans are read
    whole (with ``FINAL``: their marks must be the latest); the links of the others are two columns.
    """
    params: dict[str, Any] = {"project": project, "least": _MODEL_SPANS_TO_COMPARE}
    in_touched = f"project = {{project:String}} AND {one_of('trace_id', touched, params)}"
    sizes = store.query(
        f"SELECT trace_id, count() FROM spans WHERE {in_touched} GROUP BY trace_id "
        f"HAVING uniqExactIf(span_id, {_MODEL_KINDS}) >= {{least:UInt32}}",
        params,
    )
    traces = {trace_id: StoredTrace([], {}) for trace_id, _ in sizes}
    whole = [trace_id for trace_id, spans in sizes if spans <= WHOLE_TRACE_SPANS]
    if whole:
        where = f"project = {{project:String}} AND {one_of('trace_id', whole, params)}"
        links = store.query_columns(
            f"SELECT trace_id, span_id, parent_span_id FROM spans WHERE {where}", params
        )
        for trace_id, span_id, parent in zip(*links, strict=True):
            traces[trace_id].parents[span_id] = parent
        _read_calls(store, where, params, traces)
    for trace_id, spans in sizes:
        if spans > WHOLE_TRACE_SPANS:
            _read_parts(store, project, trace_id, touched[trace_id], traces[trace_id])
    return traces


def _read_calls(store: Store, keys: str, params: dict[str, Any], traces: dict[str, StoredTrace]) -> None:
    """Append to ``traces`` the model spans among the rows whose key meets ``keys`` (a condition on the
    key columns only: it is applied before ``FINAL`` merges, see :mod:`tokentrail.store.sql`)."""
    columns = store.query_columns(
        "SELECT trace_id, span_id, parent_span_id, request_model, response_model, usage['input'], "
        "usage['output'], response_id, start_ns, cost_total != 0, duplicate_of, duplicate_reason "
        f"FROM spans FINAL PREWHERE {keys} WHERE {_MODEL_KINDS}",
        params,
    )
    for (
        trace_id,
        span_id,
        parent,
        requested,
        responded,
        input_,
        output,
        response_id,
        start,
        costed,
        of,
        why,
    ) in zip(*columns, strict=True):
        models = frozenset((requested, responded)) - _NO_MODEL
        node = CallNode(
            span_id, parent, models, int(input_), int(output), response_id, int(start), True, bool(costed)
        )
        traces[trace_id].calls.append(StoredCall(node, of, why))


def _read_parts(store: Store, project: str, trace_id: str, new: Collection[str], into: StoredTrace) -> None:
    """Read into ``into`` the subtrees of one big trace that the spans ``new`` belong to, closed over
    response ids."""
    params: dict[str, Any] = {"project": project, "trace_id": trace_id}
    in_trace = "project = {project:String} AND trace_id = {trace_id:String}"
    start = set(new)
    while start:
        into.parents.update(_subtrees(store, in_trace, params, start))
        into.calls.clear()
        in_parts = one_of("span_id", into.parents.keys(), params)
        _read_calls(store, f"{in_trace} AND {in_parts}", params, {trace_id: into})
        params["responses"] = sorted({call.node.response_id for call in into.calls if call.node.response_id})
        sharing = store.query(
            f"SELECT span_id FROM spans WHERE {in_trace} AND {_MODEL_KINDS} "
            "AND response_id IN {responses:Array(String)}",
            params,
        )
        start = {span_id for (span_id,) in sharing} - into.parents.keys()


def _subtrees(store: Store, in_trace: str, params: dict[str, Any], start: set[str]) -> dict[str, str]:
    """The links (span id -> parent) of the subtrees of the topmost ancestors of ``start``: up by parent
    links to a root, a missing parent or a cycle, then down by children, a level per query."""
    links: dict[str, str] = {}
    tops: set[str] = set()
    frontier = set(start)
    while frontier:
        found = dict(_links(store, in_trace, "span_id", frontier, params))
        links.update(found)
        tops |= frontier - found.keys()  # not stored (yet): the top of what hangs below it
        tops |= {span_id for span_id, parent in found.items() if not parent}
        frontier = {parent for parent in found.values() if parent and parent not in links}
    frontier = tops | links.keys()  # a cycle has no top: walking down from its members finds it all
    while frontier:
        below = dict(_links(store, in_trace, "parent_span_id", frontier, params))
        frontier = below.keys() - links.keys()
        links.update(below)
    return links


def _links(
    store: Store, in_trace: str, column: str, ids: Collection[str], params: dict[str, Any]
) -> list[tuple[str, str]]:
    """The (span id, parent) links of the trace's spans whose ``column`` is one of ``ids``."""
    params = dict(params)
    where = f"{in_trace} AND {one_of(column, ids, params)}"
    links = store.query_columns(f"SELECT span_id, parent_span_id FROM spans WHERE {where}", params)
    return list(zip(*links, strict=True))


def write_marks(store: Store, project: str, marks: Sequence[Mark]) -> None:
    """Give each span in ``marks`` its mark, as a new version of its stored row."""
    if not marks:
        return
    store.command(
        "INSERT INTO spans SELECT s.* REPLACE (m.duplicate_of AS duplicate_of, "
        "m.duplicate_reason AS duplicate_reason, s.ingested_ns + 1 AS ingested_ns) "
        "FROM spans AS s FINAL INNER JOIN ("
        "  SELECT tupleElement(mark, 1) AS trace_id, tupleElement(mark, 2) AS span_id, "
        "  tupleElement(mark, 3) AS duplicate_of, tupleElement(mark, 4) AS duplicate_reason "
        "  FROM (SELECT arrayJoin({marks:Array(Tuple(String, String, String, String))}) AS mark)"
        ") AS m ON s.trace_id = m.trace_id AND s.span_id = m.span_id "
        "WHERE s.project = {project:String} AND s.trace_id IN {ids:Array(String)}",
        {
            "project": project,
            "marks": [tuple(mark) for mark in marks],
            "ids": sorted({mark.trace_id for mark in marks}),
        },
    )
