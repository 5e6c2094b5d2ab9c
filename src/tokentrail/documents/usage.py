"""How much a project traces and what its spans take on disk, as a document (for ``tokentrail estimate``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tokentrail.documents.encoding import iso, money
from tokentrail.store.usage import SpanStorage, TracedVolume

__all__ = ["usage_json"]

_DAY_NS = 86_400 * 10**9
_CENT = Decimal("0.01")
# Traces per day to four places: a quiet project's rate is still more than zero.
_RATE = Decimal("0.0001")


def usage_json(start_ns: int, end_ns: int, volume: TracedVolume, storage: SpanStorage) -> dict[str, Any]:
    """Rates over the window (exact decimals, as strings) and the bytes a span takes."""
    days = Decimal(end_ns - start_ns) / _DAY_NS
    per_span = Decimal(storage.compressed_bytes) / storage.rows if storage.rows else None
    return {
        "start_time": iso(start_ns),
        "end_time": iso(end_ns),
        "days": money(days.quantize(_CENT)),
        "traces": volume.traces,
        "spans": volume.spans,
        "traces_per_day": money((volume.traces / days).quantize(_RATE)),
        "spans_per_trace": {
            "mean": money((Decimal(volume.spans) / volume.traces).quantize(_CENT) if volume.traces else None),
            "median": volume.median_spans_per_trace,
        },
        "storage": {
            "compressed_bytes_per_span": None if per_span is None else money(per_span.quantize(_CENT)),
            "compressed_bytes_per_million_spans": None if per_span is None else round(per_span * 1_000_000),
        },
    }
