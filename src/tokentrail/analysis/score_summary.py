"""Each score's distribution over time (the scores page): per name and type, the scores given in a window
in time buckets (every bucket of the window, empty ones too), by source and by evaluator; a numeric
score's mean and median per bucket and its histogram; a boolean score's share true per bucket; a
categorical score's count per category per bucket."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tokentrail.analysis.costs import bucket_seconds
from tokentrail.errors import BadRequest
from tokentrail.store import score_summary as stored
from tokentrail.store.database import Store

__all__ = ["MAX_BUCKETS", "Bin", "Bucket", "ScoreSummary", "score_summaries"]

#: The most buckets a series has (a window of ~20 years in weeks).
MAX_BUCKETS = 1000


@dataclass(frozen=True, slots=True)
class Bucket:
    """``[start_ns, end_ns)`` and its scores: their mean and median value (numeric, boolean), how many
    are true (boolean), how many per category (categorical)."""

    start_ns: int
    end_ns: int
    scores: int = 0
    mean: float | None = None
    p50: float | None = None
    trues: int = 0
    categories: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Bin:
    low: float
    high: float
    scores: int


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    name: str
    data_type: str
    scores: int
    sources: dict[str, int]
    evaluators: dict[str, int]
    buckets: list[Bucket]
    #: Numeric scores: equal bins from the least value to the greatest.
    histogram: list[Bin]
    #: Categorical scores: the categories, commonest first.
    categories: dict[str, int]


def score_summaries(
    store: Store, project: str, start_ns: int, end_ns: int, buckets: int
) -> tuple[int, list[ScoreSummary]]:
    """The bucket width (seconds) and each score's summary over ``[start_ns, end_ns)``, by name."""
    if start_ns >= end_ns:
        raise BadRequest("'end' must be after 'start'")
    width = bucket_seconds(start_ns, end_ns, buckets) * 10**9
    if (end_ns - start_ns) // width > MAX_BUCKETS:
        raise BadRequest(
            f"the window is too long: more than {MAX_BUCKETS} buckets of a week; give a later start"
        )
    sources: dict[tuple[str, str], Counter[str]] = {}
    evaluators: dict[tuple[str, str], Counter[str]] = {}
    for row in stored.score_sources(store, project, start_ns, end_ns):
        key = (row["name"], row["data_type"])
        sources.setdefault(key, Counter())[row["source"]] += row["scores"]
        if row["evaluator"]:
            evaluators.setdefault(key, Counter())[row["evaluator"]] += row["scores"]
    per_bucket = {
        (row["name"], row["data_type"], row["bucket_ns"]): row
        for row in stored.score_buckets(store, project, start_ns, end_ns, width)
    }
    categories: dict[tuple[str, int], dict[str, int]] = {}
    totals: dict[str, Counter[str]] = {}
    for row in stored.score_categories(store, project, start_ns, end_ns, width):
        categories.setdefault((row["name"], row["bucket_ns"]), {})[row["category"]] = row["scores"]
        totals.setdefault(row["name"], Counter())[row["category"]] += row["scores"]
    histograms = _histograms(stored.score_histograms(store, project, start_ns, end_ns))
    starts = range(start_ns // width * width, end_ns, width)
    summaries = []
    for (name, data_type), counted in sorted(sources.items()):
        series = [
            _bucket(
                bucket_ns,
                width,
                data_type,
                per_bucket.get((name, data_type, bucket_ns)),
                categories.get((name, bucket_ns), {}),
            )
            for bucket_ns in starts
        ]
        summaries.append(
            ScoreSummary(
                name,
                data_type,
                sum(counted.values()),
                dict(counted.most_common()),
                dict(evaluators.get((name, data_type), Counter()).most_common()),
                series,
                histograms.get(name, []) if data_type == "numeric" else [],
                dict(totals.get(name, Counter()).most_common()) if data_type == "categorical" else {},
            )
        )
    return width // 10**9, summaries


def _histograms(rows: list[dict[str, Any]]) -> dict[str, list[Bin]]:
    """Each numeric score's bins, every one of them (empty ones too), from the counted ones."""
    histograms: dict[str, list[Bin]] = {}
    for row in rows:
        step = (row["hi"] - row["lo"]) / stored.HISTOGRAM_BINS
        bins = histograms.setdefault(
            row["name"],
            [Bin(row["lo"] + i * step, row["lo"] + (i + 1) * step, 0) for i in range(stored.HISTOGRAM_BINS)],
        )
        bins[row["bin"]] = Bin(bins[row["bin"]].low, bins[row["bin"]].high, row["scores"])
    return histograms


def _bucket(
    bucket_ns: int, width: int, data_type: str, row: dict[str, Any] | None, categories: dict[str, int]
) -> Bucket:
    """One bucket of a score's series from its row (None: no scores in it)."""
    if row is None:
        return Bucket(bucket_ns, bucket_ns + width)
    if data_type == "categorical":
        return Bucket(bucket_ns, bucket_ns + width, row["scores"], categories=categories)
    trues = row["trues"] if data_type == "boolean" else 0
    return Bucket(bucket_ns, bucket_ns + width, row["scores"], row["mean"], row["p50"], trues)
