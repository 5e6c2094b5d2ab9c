"""Forwarding in the ingest chain: a processor that encodes the batch for the destinations, and one exporter
per destination, beside the store's in the :class:`~tokentrail.ingest.chain.Fanout`.

:class:`ForwardEncode` runs after Redact and Encode (in the ingest process, when there is one): the spans
the store takes, redacted, become one OTLP request carried on the batch, since only rows cross back from an
ingest process. It is in the chain only when forwarding is configured, so it costs nothing otherwise. A
:class:`DestinationExporter` accepts a batch once its request is on disk in the destination's
:class:`~tokentrail.export.queue.DurableQueue`; its :class:`~tokentrail.export.sender.Sender` delivers it
later, so a slow or absent destination never holds up ingest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from tokentrail.config import Settings
from tokentrail.documents.encoding import iso
from tokentrail.export.destinations import Destination, destinations, masked
from tokentrail.export.otlp_encode import encode_spans
from tokentrail.export.queue import DurableQueue
from tokentrail.export.sender import Sender
from tokentrail.ingest.chain import Batch, Consumer, Processor, done, relay

__all__ = ["DestinationExporter", "ForwardEncode", "forwarding"]


class ForwardEncode(Processor):
    """The spans the store takes (the ones with rows), as one OTLP request for the destinations."""

    def process(self, batch: Batch) -> None:
        kept = [span for span in batch.spans if (span.project, span.trace_id, span.span_id) in batch.rows]
        batch.otlp, batch.otlp_spans = encode_spans(kept), len(kept)


class DestinationExporter(Consumer):
    """Accepts a batch once its OTLP request is in the destination's queue on disk; sends it from there."""

    def __init__(self, destination: Destination, queue: DurableQueue, sender: Sender) -> None:
        self.destination = destination
        self.queue = queue
        self.sender = sender

    def consume(self, batch: Batch) -> Future[Batch]:
        if not batch.otlp:
            return done(batch)
        accepted: Future[Batch] = Future()
        relay(self.queue.put(batch.otlp, batch.otlp_spans), accepted, lambda _none: batch)
        return accepted

    def flush(self, timeout: float | None = None) -> bool:
        return True  # what was accepted is on disk; delivery is the sender's, whenever it can

    def shutdown(self) -> None:
        self.sender.stop()
        self.queue.close()

    def status(self) -> dict[str, Any]:
        """The destination, its headers masked, its backlog, counts, last error and throughput."""
        stats = self.sender.stats
        return {
            "name": self.destination.name,
            "url": self.destination.url,
            "headers": masked(self.destination.headers),
            "queued_spans": self.queue.queued_spans,
            "queued_bytes": self.queue.queued_bytes,
            "max_queued_bytes": self.queue.max_bytes,
            "sent_spans": stats.sent_spans,
            "sent_requests": stats.sent_requests,
            "failed_spans": stats.failed_spans,
            "failed_requests": stats.failed_requests,
            "retries": stats.retries,
            "spans_per_second": round(stats.rate(), 3),
            "last_error": {"time": iso(stats.last_error_ns), "message": stats.last_error}
            if stats.last_error
            else None,
        }


def forwarding(settings: Settings, env: Mapping[str, str] | None = None) -> list[DestinationExporter]:
    """One started exporter per destination the settings name (a preset's keys read from ``env``), each
    with its queue under ``<data_dir>/forward/<name>``."""
    found = destinations(settings.forward, settings.forward_headers, os.environ if env is None else env)
    exporters = []
    for destination in found:
        queue = DurableQueue(
            settings.data_dir / "forward" / destination.name, settings.forward_queue_mb * 2**20
        )
        sender = Sender(destination, queue)
        sender.start()
        exporters.append(DestinationExporter(destination, queue, sender))
    return exporters
