"""Reads for the scores page: per score name (and type), the scores given in a window by when they were
given (``created_ns``), in time buckets, by source and evaluator, and a numeric score's histogram.

Every score counts: on a trace, a span or a session. Each read is one aggregation over ``scores FINAL``
(a score sent again with its id counts once, as its latest version)."""

from __future__ import annotations

from typing import Any

from tokentrail.store.database import Store

__all__ = [
    "HISTOGRAM_BINS",
    "first_score_ns",
    "score_buckets",
    "score_categories",
    "score_histograms",
    "score_sources",
]

#: Bins of a numeric score's histogram, between its least and greatest value in the window.
HISTOGRAM_BINS = 10

_WINDOW = (
    "FROM scores FINAL PREWHERE project = {project:String} "
    "WHERE created_ns >= {start_ns:Int64} AND created_ns < {end_ns:Int64}"
)


def _params(project: str, start_ns: int, end_ns: int, **more: Any) -> dict[str, Any]:
    return {"project": project, "start_ns": start_ns, "end_ns": end_ns, **more}


def score_sources(store: Store, project: str, start_ns: int, end_ns: int) -> list[dict[str, Any]]:
    """Scores per name, type, source and evaluator."""
    return store.query_dicts(
        f"SELECT name, data_type, source, evaluator, count() AS scores {_WINDOW} "
        "GROUP BY name, data_type, source, evaluator ORDER BY name, data_type, source, evaluator",
        _params(project, start_ns, end_ns),
    )


def score_buckets(
    store: Store, project: str, start_ns: int, end_ns: int, width_ns: int
) -> list[dict[str, Any]]:
    """Per name, type and time bucket (``bucket_ns``, its start, aligned to the width): the scores,
    their mean and median value, and how many are true (1)."""
    return store.query_dicts(
        f"SELECT name, data_type, intDiv(created_ns, {{width:Int64}}) * {{width:Int64}} AS bucket_ns, "
        "count() AS scores, avgIf(value, data_type != 'categorical') AS mean, "
        "quantileExactIf(0.5)(value, data_type != 'categorical') AS p50, countIf(value = 1) AS trues "
        f"{_WINDOW} GROUP BY name, data_type, bucket_ns ORDER BY name, data_type, bucket_ns",
        _params(project, start_ns, end_ns, width=width_ns),
    )


def score_categories(
    store: Store, project: str, start_ns: int, end_ns: int, width_ns: int
) -> list[dict[str, Any]]:
    """Per categorical score name, time bucket and category: how many scores."""
    return store.query_dicts(
        f"SELECT name, intDiv(created_ns, {{width:Int64}}) * {{width:Int64}} AS bucket_ns, "
        f"string_value AS category, count() AS scores {_WINDOW} AND data_type = 'categorical' "
        "GROUP BY name, bucket_ns, category ORDER BY name, bucket_ns, scores DESC, category",
        _params(project, start_ns, end_ns, width=width_ns),
    )


def score_histograms(store: Store, project: str, start_ns: int, end_ns: int) -> list[dict[str, Any]]:
    """Per numeric score name, its least and greatest value in the window and how many scores fall in
    each of :data:`HISTOGRAM_BINS` equal bins between them (the greatest value in the last bin)."""
    numeric = f"{_WINDOW} AND data_type = 'numeric'"
    return store.query_dicts(
        "SELECT s.name AS name, any(r.lo) AS lo, any(r.hi) AS hi, "
        "least(toInt64(floor((s.value - r.lo) / if(r.hi > r.lo, (r.hi - r.lo) / {bins:Int64}, 1))), "
        "{bins:Int64} - 1) AS bin, count() AS scores "
        f"FROM (SELECT name, value {numeric}) AS s "
        f"INNER JOIN (SELECT name, min(value) AS lo, max(value) AS hi {numeric} GROUP BY name) AS r "
        "ON s.name = r.name GROUP BY name, bin ORDER BY name, bin",
        _params(project, start_ns, end_ns, bins=HISTOGRAM_BINS),
    )


def first_score_ns(store: Store, project: str) -> int | None:
    """When the project's first stored score was given (None: it has none)."""
    rows = store.query(
        "SELECT min(created_ns), count() FROM scores PREWHERE project = {project:String}",
        {"project": project},
    )
    return int(rows[0][0]) if rows and rows[0][1] else None
