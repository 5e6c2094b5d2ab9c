"""A very large trace as documents, a part at a time: its totals with the rows it opens with, a page of a
span's children, the spans matching a search. Each span is a compact row: what its line in the tree and
its bar in the waterfall show, with its subtree's rollups (its payloads come with ``/spans/{span_id}``)."""

from __future__ import annotations

from typing import Any

from tokentrail.analysis.outline import Gap, Shown, TraceOutline, path_to
from tokentrail.analysis.services import Hop, hop_of
from tokentrail.analysis.tree import TreeNode
from tokentrail.documents.encoding import money, tokens
from tokentrail.documents.traces import error_json, trace_totals

__all__ = ["children_json", "outline_json", "row_json", "search_json"]


def row_json(outline: TraceOutline, node: TreeNode) -> dict[str, Any]:
    """One span as a row of a large trace's tree."""
    span = node.span
    hop = hop_of(outline.tree, node)
    retried = outline.retries.attempts.get(node.span_id)
    return {
        "span_id": node.span_id,
        "parent_span_id": span["parent_span_id"] or None,
        "depth": node.depth,
        "broken_link": node.broken_link or None,
        "name": span["name"],
        "kind": span["kind"],
        "service": span["service"],
        "start_ns": span["start_ns"],
        "duration_ns": span["duration_ns"],
        "subtree_duration_ns": node.subtree_end_ns - node.subtree_start_ns,
        "status": span["status"],
        "error": error_json(span),
        "model": span["response_model"] or span["request_model"] or None,
        "tokens": tokens(span["usage"]),
        "cost": money(span["cost_total"]),
        "subtree_cost": money(node.subtree_cost),
        "unpriced_reason": None if span["duplicate_of"] else span["unpriced_reason"] or None,
        "duplicate_of": span["duplicate_of"] or None,
        "retried": None if retried is None else retried.reason,
        "hop": None if hop is None else _hop_json(hop),
        "child_count": len(node.children),
        "subtree_span_count": node.subtree_spans,
        "subtree_error_count": node.subtree_errors,
        "critical": node.span_id in outline.on_critical_path,
    }


def _hop_json(hop: Hop) -> dict[str, Any]:
    return {"from_service": hop.from_service, "via": hop.via, "crossing_ns": hop.crossing_ns}


def _gap_json(gap: Gap) -> dict[str, Any]:
    """Children not loaded yet: ``count`` of them from the ``offset``-th on."""
    return {
        "gap": {"parent_span_id": gap.parent_span_id, "offset": gap.offset, "count": gap.count},
        "depth": gap.depth,
    }


def _shown_json(outline: TraceOutline, shown: Shown) -> dict[str, Any]:
    return {**row_json(outline, shown.node), "expanded": shown.expanded}


def _path_json(outline: TraceOutline, node: TreeNode | None) -> list[dict[str, Any]] | None:
    if node is None:
        return None
    return [{"span_id": span_id, "index": index} for span_id, index in path_to(outline, node)]


def outline_json(outline: TraceOutline, rows: list[Shown | Gap]) -> dict[str, Any]:
    """The trace's totals; the way down to where its failure started and to the end of its critical path;
    and the rows it opens with (see :func:`~tokentrail.analysis.outline.first_rows`)."""
    critical_end = outline.tree.nodes[outline.critical[-1]] if outline.critical else None
    return {
        **trace_totals(outline.tree, outline.retries, outline.services),
        "hop_count": outline.hop_count,
        "failure_origin": _path_json(outline, outline.origin),
        "critical_end": _path_json(outline, critical_end),
        "rows": [_gap_json(row) if isinstance(row, Gap) else _shown_json(outline, row) for row in rows],
    }


def children_json(
    outline: TraceOutline, parent_span_id: str | None, nodes: list[TreeNode], offset: int, total: int
) -> dict[str, Any]:
    """A page of a span's ``total`` children (of the roots when ``parent_span_id`` is None)."""
    return {
        "trace_id": outline.tree.trace_id,
        "parent_span_id": parent_span_id,
        "offset": offset,
        "total": total,
        "spans": [row_json(outline, node) for node in nodes],
    }


def search_json(outline: TraceOutline, text: str, matches: list[TreeNode], total: int) -> dict[str, Any]:
    """The spans matching a search, depth first, each with the way down to it from its root."""
    return {
        "trace_id": outline.tree.trace_id,
        "query": text,
        "total": total,
        "matches": [{"span": row_json(outline, node), "path": _path_json(outline, node)} for node in matches],
    }
