"""Reads of how much a project traces and what its spans take on disk: for ``tokentrail estimate``.

Both read without ``FINAL`` (a count over days of spans, not a merge of them): a re-sent span not yet
merged counts twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokentrail.store.cluster import local_table
from tokentrail.store.database import Store

__all__ = ["SpanStorage", "TracedVolume", "span_storage", "traced_volume"]


@dataclass(frozen=True, slots=True)
class TracedVolume:
    """The traces that started in a window and their spans."""

    traces: int
    spans: int
    #: The median number of spans of those traces (0 without traces).
    median_spans_per_trace: int


@dataclass(frozen=True, slots=True)
class SpanStorage:
    """What the spans table's active parts hold, every project's rows together."""

    rows: int
    compressed_bytes: int


def traced_volume(store: Store, project: str, start_ns: int, end_ns: int) -> TracedVolume:
    """The project's traces whose spans started in ``[start_ns, end_ns)``, counted by their spans there."""
    rows = store.query(
        "SELECT count() AS traces, sum(n) AS spans, quantileExact(0.5)(n) AS median FROM ("
        "SELECT trace_id, count() AS n FROM spans PREWHERE project = {project:String} "
        "WHERE start_ns >= {start:Int64} AND start_ns < {end:Int64} GROUP BY trace_id)",
        {"project": project, "start": start_ns, "end": end_ns},
    )
    traces, spans, median = rows[0]
    return TracedVolume(int(traces), int(spans), int(median) if traces else 0)


def span_storage(store: Store) -> SpanStorage:
    """Rows and compressed bytes of the spans table's active parts (on a cluster, this node's shard)."""
    rows = store.query(
        "SELECT sum(rows), sum(data_compressed_bytes) FROM system.parts "
        "WHERE active AND database = {database:String} AND table IN {tables:Array(String)}",
        {"database": store.database, "tables": ["spans", local_table("spans")]},
    )
    count, compressed = rows[0]
    return SpanStorage(int(count or 0), int(compressed or 0))
