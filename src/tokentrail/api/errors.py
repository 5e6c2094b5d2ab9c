"""``/api/v1/errors``: the failing traces, grouped by the span where each failure started."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from tokentrail.analysis.tree import TraceTree, TreeNode, build_tree
from tokentrail.api.encoding import money
from tokentrail.api.params import End, Limit, Project, Start, project_of, to_ns
from tokentrail.api.views import iso
from tokentrail.errors import BadRequest
from tokentrail.money import sum_money
from tokentrail.store.database import Store
from tokentrail.store.failures import failure_spans, failures
from tokentrail.store.sql import CostFilter

__all__ = ["SAMPLES", "FailureGroup", "failure_groups", "failure_origin", "router"]

router = APIRouter(tags=["errors"])

#: How many trace ids a group lists, the latest first.
SAMPLES = 5
# Traces whose spans are loaded per query when SQL could not tell where their failure started.
_TREE_BATCH = 500

#: A group: span name, kind, error type, service.
GroupKey = tuple[str, str, str, str]


@router.get("/errors", summary="Failing traces, grouped by the span where the failure started")
async def get_errors(
    request: Request,
    project: Project = None,
    start: Start = None,
    end: End = None,
    limit: Annotated[Limit, Query(description="How many groups to list")] = 100,
) -> dict[str, Any]:
    """The traces that started in the range with a failed span, and what they cost, grouped by where the
    failure started: the deepest error span (no error span beneath it), the earliest if there are several.
    Groups with the most traces come first, then the most recently seen."""
    start_ns, end_ns = to_ns(start), to_ns(end)
    if start_ns is not None and end_ns is not None and start_ns >= end_ns:
        raise BadRequest("'end' must be after 'start'")
    groups = await run_in_threadpool(
        failure_groups,
        request.app.state.store,
        project_of(request, project),
        CostFilter(start_ns=start_ns, end_ns=end_ns),
    )
    return {
        "trace_count": sum(group.trace_count for group in groups),
        "failed_cost": money(sum_money(group.cost for group in groups)),
        "groups": [
            {
                "span_name": group.key[0],
                "kind": group.key[1],
                "error_type": group.key[2],
                "service": group.key[3],
                "sample_message": group.sample_message,
                "trace_count": group.trace_count,
                "first_seen": iso(group.first_ns),
                "last_seen": iso(group.last_ns),
                "failed_cost": money(group.cost),
                "sample_trace_ids": [trace_id for _, trace_id in group.samples],
            }
            for group in groups[:limit]
        ],
    }


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
    """Every failing trace of the window in exactly one group, the groups ordered as listed."""
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
