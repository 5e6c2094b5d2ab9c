"""Each score's distribution over time as a document (``GET /api/v1/scores/summary``)."""

from __future__ import annotations

from typing import Any

from tokentrail.analysis.score_summary import Bucket, ScoreSummary
from tokentrail.documents.encoding import iso

__all__ = ["score_summary_json"]


def _bucket_json(bucket: Bucket, data_type: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "start": iso(bucket.start_ns),
        "end": iso(bucket.end_ns),
        "start_ns": bucket.start_ns,
        "scores": bucket.scores,
    }
    if data_type == "numeric":
        body.update(mean=bucket.mean, p50=bucket.p50)
    elif data_type == "boolean":
        body.update(true=bucket.trues, share_true=bucket.trues / bucket.scores if bucket.scores else None)
    else:
        body["categories"] = bucket.categories
    return body


def _summary_json(summary: ScoreSummary) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": summary.name,
        "data_type": summary.data_type,
        "scores": summary.scores,
        "sources": summary.sources,
        "evaluators": summary.evaluators,
        "buckets": [_bucket_json(bucket, summary.data_type) for bucket in summary.buckets],
    }
    if summary.data_type == "numeric":
        body["histogram"] = [{"low": b.low, "high": b.high, "scores": b.scores} for b in summary.histogram]
    if summary.data_type == "categorical":
        body["categories"] = summary.categories
    return body


def score_summary_json(
    start_ns: int, end_ns: int, bucket_s: int, summaries: list[ScoreSummary]
) -> dict[str, Any]:
    return {
        "start": iso(start_ns),
        "end": iso(end_ns),
        "bucket_seconds": bucket_s,
        "scores": [_summary_json(summary) for summary in summaries],
    }
