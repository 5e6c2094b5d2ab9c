"""Where a trace blew up: its failure and what it cost (:mod:`failure_cost`), and the spans of its
critical path that took longer than usual (:mod:`slow_spans`), against a baseline window read from the
store in one query."""

from __future__ import annotations

from dataclasses import dataclass

from tokentrail.analysis.failure_cost import FailureCost, failure_cost
from tokentrail.analysis.slow_spans import MIN_SAMPLES, SpanTiming, judge_critical_path
from tokentrail.analysis.tree import TraceTree, critical_path
from tokentrail.errors import BadRequest
from tokentrail.store.baselines import duration_baselines
from tokentrail.store.database import Store

__all__ = ["MAX_BASELINE_DAYS", "Blowup", "read_blowup"]

#: The longest baseline window a request may ask for.
MAX_BASELINE_DAYS = 90
_DAY_NS = 86_400 * 10**9


@dataclass(frozen=True, slots=True)
class Blowup:
    tree: TraceTree
    failure: FailureCost
    #: The baseline window: the ``baseline_days`` before the trace started.
    baseline_start_ns: int
    baseline_end_ns: int
    baseline_days: int
    min_samples: int
    #: Every span of the critical path, earliest first, judged against the baseline.
    timings: list[SpanTiming]


def read_blowup(store: Store, project: str, tree: TraceTree, baseline_days: int) -> Blowup:
    """The failure and the slow spans of a trace's tree (read with :func:`~tokentrail.analysis.traces.
    read_tree`), durations judged against the ``baseline_days`` before the trace started."""
    if not 1 <= baseline_days <= MAX_BASELINE_DAYS:
        raise BadRequest(f"baseline_days must be from 1 to {MAX_BASELINE_DAYS}, got {baseline_days}")
    # The window ends where the trace starts: none of the trace's own spans is in its baseline.
    end_ns = min(root.subtree_start_ns for root in tree.roots)
    start_ns = end_ns - baseline_days * _DAY_NS
    names = {str(tree.nodes[span_id].span["name"]) for span_id in critical_path(tree)}
    baselines = duration_baselines(store, project, names, start_ns=start_ns, end_ns=end_ns)
    return Blowup(
        tree=tree,
        failure=failure_cost(tree),
        baseline_start_ns=start_ns,
        baseline_end_ns=end_ns,
        baseline_days=baseline_days,
        min_samples=MIN_SAMPLES,
        timings=judge_critical_path(tree, baselines),
    )
