"""Reads of span durations over a window: how long spans of a name (and service) usually take.

One query answers every name asked for: the count and the 50th and 95th percentiles of the durations of
the project's spans of those names that started in the window. A window that ends where the judged trace
starts holds none of its spans (each starts at or after the trace does), so the trace is left out of its
own baseline without reading its spans' trace ids.

The percentiles are ``quantilesTDigest``: a t-digest holds a few kilobytes per group whatever the number
of spans (``quantilesExact`` would hold every duration of a busy name in memory), at a relative error of
about 1% around the median and better in the tails. The rows are read without ``FINAL``: a re-sent span
not yet merged counts twice in a sample of hundreds, which moves no percentile that matters, and the read
stays a scan of the window's rows rather than a merge of them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from tokentrail.store.database import Store

__all__ = ["DurationBaseline", "duration_baselines"]


@dataclass(frozen=True, slots=True)
class DurationBaseline:
    """How long spans of one name and service took over a window."""

    samples: int
    p50_ns: int
    p95_ns: int


def duration_baselines(
    store: Store,
    project: str,
    names: Collection[str],
    *,
    start_ns: int,
    end_ns: int,
) -> dict[tuple[str, str], DurationBaseline]:
    """``(name, service) -> baseline`` of the spans of ``names`` that started in ``[start_ns, end_ns)``; a
    name and service without spans there is absent."""
    if not names:
        return {}
    rows = store.query(
        "SELECT name, service, count() AS samples, quantilesTDigest(0.5, 0.95)(end_ns - start_ns) AS q "
        "FROM spans PREWHERE project = {project:String} "
        "WHERE start_ns >= {start:Int64} AND start_ns < {end:Int64} AND name IN {names:Array(String)} "
        "GROUP BY name, service",
        {
            "project": project,
            "start": start_ns,
            "end": end_ns,
            "names": sorted(set(names)),
        },
    )
    return {
        (str(name), str(service)): DurationBaseline(int(samples), round(q[0]), round(q[1]))
        for name, service, samples, q in rows
    }
