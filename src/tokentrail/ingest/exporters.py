"""Exporters: the links at the end of the ingest chain, after pricing. The store writer is the first; any
other (forwarding to another backend) plugs in beside it through :class:`~tokentrail.ingest.chain.Fanout`."""

from __future__ import annotations

from concurrent.futures import Future

from tokentrail.ingest.chain import Batch, Consumer, relay
from tokentrail.store.writer import SpanWriter

__all__ = ["StoreExporter"]


class StoreExporter(Consumer):
    """Hands a batch's rows to the :class:`~tokentrail.store.writer.SpanWriter`: accepted once they are
    durable in its write-ahead log; :meth:`flush` returns once they are queryable."""

    def __init__(self, writer: SpanWriter) -> None:
        self.writer = writer

    def consume(self, batch: Batch) -> Future[Batch]:
        accepted: Future[Batch] = Future()
        relay(self.writer.submit_rows(batch.rows), accepted, lambda _count: batch)
        return accepted

    def flush(self, timeout: float | None = None) -> bool:
        return self.writer.flush(timeout)

    def shutdown(self) -> None:
        self.writer.close()
