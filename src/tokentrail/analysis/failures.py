"""Where failures started: the failing traces of a window, grouped by the span where each failure began.

SQL settles most traces (:func:`tokentrail.store.failures.failures`); the rest are settled on their
trees here, by the same rule (:func:`failure_origin`), and every trace lands in exactly one group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tokentrail.analysis.tree import TraceTree, TreeNode, build_tree
from tokentrail.errors import BadRequest
from tokentrail.money import sum_money
from tokentrail.store.database import Store
from tokentrail.store.failures import failure_spans, failures
from tokentrail.store.sql import CostFilter

__all__ = ["SAMPLES", "FailureGroup", "GroupKey", "failure_groups", "failure_origin"]

#: How many trace ids a group lists, the latest first.
SAMPLES = 5
# Traces whose spans are loaded per query when SQL could not tell where their failure started.
_TREE_BATCH = 500

#: A group: span name, kind, error type, service.
GroupKey = tuple[str, str, str, str]


@dataclass(slots=True)
class FailureGroup:
    """The failing traces whose failure started in spans of one name, kind, error type and service."""

    key: GroupKey
    trace_count: int = 0
    first_ns: int = 0
    last_ns: int = 0
    cost: Decimal = Decimal(0)
    #: Up to :data:`SAMPLES` ``(-start_ns, trace_id)`` of its traces, the latest first.
    samples: list[tuple[int, str]] = field(default_factory=list)
    #: The error message where the failure of the first sample started.
    sample_message: str = ""

    def add(
        self,
        trace_count: int,
        first_ns: int,
        last_ns: int,
        cost: Decimal,
        samples: list[tuple[int, str]],
        sample_message: str,
    ) -> None:
        """Fold in traces of the same group (their ``samples`` the latest first)."""
        if self.trace_count == 0:
            self.first_ns, self.last_ns = first_ns, last_ns
        else:
            self.first_ns, self.last_ns = min(self.first_ns, first_ns), max(self.last_ns, last_ns)
        self.trace_count += trace_count
        self.cost = sum_money((self.cost, cost))
        if samples and (not self.samples or samples[0] < self.samples[0]):
            self.sample_message = sample_message
        self.samples = sorted([*self.samples, *samples])[:SAMPLES]


def failure_groups(store: Store, project: str, where: CostFilter) -> list[FailureGroup]:
    """Every failing trace of the window in exactly one group, the most traces first, then the most
    recently seen."""
    if where.start_ns is not None and where.end_ns is not None and where.start_ns >= where.end_ns:
        raise BadRequest("'end' must be after 'start'")
    groups: dict[GroupKey, FailureGroup] = {}

    def group(key: GroupKey) -> FailureGroup:
        return groups.setdefault(key, FailureGroup(key))

    unsettled = []
    for row in failures(store, project, where):
        samples = [(int(negative_start), str(trace_id)) for negative_start, trace_id in row["samples"]]
        if row["unsettled"]:
            unsettled.append((row, samples))
            continue
        key = (row["span_name"], row["kind"], row["error_type"], row["service"])
        group(key).add(
            row["trace_count"],
            row["first_ns"],
            row["last_ns"],
            Decimal(row["cost"]),
            samples,
            row["sample_message"],
        )
    # The rest are settled on their trees (an error may sit beneath a span that did not fail).
    for first in range(0, len(unsettled), _TREE_BATCH):
        batch = unsettled[first : first + _TREE_BATCH]
        spans = failure_spans(store, project, [row["unsettled"] for row, _ in batch])
        for row, samples in batch:
            origin = failure_origin(build_tree(row["unsettled"], spans[row["unsettled"]]))
            if origin is None:  # the trace's error spans changed since: it is counted next time
                continue
            span = origin.span
            key = (span["name"], str(span["kind"]), span["error_type"], str(span["service"]))
            group(key).add(
                1, row["first_ns"], row["last_ns"], Decimal(row["cost"]), samples, span["error_message"]
            )
    return sorted(groups.values(), key=lambda g: (-g.trace_count, -g.last_ns, g.key))


def failure_origin(tree: TraceTree) -> TreeNode | None:
    """Where a trace's failure started: its deepest error span (no error span beneath it), the earliest if
    there are several (ties by span id); None if no span failed."""
    deepest = [
        node for node in tree.nodes.values() if node.span["status"] == "error" and node.subtree_errors == 1
    ]
    return min(deepest, key=lambda node: (node.span["start_ns"], node.span_id), default=None)
