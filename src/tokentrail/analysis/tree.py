"""Trace trees: spans linked to their parents, with self and subtree rollups.

Everything here is iterative, so a 10,000-deep chain builds as easily as a flat trace. Spans whose parent
never arrived (orphans), and spans caught in a parent cycle, become extra roots marked as such, so
nothing a user sent is hidden.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
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
    """Link spans (dicts with span_id, parent_span_id, start_ns, end_ns, cost, usage, status) into a tree."""
    nodes: dict[str, TreeNode] = {}
    for span in sorted(spans, key=lambda s: (s["start_ns"], s["span_id"])):
        nodes[span["span_id"]] = TreeNode(dict(span))
    roots: list[TreeNode] = []
    children: defaultdict[str, list[TreeNode]] = defaultdict(list)
    for node in nodes.values():
        parent = node.span["parent_span_id"]
        if not parent:
            roots.append(node)
        elif parent in nodes:
            children[parent].append(node)
        else:
            node.broken_link = "orphan"
            roots.append(node)
    for span_id, kids in children.items():
        nodes[span_id].children = kids  # already in start order

    order = _link_depths(roots)
    unreached = [node for node in nodes.values() if node.span_id not in order]
    while unreached:
        # Spans in a parent cycle: break the loop at the earliest span and show it as a root.
        start = unreached[0]
        start.broken_link = "cycle"
        for node in unreached:  # its former parent must no longer claim it
            if start in node.children:
                node.children.remove(start)
        roots.append(start)
        order.update(_link_depths([start]))
        unreached = [node for node in nodes.values() if node.span_id not in order]
    roots.sort(key=lambda n: (n.span["start_ns"], n.span_id))
    _roll_up(nodes, order)
    return TraceTree(trace_id, roots, nodes)


def _link_depths(roots: list[TreeNode]) -> dict[str, int]:
    """Breadth-first order of the nodes under ``roots`` (span id -> visit index), setting depths."""
    order: dict[str, int] = {}
    queue = list(roots)
    for root in roots:
        root.depth = 0
    index = 0
    while index < len(queue):
        node = queue[index]
        order[node.span_id] = index
        for child in node.children:
            child.depth = node.depth + 1
            queue.append(child)
        index += 1
    return order


def _roll_up(nodes: dict[str, TreeNode], order: dict[str, int]) -> None:
    # Children come after their parents in breadth-first order, so the reverse visits leaves first.
    with money.exact():  # costs add up without rounding
        for node in sorted(nodes.values(), key=lambda n: order[n.span_id], reverse=True):
            span = node.span
            node.subtree_start_ns = span["start_ns"]
            node.subtree_end_ns = span["end_ns"]
            counted = not span.get("duplicate_of")  # the same call is already counted on another span
            node.subtree_cost = counted_cost(span)
            node.subtree_cost_by_type = Counter(span.get("cost") or {} if counted else {})
            node.subtree_usage = Counter(span.get("usage") or {} if counted else {})
            node.subtree_errors = int(span.get("status") == "error")
            node.subtree_spans = 1
            for child in node.children:
                node.subtree_start_ns = min(node.subtree_start_ns, child.subtree_start_ns)
                node.subtree_end_ns = max(node.subtree_end_ns, child.subtree_end_ns)
                node.subtree_cost += child.subtree_cost
                node.subtree_cost_by_type.update(child.subtree_cost_by_type)
                node.subtree_usage.update(child.subtree_usage)
                node.subtree_errors += child.subtree_errors
                node.subtree_spans += child.subtree_spans


def counted_cost(span: Mapping[str, Any]) -> Decimal:
    """What a span's own cost adds to its trace's total: nothing for a span reporting a call another span
    of the trace already counts (``duplicate_of``)."""
    return Decimal(0) if span.get("duplicate_of") else Decimal(span.get("cost_total") or 0)


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
