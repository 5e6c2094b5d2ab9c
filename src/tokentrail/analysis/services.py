"""The services of a trace: what each one did (spans, cost, time), and the hops between them.

A span is a **hop** when its service differs from its parent's: the request left the parent's service
and arrived in the span's. How it crossed (``via``) is read from the attributes of the two spans through
:data:`~tokentrail.semconv.hops.HOP_SIGNS` (a queue reached over HTTP is a queue hop); ``None`` when
neither span says. The **crossing** time is from the parent's start to the span's start: for an HTTP
client span and the server span under it, the time before the server began; for a message's producer
span and its consumer, the time the message took to be sent and picked up. It is negative when the two
services' clocks disagree.

Roots, orphans (their parent never arrived, so its service is unknown) and spans freed from a parent
cycle are no hops. Everything here is plain data in, plain data out: no store, no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tokentrail.analysis.tree import TraceTree, TreeNode
from tokentrail.money import sum_money
from tokentrail.semconv.hops import HOP_SIGNS

__all__ = ["Hop", "ServiceShare", "hop_count", "hop_of", "hops_in_tree", "services_in_tree"]


@dataclass(frozen=True, slots=True)
class Hop:
    """The crossing into ``span_id``'s service from its parent's."""

    span_id: str
    parent_span_id: str
    from_service: str
    to_service: str
    #: "queue", "rpc", "http", or None when neither span says how the request crossed.
    via: str | None
    crossing_ns: int


@dataclass(frozen=True, slots=True)
class ServiceShare:
    """One service's part of a trace: its spans, their own cost (duplicates left out, as in every total)
    and the time at least one of them was running (overlapping spans counted once)."""

    name: str
    span_count: int
    cost: Decimal
    busy_ns: int


def hop_of(tree: TraceTree, node: TreeNode) -> Hop | None:
    """The hop into ``node``, or None when it runs in its parent's service (or has no parent in the tree)."""
    parent = _hop_parent(tree, node)
    if parent is None:
        return None
    return Hop(
        node.span_id,
        parent.span_id,
        parent.span["service"],
        node.span["service"],
        _via(parent.span.get("attributes") or {}, node.span.get("attributes") or {}),
        node.span["start_ns"] - parent.span["start_ns"],
    )


def _hop_parent(tree: TraceTree, node: TreeNode) -> TreeNode | None:
    """The parent ``node`` hopped from, or None when it is no hop."""
    if node.broken_link:
        return None
    parent = tree.nodes.get(node.span["parent_span_id"])
    if parent is None or parent.span["service"] == node.span["service"]:
        return None
    return parent


def hop_count(tree: TraceTree) -> int:
    """How many hops the tree has (:func:`hops_in_tree` without finding how each one crossed)."""
    return sum(1 for node in tree.nodes.values() if _hop_parent(tree, node) is not None)


def hops_in_tree(tree: TraceTree) -> dict[str, Hop]:
    """Every hop of the tree, by the id of the span it arrives at, depth first."""
    return {hop.span_id: hop for node in tree.walk() if (hop := hop_of(tree, node)) is not None}


def services_in_tree(tree: TraceTree) -> list[ServiceShare]:
    """The services of the tree's spans, in the order they first appear depth first."""
    spans: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for node in tree.nodes.values():
        spans[node.span["service"]].append(node.span)
    first_seen: dict[str, int] = {}
    for node in tree.walk():  # a few steps in most traces: until each service has been seen
        first_seen.setdefault(node.span["service"], len(first_seen))
        if len(first_seen) == len(spans):
            break
    return [
        ServiceShare(
            name,
            len(own),
            sum_money(Decimal(span.get("cost_total") or 0) for span in own if not span.get("duplicate_of")),
            _busy_ns(own),
        )
        for name, own in sorted(spans.items(), key=lambda item: first_seen[item[0]])
    ]


def _via(parent: Mapping[str, str], child: Mapping[str, str]) -> str | None:
    if not parent and not child:  # most spans: a 100,000-span trace asks this of each
        return None
    return next((via for name, via in HOP_SIGNS if name in parent or name in child), None)


def _busy_ns(spans: list[dict[str, Any]]) -> int:
    """The length of the union of the spans' intervals."""
    busy, reached = 0, None
    for start, end in sorted((span["start_ns"], span["end_ns"]) for span in spans):
        if reached is None or start >= reached:
            busy, reached = busy + end - start, end
        elif end > reached:
            busy, reached = busy + end - reached, end
    return busy
