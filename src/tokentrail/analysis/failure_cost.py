"""What a trace's failure cost: where it started, the path it went up, and its cost in parts.

Every span of the trace lands in exactly one part, by its own (counted) cost, so the parts add up to the
trace's total:

- **retried**: the span is a retried attempt (:mod:`tokentrail.analysis.retries`: an attempt another
  attempt of the same operation replaced) or lies inside one. Its work was done again, so all of it was
  spent on the failure; this part is the trace's retry waste, exactly.
- **failed**: the span failed itself (status ``error``) and is not inside a retried attempt: a failed
  attempt that stuck, its own cost.
- **thrown_away**: the span succeeded but lies beneath a failed span (not inside a retried attempt): its
  result went into work that failed, so it was discarded with it. Successful earlier siblings under a
  failed parent are in this part too.
- **kept**: everything else, the cost not lost to the failure.

The cost of the failure is ``retried + failed + thrown_away``. Plain data in, plain data out: no store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from tokentrail import money
from tokentrail.analysis.failures import failure_origin
from tokentrail.analysis.retries import TraceRetries, retries_in_tree
from tokentrail.analysis.tree import TraceTree, TreeNode, counted_cost

__all__ = ["PARTS", "CostPart", "FailureCost", "failure_cost"]

#: The parts a trace's cost is split into, in the order they are claimed (see the module's docstring).
PARTS = ("retried", "failed", "thrown_away", "kept")


@dataclass(slots=True)
class CostPart:
    cost: Decimal = Decimal(0)
    span_count: int = 0


@dataclass(slots=True)
class FailureCost:
    """One trace's failure: where it started, how far up it went and what it cost."""

    #: The span where the failure started (:func:`~tokentrail.analysis.failures.failure_origin`); None
    #: when no span failed.
    origin: TreeNode | None
    #: The origin and its ancestors, origin first, up to its root.
    path: list[TreeNode]
    #: The last span of the path's unbroken run of failed spans from the origin: where the failure stopped
    #: (the root when it failed the whole trace); None when no span failed.
    propagated_to: TreeNode | None
    parts: dict[str, CostPart] = field(default_factory=lambda: {name: CostPart() for name in PARTS})
    retries: TraceRetries = field(default_factory=lambda: TraceRetries({}, Decimal(0)))

    @property
    def total(self) -> Decimal:
        """The trace's total cost: the four parts together."""
        return money.sum_money(part.cost for part in self.parts.values())

    @property
    def lost(self) -> Decimal:
        """What the failure cost: every part but ``kept``."""
        return money.sum_money(part.cost for name, part in self.parts.items() if name != "kept")


def failure_cost(tree: TraceTree, retries: TraceRetries | None = None) -> FailureCost:
    """The failure of a built trace tree and its cost in :data:`PARTS` (retries found unless given)."""
    retries = retries_in_tree(tree) if retries is None else retries
    origin = failure_origin(tree)
    path = list(_ancestry(tree, origin)) if origin is not None else []
    propagated_to = None
    for node in path:
        if node.span["status"] != "error":
            break
        propagated_to = node
    report = FailureCost(origin, path, propagated_to, retries=retries)
    with money.exact():  # costs add up without rounding
        # (node, inside a retried attempt, beneath a failed span): an explicit stack, for any depth.
        stack = [(root, False, False) for root in tree.roots]
        while stack:
            node, in_retried, under_failed = stack.pop()
            in_retried = in_retried or node.span_id in retries.attempts
            failed = node.span["status"] == "error"
            part = report.parts[_part(in_retried=in_retried, failed=failed, under_failed=under_failed)]
            part.cost += counted_cost(node.span)
            part.span_count += 1
            stack.extend((child, in_retried, under_failed or failed) for child in node.children)
    return report


def _part(*, in_retried: bool, failed: bool, under_failed: bool) -> str:
    if in_retried:
        return "retried"
    if failed:
        return "failed"
    return "thrown_away" if under_failed else "kept"


def _ancestry(tree: TraceTree, node: TreeNode) -> Iterable[TreeNode]:
    """``node`` and its ancestors up to its root (a broken link ends the path, as the tree shows it)."""
    current: TreeNode | None = node
    while current is not None:
        yield current
        parent = current.span["parent_span_id"]
        current = tree.nodes.get(parent) if parent and not current.broken_link else None
