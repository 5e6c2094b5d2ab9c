"""Cost reports as documents: spend grouped, spend over time, unpriced spans, retry waste."""

from __future__ import annotations

from typing import Any

from tokentrail.analysis.costs import CostGroups, CostSeries
from tokentrail.analysis.retries import RetryReport
from tokentrail.documents.encoding import iso, money, money_map, usage
from tokentrail.money import sum_money
from tokentrail.store.costs import UnpricedReport

__all__ = ["cost_groups_json", "cost_series_json", "retries_json", "unpriced_json"]


def cost_groups_json(groups: CostGroups, group_by: str) -> dict[str, Any]:
    """Cost (by type and origin), usage and counts per group, and the total."""
    rows = [
        {
            "key": row["key"],
            "cost": money(row["cost"]),
            "cost_by_type": money_map(row["cost_by_type"]),
            "cost_by_origin": {
                origin: money(amount)
                for origin, amount in (
                    ("provided", row["cost_provided"]),
                    ("inferred", row["cost_inferred"]),
                    ("custom", row["cost_custom"]),
                )
                if amount
            },
            "usage": usage(row["usage"]),
            "span_count": row["span_count"],
            "trace_count": row["trace_count"],
            "unpriced_span_count": row["unpriced_count"],
            "duplicate_span_count": row["duplicate_count"],
        }
        for row in groups.rows
    ]
    return {"group_by": group_by, "total": money(groups.total), "groups": rows}


def cost_series_json(series: CostSeries, group_by: str) -> dict[str, Any]:
    """Every bucket of the range with its total and its cost per group, ready to chart."""
    return {
        "group_by": group_by,
        "bucket_seconds": series.width_s,
        "start": iso(series.start_ns),
        "end": iso(series.end_ns),
        "total": money(series.total),
        "keys": series.keys,
        "buckets": [
            {
                "start": iso(bucket.start_ns),
                "start_ns": bucket.start_ns,
                "end_ns": bucket.end_ns,
                "total": money(sum_money(bucket.costs.values())),
                "costs": {key: money(amount) for key, amount in bucket.costs.items()},
            }
            for bucket in series.buckets
        ],
    }


def unpriced_json(report: UnpricedReport) -> dict[str, Any]:
    """The counted spans without a price, by reason, and by reason, provider and model."""
    groups = [
        {
            "reason": row["reason"],
            "provider": row["provider"],
            "model": row["model"],
            "span_count": row["span_count"],
            "trace_count": row["trace_count"],
            "first_seen": iso(row["first_ns"]),
            "last_seen": iso(row["last_ns"]),
            "usage": usage(row["usage"]),
            "sample_trace_ids": list(row["sample_trace_ids"]),
        }
        for row in report.groups
    ]
    return {
        "span_count": report.total["span_count"],
        "trace_count": report.total["trace_count"],
        "by_reason": [
            {
                "reason": row["reason"],
                "span_count": row["span_count"],
                "trace_count": row["trace_count"],
                "first_seen": iso(row["first_ns"]),
                "last_seen": iso(row["last_ns"]),
            }
            for row in report.reasons
        ],
        "groups": groups,
    }


def retries_json(report: RetryReport, limit: int) -> dict[str, Any]:
    """Retry waste in total, per trace (the first ``limit``, costliest first) and per operation."""
    return {
        "total_waste": money(report.total_waste),
        "retried_attempts": report.retried_attempts,
        "trace_count": len(report.traces),
        "traces": [
            {"trace_id": row.trace_id, "name": row.name, "waste": money(row.waste), "attempts": row.attempts}
            for row in report.traces[:limit]
        ],
        "by_operation": [
            {
                "name": row.operation.name,
                "kind": row.operation.kind,
                "model": row.operation.model or None,
                "attempts": row.attempts,
                "waste": money(row.waste),
            }
            for row in report.by_operation
        ],
    }
