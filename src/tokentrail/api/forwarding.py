"""``/api/v1/forwarding``: each forwarding destination's backlog, counts, last error and throughput (admin
only; header values masked), and the same per destination in ``/metrics``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import APIRouter, Request
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tokentrail.export.exporter import DestinationExporter
from tokentrail.metrics import Metrics

__all__ = ["router", "watch"]

router = APIRouter(tags=["meta"])

#: Metric -> (kind, help, the status field it reports).
METRICS: dict[str, tuple[type[GaugeMetricFamily] | type[CounterMetricFamily], str, str]] = {
    "tokentrail_forward_queued_spans": (
        GaugeMetricFamily,
        "Spans queued on disk for a destination.",
        "queued_spans",
    ),
    "tokentrail_forward_queued_bytes": (
        GaugeMetricFamily,
        "Bytes queued on disk for a destination.",
        "queued_bytes",
    ),
    "tokentrail_forward_sent_spans": (CounterMetricFamily, "Spans a destination took.", "sent_spans"),
    "tokentrail_forward_failed_spans": (
        CounterMetricFamily,
        "Spans a destination refused for good (a 4xx other than 408 and 429): dropped.",
        "failed_spans",
    ),
    "tokentrail_forward_retries": (
        CounterMetricFamily,
        "Sends to a destination that failed and were tried again.",
        "retries",
    ),
}


class _ForwardingCollector(Collector):
    def __init__(self, exporters: Sequence[DestinationExporter]) -> None:
        self.exporters = exporters

    def collect(self) -> Iterator[Metric]:
        statuses = [exporter.status() for exporter in self.exporters]
        for name, (family, documentation, key) in METRICS.items():
            metric = family(name, documentation, labels=["destination"])
            for status in statuses:
                metric.add_metric([status["name"]], status[key])
            yield metric
        last_error = GaugeMetricFamily(
            "tokentrail_forward_last_error_timestamp_seconds",
            "When a send to a destination last failed (Unix time; 0: never).",
            labels=["destination"],
        )
        for exporter in self.exporters:
            last_error.add_metric([exporter.destination.name], exporter.sender.stats.last_error_ns / 1e9)
        yield last_error


def watch(metrics: Metrics, exporters: Sequence[DestinationExporter]) -> None:
    """Have every scrape of ``metrics`` report the destinations' status."""
    if exporters:
        metrics.registry.register(_ForwardingCollector(exporters))


@router.get("/forwarding", summary="Forwarding destinations: backlog, counts, last error")
async def forwarding_status(request: Request) -> dict[str, Any]:
    """Each destination spans are forwarded to, with its headers masked, the spans and bytes queued on disk
    for it, spans sent and refused, the last error and the spans per second delivered over the last minute."""
    return {"destinations": [exporter.status() for exporter in request.app.state.forwarding]}
