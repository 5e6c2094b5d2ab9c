"""The batching writer: many requests' spans go to the store in few inserts, each acknowledged once durable.

Callers hand over a list of spans and get a future that resolves when those spans are in the store (or
fails with the store's error). Spans are encoded into rows in the caller's thread; one writer thread
drains the queue and only runs the inserts, which release the GIL, so encoding and writing overlap.
When more spans are waiting than the configured limit, :meth:`SpanWriter.submit` raises
:class:`Overloaded` at once, so the receiver answers 503 with Retry-After instead of dropping data.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future

import orjson

from tokentrail.errors import Overloaded
from tokentrail.model import Span
from tokentrail.store.database import Store
from tokentrail.store.schema import SPAN_COLUMNS

__all__ = ["SpanWriter", "span_row"]


def span_row(span: Span, ingested_ns: int) -> bytes:
    """The ``spans`` row for a span as one ``JSONCompactEachRow`` line, in :data:`SPAN_COLUMNS` order.

    JSON keeps the Python side of an insert to one compiled ``orjson.dumps`` per span; ClickHouse
    parses it outside the GIL. Money travels as decimal strings, so no float ever touches it.
    """
    return orjson.dumps(
        (
            span.project,
            span.trace_id,
            span.span_id,
            span.parent_span_id,
            span.name,
            span.service,
            span.scope,
            span.start_ns,
            span.end_ns,
            span.kind,
            span.status,
            span.error_type,
            span.error_message,
            span.error_stack,
            span.provider,
            span.request_model,
            span.response_model,
            span.usage,
            span.usage_source,
            {key: str(amount) for key, amount in span.cost.items()},
            str(span.cost_total),
            span.cost_origin or "",
            span.unpriced_reason or "",
            span.price_source,
            span.session_id,
            span.user_id,
            span.trace_name,
            span.tags,
            span.metadata,
            span.input,
            span.output,
            span.attributes,
            span.resource,
            span.events,
            ingested_ns,
            span.duplicate_of,
            span.duplicate_reason,
            span.response_id,
            span.usage_parser,
        )
    )


_Key = tuple[str, str, str]  # project, trace id, span id


class SpanWriter:
    """Queues spans and inserts them in batches from one background thread."""

    def __init__(self, store: Store, *, batch_max_spans: int = 50_000, max_pending_spans: int = 500_000):
        self._store = store
        self._batch_max = batch_max_spans
        self._max_pending = max_pending_spans
        self._queue: deque[tuple[dict[_Key, bytes], Future[int]]] = deque()
        self._pending = 0
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="tokentrail-writer", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        """Spans accepted but not yet written."""
        return self._pending

    def submit(self, spans: Sequence[Span]) -> Future[int]:
        """Encode and queue spans; the future resolves to their count once they are durable."""
        future: Future[int] = Future()
        if not spans:
            future.set_result(0)
            return future
        now = time.time_ns()
        # A span sent twice in one request is kept once; across requests the table's dedup key handles it.
        rows = {(span.project, span.trace_id, span.span_id): span_row(span, now) for span in spans}
        with self._cond:
            if self._closed:
                raise Overloaded("the writer is shutting down")
            if self._pending and self._pending + len(spans) > self._max_pending:
                raise Overloaded(f"{self._pending} spans are waiting to be written; try again shortly")
            self._queue.append((rows, future))
            self._pending += len(rows)
            self._cond.notify()
        return future

    def write(self, spans: Sequence[Span], timeout: float | None = None) -> int:
        """Queue spans and wait until they are durable."""
        return self.submit(spans).result(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                batch = self._take_batch()
            self._write(batch)

    def _take_batch(self) -> list[tuple[dict[_Key, bytes], Future[int]]]:
        batch = [self._queue.popleft()]
        size = len(batch[0][0])
        while self._queue and size + len(self._queue[0][0]) <= self._batch_max:
            item = self._queue.popleft()
            batch.append(item)
            size += len(item[0])
        return batch

    def _write(self, batch: list[tuple[dict[_Key, bytes], Future[int]]]) -> None:
        rows: dict[_Key, bytes] = {}
        for request_rows, _ in batch:
            rows.update(request_rows)
        error: BaseException | None = None
        try:
            self._store.insert_json_rows("spans", SPAN_COLUMNS, list(rows.values()))
        except BaseException as exc:  # handed to every waiting request, which answers 503
            error = exc
        with self._cond:
            self._pending -= sum(len(request_rows) for request_rows, _ in batch)
        for request_rows, future in batch:
            if error is None:
                future.set_result(len(request_rows))
            else:
                future.set_exception(error)
