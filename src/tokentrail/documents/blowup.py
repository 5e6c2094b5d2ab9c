"""Where a trace blew up, as a document: its failure's origin, path and cost in parts, and its critical
path's spans judged against how long spans of their name usually take."""

from __future__ import annotations

from typing import Any

from tokentrail.analysis.blowup import Blowup
from tokentrail.analysis.failure_cost import FailureCost
from tokentrail.analysis.slow_spans import SpanTiming
from tokentrail.analysis.tree import TreeNode
from tokentrail.display import duration
from tokentrail.documents.encoding import iso, money

__all__ = ["blowup_json", "timing_summary"]


def blowup_json(blowup: Blowup) -> dict[str, Any]:
    timings = [timing_json(timing) for timing in blowup.timings]
    return {
        "trace_id": blowup.tree.trace_id,
        "failure": failure_json(blowup.failure),
        "slow": {
            "baseline": {
                "start_time": iso(blowup.baseline_start_ns),
                "end_time": iso(blowup.baseline_end_ns),
                "days": blowup.baseline_days,
                "min_samples": blowup.min_samples,
            },
            "slow_span_ids": [timing["span_id"] for timing in timings if timing["verdict"] == "slow"],
            "critical_path": timings,
        },
    }


def failure_json(failure: FailureCost) -> dict[str, Any]:
    """The failure's origin and path (null and empty when no span failed) and its cost in parts."""
    return {
        "origin": _node(failure.origin) if failure.origin else None,
        "path": [_node(node) for node in failure.path],
        "propagated_to": failure.propagated_to.span_id if failure.propagated_to else None,
        "cost": {
            "total": money(failure.total),
            "lost": money(failure.lost),
            "parts": {
                name: {"cost": money(part.cost), "span_count": part.span_count}
                for name, part in failure.parts.items()
            },
        },
        "retried_attempts": [
            {
                "span_id": attempt.span_id,
                "name": attempt.operation.name,
                "replaced_by": attempt.replaced_by,
                "reason": attempt.reason,
                "waste": money(attempt.waste),
            }
            for attempt in failure.retries.attempts.values()
        ],
    }


def _node(node: TreeNode) -> dict[str, Any]:
    span = node.span
    return {
        "span_id": node.span_id,
        "name": span["name"],
        "kind": str(span["kind"]),
        "service": str(span["service"]),
        "status": str(span["status"]),
        "error": {"type": span["error_type"], "message": span["error_message"]}
        if span["status"] == "error"
        else None,
    }


def timing_json(timing: SpanTiming) -> dict[str, Any]:
    baseline = timing.baseline
    return {
        "span_id": timing.span_id,
        "name": timing.name,
        "service": timing.service,
        "duration_ns": timing.duration_ns,
        "verdict": timing.verdict,
        "times_p50": None if timing.times_p50 is None else str(timing.times_p50),
        "baseline": None
        if baseline is None
        else {"samples": baseline.samples, "p50_ns": baseline.p50_ns, "p95_ns": baseline.p95_ns},
        "summary": timing_summary(timing),
    }


def timing_summary(timing: SpanTiming) -> str:
    """``rerank took 9.0x its p50 (p50 120 ms, p95 300 ms, n=412)``, or why it was not judged."""
    baseline = timing.baseline
    took = f"{timing.name} took {duration(timing.duration_ns)}"
    if baseline is None:
        return f"{took}: not judged, no span of its name and service in the baseline window"
    stats = f"p50 {duration(baseline.p50_ns)}, p95 {duration(baseline.p95_ns)}, n={baseline.samples}"
    if timing.verdict == "too_few_samples":
        return f"{took}: not judged, too few baseline samples (n={baseline.samples})"
    if timing.times_p50 is None:
        return f"{took} ({stats})"
    return f"{timing.name} took {timing.times_p50}x its p50 ({stats})"
