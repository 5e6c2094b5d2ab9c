"""Slow spans: the spans on a trace's critical path that took longer than spans of their name usually do.

Each span on the critical path (:func:`~tokentrail.analysis.tree.critical_path`) is set beside the
baseline of its name and service (:mod:`tokentrail.store.baselines`): it is **slow** when it took longer
than the baseline's 95th percentile, and how many times its median it took says by how much ("rerank
took 9.0x its p50"). A span whose baseline has fewer than :data:`MIN_SAMPLES` spans is not judged: a
handful of durations tells nothing usual. Plain data in, plain data out: no store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tokentrail.analysis.tree import TraceTree, critical_path
from tokentrail.store.baselines import DurationBaseline

__all__ = ["MIN_SAMPLES", "VERDICTS", "SpanTiming", "judge_critical_path"]

#: The fewest baseline spans a span is judged against.
MIN_SAMPLES = 20
#: What a span on the critical path is found to be.
VERDICTS = ("slow", "usual", "too_few_samples")


@dataclass(frozen=True, slots=True)
class SpanTiming:
    """One span of the critical path beside the baseline of its name and service."""

    span_id: str
    name: str
    service: str
    duration_ns: int
    #: None when no span of that name and service started in the baseline's window.
    baseline: DurationBaseline | None
    #: One of :data:`VERDICTS`.
    verdict: str
    #: The duration over the baseline's median (one decimal); None when not judged or the median is 0.
    times_p50: Decimal | None


def judge_critical_path(
    tree: TraceTree,
    baselines: Mapping[tuple[str, str], DurationBaseline],
    min_samples: int = MIN_SAMPLES,
) -> list[SpanTiming]:
    """Every span on the tree's critical path, earliest first, judged against ``baselines``
    (``(name, service) -> baseline``)."""
    timings = []
    for span_id in critical_path(tree):
        span = tree.nodes[span_id].span
        name, service = str(span["name"]), str(span["service"])
        duration_ns = int(span["end_ns"]) - int(span["start_ns"])
        baseline = baselines.get((name, service))
        if baseline is None or baseline.samples < min_samples:
            timings.append(SpanTiming(span_id, name, service, duration_ns, baseline, "too_few_samples", None))
            continue
        times = None
        if baseline.p50_ns > 0:
            times = (Decimal(duration_ns) / baseline.p50_ns).quantize(Decimal("0.1"), ROUND_HALF_UP)
        verdict = "slow" if duration_ns > baseline.p95_ns else "usual"
        timings.append(SpanTiming(span_id, name, service, duration_ns, baseline, verdict, times))
    return timings
