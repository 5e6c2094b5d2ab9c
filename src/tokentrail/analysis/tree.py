"""Trace trees: spans linked to their parents, with self and subtree rollups.

Everything here is iterative, so a 10,000-deep chain builds as easily as a flat trace. Spans whose parent
never arrived (orphans), and spans caught in a parent cycle, become extra roots marked as such, so
nothing a user sent is hidden.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Any

from tokentrail import money

__all__ = ["TraceTree", "TreeNode", "build_tree", "counted_cost", "critical_path"]


@dataclass(slots=True)
class TreeNode:
    span: dict[str, Any]
    children: list[TreeNode] = field(default_factory=list)
    depth: int = 0
    #: "" for a proper root or child, "orphan" when the parent never arrived, "cycle" for a parent loop.
    broken_link: str = ""
    subtree_start_ns: int = 0
    subtree_end_ns: int = 0
    subtree_cost: Decimal = Decimal(0)
    subtree_cost_by_type: Counter[str] = field(default_factory=Counter)
    subtree_usage: Counter[str] = field(default_factory=Counter)
    subtree_errors: int = 0
    subtree_spans: int = 1

    @property
    def span_id(self) -> str:
        return str(self.span["span_id"])


@dataclass(slots=True)
class TraceTree:
    trace_id: str
    roots: list[TreeNode]
    nodes: dict[str, TreeNode]

    def walk(self) -> Iterable[TreeNode]:
        """Every node, depth first, children in start order."""
        stack = list(reversed(self.roots))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


def build_tree(trace_id: str, spans: Iterable[Mapping[str, Any]]) -> TraceTree:
    """Link spans (dicts with span_id, parent_span_id, start_ns, end_ns, cost, usage, status) into a tree.

    The nodes hold the given dicts themselves (a copy of any other mapping): nothing here changes them."""
    nodes: dict[str, TreeNode] = {
        span["span_id"]: TreeNode(span if type(span) is dict else dict(span))
        for span in sorted(spans, key=_START_ORDER)
    }
    roots: list[TreeNode] = []
    for node in nodes.values():
        parent_id = node.span["parent_span_id"]
        if not parent_id:
            roots.append(node)
            continue
        parent = nodes.get(parent_id)
        if parent is None:
            node.broken_link = "orphan"
            roots.append(node)
        else:
            parent.children.append(node)  # in start order, as the nodes are

    order = _link_depths(roots)
    while len(order) < len(nodes):
        # Spans in a parent cycle: break the loop at the earliest span and show it as a root.
        reached = {id(node) for node in order}
        start = next(node for node in nodes.values() if id(node) not in reached)
        start.broken_link = "cycle"
        for node in nodes.values():  # its former parent must no longer claim it
            if start in node.children:
                node.children.remove(start)
        roots.append(start)
        order += _link_depths([start])
    roots.sort(key=lambda n: (n.span["start_ns"], n.span_id))
    _roll_up(order)
    return TraceTree(trace_id, roots, nodes)


_START_ORDER = itemgetter("start_ns", "span_id")


def _link_depths(roots: list[TreeNode]) -> list[TreeNode]:
    """The nodes under ``roots`` in breadth-first order, their depths set."""
    for root in roots:
        root.depth = 0
    queue = list(roots)
    for node in queue:  # grows as it goes
        depth = node.depth + 1
        for child in node.children:
            child.depth = depth
        queue += node.children
    return queue


def _roll_up(order: list[TreeNode]) -> None:
    # Children come after their parents in breadth-first order, so the reverse visits leaves first.
    with money.exact():  # costs add up without rounding
        for node in reversed(order):
            span = node.span
            start, end = span["start_ns"], span["end_ns"]
            cost = counted_cost(span)
            errors = int(span.get("status") == "error")
            count = 1
            # The node's own (empty) counters, added to only when there is something to add: a
            # 100,000-span trace otherwise spends seconds merging empty ones.
            by_type, usage = node.subtree_cost_by_type, node.subtree_usage
            if not span.get("duplicate_of"):  # else the same call is already counted on another span
                if own := span.get("cost"):
                    _add(by_type, own)
                if own := span.get("usage"):
                    _add(usage, own)
            for child in node.children:
                start = min(start, child.subtree_start_ns)
                end = max(end, child.subtree_end_ns)
                cost += child.subtree_cost
                if child.subtree_cost_by_type:
                    _add(by_type, child.subtree_cost_by_type)
                if child.subtree_usage:
                    _add(usage, child.subtree_usage)
                errors += child.subtree_errors
                count += child.subtree_spans
            node.subtree_start_ns, node.subtree_end_ns = start, end
            node.subtree_cost, node.subtree_errors, node.subtree_spans = cost, errors, count


def counted_cost(span: Mapping[str, Any]) -> Decimal:
    """What a span's own cost adds to its trace's total: nothing for a span reporting a call another span
    of the trace already counts (``duplicate_of``)."""
    return Decimal(0) if span.get("duplicate_of") else Decimal(span.get("cost_total") or 0)


def _add(total: Counter[str], amounts: Mapping[str, Any]) -> None:
    if not total:  # most nodes: a leaf's own amounts, or a parent's first child's
        dict.update(total, amounts)
        return
    for key, amount in amounts.items():
        total[key] += amount


def critical_path(tree: TraceTree) -> list[str]:
    """The span ids that decided when the trace ended, earliest first.

    Walking back from a span's end: the child that finished last is critical, then the child that
    finished last before that one started, and so on, each chosen child examined the same way (as
    Jaeger draws it). A child finishes when its last descendant does: a message's producer span ends as
    soon as it is queued, but the worker's span below it, started later, is what the request waited for.
    Children running beside a critical child are not critical; a child that outlived its parent counts up to
    the parent's end.
    """
    chosen: list[TreeNode] = []
    # While the root has not arrived, each orphaned branch gets its own path.
    roots = [root for root in tree.roots if not root.broken_link] or tree.roots
    # (node, the moment its critical part must end by): an explicit stack, for traces of any depth.
    stack = [(root, root.span["end_ns"]) for root in roots]
    while stack:
        node, until = stack.pop()
        chosen.append(node)
        cursor = until
        latest_first = sorted(
            (child for child in node.children if child.span["start_ns"] < until),
            key=lambda child: (child.subtree_end_ns, child.span["start_ns"]),
            reverse=True,
        )
        for child in latest_first:
            end = min(child.subtree_end_ns, until)
            if end <= cursor or cursor == until:
                stack.append((child, end))
                cursor = child.span["start_ns"]
    return [node.span_id for node in sorted(chosen, key=lambda n: (n.span["start_ns"], n.depth, n.span_id))]
