"""Failures as a document: the failing traces grouped by where each failure started."""

from __future__ import annotations

from typing import Any

from tokentrail.analysis.failures import FailureGroup
from tokentrail.documents.encoding import iso, money
from tokentrail.money import sum_money

__all__ = ["failures_json"]


def failures_json(groups: list[FailureGroup], limit: int) -> dict[str, Any]:
    """Every group's traces counted, the first ``limit`` groups listed."""
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
