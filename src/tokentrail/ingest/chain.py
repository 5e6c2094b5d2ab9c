"""The ingest chain: one interface for every link between a receiver and the store.

A receiver (OTLP over HTTP today; gRPC and LangSmith's runs next) turns a request into a :class:`Batch` and
hands it to the first :class:`Consumer`. Each consumer takes the batch, does its one job and hands it on;
the last ones are exporters, the store writer first among them. As in the OpenTelemetry Collector, a
consumer answers with success or an error marked permanent (:class:`~tokentrail.errors.PermanentError`: the
same batch can never be taken) or retryable (:class:`~tokentrail.errors.RetryableError`: try later), and
nothing below the receiver knows the protocol it came in by.

Consuming returns a future, because being accepted takes time that no thread should wait out: the future
resolves to the batch as the chain left it (its rejections and warnings, for the receiver's answer) once
every exporter holds it durably.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from tokentrail.model import RawSpan, Span

__all__ = ["Batch", "Consumer", "Fanout", "Processor", "SpanKey", "SpanProcessor", "done", "relay"]

logger = logging.getLogger(__name__)

SpanKey = tuple[str, str, str]  # project, trace id, span id


@dataclass(slots=True)
class Batch:
    """One request's spans on their way down the chain: what every receiver produces, and what each
    consumer reads and adds to."""

    #: The spans as received, and how they are encoded (a media type the decoder knows) and compressed.
    body: bytes = b""
    media_type: str = ""
    content_encoding: str | None = None
    #: The project of every span, when the receiver knows it; else each span's is found from its service.
    project: str | None = None
    raw: list[RawSpan] = field(default_factory=list)  # decoded, convention-free
    spans: list[Span] = field(default_factory=list)  # normalized, enriched, priced
    rows: dict[SpanKey, bytes] = field(default_factory=dict)  # encoded for the store
    #: The spans as they are forwarded (one OTLP request, redacted), when forwarding is on, and how many.
    otlp: bytes = b""
    otlp_spans: int = 0
    rejected: list[str] = field(default_factory=list)  # one reason per span that could not be taken
    warnings: list[str] = field(default_factory=list)  # spans taken after a repair

    def reject(self, span_id: str, name: str, exc: Exception) -> None:
        """Take one span out of the batch for ``exc``, saying why; the rest of the batch goes on."""
        logger.error("span %s could not be read", span_id, exc_info=exc)
        self.rejected.append(f"span {span_id} {name!r}: could not be read ({exc!r:.200})")


class Consumer(ABC):
    """One link of the chain."""

    @abstractmethod
    def consume(self, batch: Batch) -> Future[Batch]:
        """Take ``batch``. The future resolves to it as the chain left it once every exporter holds it
        durably, or fails with a permanent or retryable error; an error known at once may be raised."""

    @abstractmethod
    def flush(self, timeout: float | None = None) -> bool:
        """Push on everything consumed so far; True once the exporters hold it, False on timeout."""

    @abstractmethod
    def shutdown(self) -> None:
        """Finish what was consumed, then release what this link holds."""


class Processor(Consumer):
    """A link that changes the batch in place and hands it to the next link."""

    def __init__(self, next_consumer: Consumer | None = None) -> None:
        self.next = next_consumer

    @abstractmethod
    def process(self, batch: Batch) -> None:
        """Do this link's work on ``batch``."""

    def consume(self, batch: Batch) -> Future[Batch]:
        self.process(batch)
        return done(batch) if self.next is None else self.next.consume(batch)

    def flush(self, timeout: float | None = None) -> bool:
        return True if self.next is None else self.next.flush(timeout)

    def shutdown(self) -> None:
        if self.next is not None:
            self.next.shutdown()


class SpanProcessor(Processor):
    """A processor of one span at a time: a span it cannot process is rejected alone."""

    def process(self, batch: Batch) -> None:
        kept = []
        for span in batch.spans:
            try:
                self.process_span(span, batch)
            except Exception as exc:  # a span no stage could read costs itself only, never its batch
                batch.reject(span.span_id, span.name, exc)
                continue
            kept.append(span)
        batch.spans = kept

    @abstractmethod
    def process_span(self, span: Span, batch: Batch) -> None:
        """Do this link's work on one span (``batch`` takes its warnings)."""


class Fanout(Consumer):
    """Hands each batch to every exporter; it is accepted once all of them hold it."""

    def __init__(self, exporters: Sequence[Consumer]) -> None:
        if not exporters:
            raise ValueError("a chain needs at least one exporter")
        self.exporters = tuple(exporters)

    def consume(self, batch: Batch) -> Future[Batch]:
        if len(self.exporters) == 1:
            return self.exporters[0].consume(batch)
        accepted: Future[Batch] = Future()
        waiting = [exporter.consume(batch) for exporter in self.exporters]
        remaining = [len(waiting)]
        lock = threading.Lock()  # the exporters' futures may settle on several threads at once

        def one_done(future: Future[Batch]) -> None:
            error = future.exception()
            with lock:
                if accepted.done():
                    return
                if error is not None:
                    accepted.set_exception(error)
                    return
                remaining[0] -= 1
                if remaining[0] == 0:
                    accepted.set_result(batch)

        for future in waiting:
            future.add_done_callback(one_done)
        return accepted

    def flush(self, timeout: float | None = None) -> bool:
        return all([exporter.flush(timeout) for exporter in self.exporters])

    def shutdown(self) -> None:
        for exporter in self.exporters:
            exporter.shutdown()


def done(batch: Batch) -> Future[Batch]:
    """A future already resolved to ``batch``."""
    future: Future[Batch] = Future()
    future.set_result(batch)
    return future


def relay(
    source: Future[Any], target: Future[Batch], value: Callable[[Any], Batch] = lambda got: got
) -> None:
    """Settle ``target`` when ``source`` settles: with ``value`` of its result, or with its error."""

    def copy(settled: Future[Any]) -> None:
        error = settled.exception()
        if error is not None:
            target.set_exception(error)
        else:
            target.set_result(value(settled.result()))

    source.add_done_callback(copy)
