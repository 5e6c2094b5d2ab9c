"""The writer: spans acknowledged once durable in the write-ahead log, inserted into ClickHouse in batches.

Callers hand over a list of spans and get a future that resolves once they are durable. Spans are encoded
into rows in the caller's thread. The log thread appends everything queued as one record of the
:class:`~tokentrail.store.wal.WriteAheadLog` (one write, one fsync: a group commit) and resolves those
futures. The insert thread takes what the log holds and inserts it into ClickHouse when a batch is full,
when the oldest row has waited ``flush_interval_s``, or when :meth:`SpanWriter.flush` asks; then it has the
traces the batch touched resolved (``resolve``: which spans repeat or wrap a call, decided from the store),
deletes the segments it covered, and tells its listeners which traces the batch touched (the live tail). Large
inserts are the point: ClickHouse pays about 15 ms per insert and merges
every part it makes, so inserting per request cost more CPU than decoding and normalizing the spans.

Spans are queryable within ``flush_interval_s`` of their acknowledgement. A store that refuses inserts
loses nothing: the rows stay in the log and in memory and the insert is retried. When more spans are
waiting (queued or not yet inserted) than the configured limit, :meth:`SpanWriter.submit` raises
:class:`Overloaded` at once, so the receiver answers 503 with Retry-After instead of dropping data; so it
does (:class:`DiskFull`) when the disk has less free space than the floor kept, and a request whose log
write fails for want of room gets :class:`DiskFull` too, the log whole and nothing acknowledged lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import NamedTuple

from tokentrail.errors import DiskFull, Overloaded, StoreUnavailable
from tokentrail.model import Span
from tokentrail.store.database import RowsRefused, Store
from tokentrail.store.disk import DiskSpace, is_disk_full
from tokentrail.store.quarantine import Quarantine
from tokentrail.store.rows import SPAN_COLUMNS, encode_span, row_key
from tokentrail.store.wal import WriteAheadLog

__all__ = ["InsertListener", "InsertTimer", "Resolver", "SpanWriter"]

logger = logging.getLogger(__name__)

#: Seconds between attempts while the store refuses inserts.
RETRY_INTERVAL_S = 1.0


_Key = tuple[str, str, str]  # project, trace id, span id
#: Called on the insert thread with the (project, trace id) pairs of each batch once it is queryable.
InsertListener = Callable[[frozenset[tuple[str, str]]], None]
#: Called on the insert thread with the keys of the spans each batch inserted, before its log segments are
#: deleted; raising :class:`StoreUnavailable` keeps them and retries.
Resolver = Callable[[frozenset[_Key]], object]
#: Called on the insert thread with the seconds each insert into the store took (for /metrics).
InsertTimer = Callable[[float], None]


class _Request(NamedTuple):
    rows: dict[_Key, bytes]
    future: Future[int]
    sequence: int


class SpanWriter:
    """Makes spans durable in a write-ahead log, then inserts them in batches, each on its own thread."""

    def __init__(
        self,
        store: Store,
        wal_dir: Path,
        *,
        quarantine_dir: Path | None = None,
        batch_max_spans: int = 50_000,
        max_pending_spans: int = 500_000,
        flush_interval_s: float = 0.5,
        resolve: Resolver | None = None,
        disk: DiskSpace | None = None,
        time_insert: InsertTimer | None = None,
    ):
        self._store = store
        self._disk = disk
        self._time_insert = time_insert
        self._resolve = resolve
        # Spans inserted whose log segments are not deleted yet (resolved first, when there is a resolver):
        # still pending, so a flush() returns only once no segment holds what it waited for.
        self._unresolved: set[_Key] = set()
        self._batch_max = batch_max_spans
        self._max_pending = max_pending_spans
        self._flush_interval = flush_interval_s
        self.quarantine = Quarantine(quarantine_dir or wal_dir / "quarantine")
        self._wal = WriteAheadLog(wal_dir)
        self._cond = threading.Condition()
        self._queue: deque[_Request] = deque()  # submitted, not yet in the log
        self._queued_rows = 0  # rows of the requests in the queue or being logged
        self._buffer: dict[_Key, bytes] = {}  # in the log, not yet taken by the insert thread
        self._buffered_since = 0.0  # monotonic time the oldest buffered row was logged
        self._inflight: dict[_Key, bytes] = {}  # taken by the insert thread, not yet in the store
        self._submitted = 0  # sequence of the last request submitted
        self._logged = 0  # ... written to the log
        self._inserted = 0  # ... inserted into the store
        self._written = 0  # rows inserted into the store since start
        self._flush_wanted = 0  # a flush() waits for this sequence
        self._closed = False
        self._listeners: list[InsertListener] = []
        self._replay()
        self._threads = [
            threading.Thread(target=self._log_loop, name="tokentrail-wal", daemon=True),
            threading.Thread(target=self._insert_loop, name="tokentrail-writer", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @property
    def pending(self) -> int:
        """Spans accepted but not yet in the store: each span once, however often it was sent."""
        with self._cond:
            return self._pending()

    @property
    def written(self) -> int:
        """Rows inserted into the store since this writer started."""
        return self._written

    def submit(self, spans: Sequence[Span]) -> Future[int]:
        """Encode and queue spans; the future resolves to their count once they are durable."""
        now = time.time_ns()
        return self.submit_rows(
            {(span.project, span.trace_id, span.span_id): encode_span(span, now) for span in spans}
        )

    def submit_rows(self, rows: dict[_Key, bytes]) -> Future[int]:
        """Queue encoded rows (:func:`~tokentrail.store.rows.encode_span`) by key; the future resolves
        once they are durable.

        A span sent twice in one request is one key; a span sent again before its first copy reached
        the store replaces it in the buffer; after that, the table's dedup key keeps one copy.
        """
        future: Future[int] = Future()
        if not rows:
            future.set_result(0)
            return future
        if self._disk is not None:
            self._disk.check()
        with self._cond:
            if self._closed:
                raise Overloaded("the writer is shutting down")
            pending = self._pending()
            if pending and pending + len(rows) > self._max_pending:
                raise Overloaded(f"{pending} spans are waiting to be written; try again shortly")
            self._submitted += 1
            self._queue.append(_Request(rows, future, self._submitted))
            self._queued_rows += len(rows)
            self._cond.notify_all()
        return future

    def write(self, spans: Sequence[Span], timeout: float | None = None) -> int:
        """Queue spans, wait until they are durable and then until they are queryable."""
        count = self.submit(spans).result(timeout)
        self.flush(timeout)
        return count

    def flush(self, timeout: float | None = None) -> bool:
        """Insert everything submitted so far now; True once it is queryable, False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._submitted
            self._flush_wanted = max(self._flush_wanted, target)
            self._cond.notify_all()
            while self._inserted < target and self._pending():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def add_listener(self, listener: InsertListener) -> None:
        """Have ``listener`` told which traces each batch touched, once it is queryable. It runs on the
        insert thread, so it must return at once (hand the news to another thread)."""
        with self._cond:
            self._listeners = [*self._listeners, listener]

    def remove_listener(self, listener: InsertListener) -> None:
        with self._cond:
            self._listeners = [known for known in self._listeners if known is not listener]

    def close(self, timeout: float = 30.0) -> None:
        """Log and insert what is queued, then stop the threads; closing again does nothing."""
        with self._cond:
            closed_before, self._closed = self._closed, True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        if not closed_before:
            self._wal.close()

    def _pending(self) -> int:
        # A key both in flight and buffered counts twice, rightly: the buffered copy is newer and
        # still has to be inserted after the one in flight.
        return self._queued_rows + len(self._buffer) + len(self._inflight) + len(self._unresolved)

    # -- the log thread: group commits ------------------------------------------------------------------

    def _log_loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                requests = list(self._queue)
                self._queue.clear()
            payload = b"\n".join(row for request in requests for row in request.rows.values())
            error: BaseException | None = None
            with self._cond:
                # Logged and buffered under one lock, so a rotation never seals a record whose rows
                # are not in the buffer it takes.
                try:
                    self._wal.append(payload)
                except OSError as exc:  # the log stays whole (see WriteAheadLog.append): only these fail
                    unavailable = DiskFull if is_disk_full(exc) else StoreUnavailable
                    error = unavailable(f"the write-ahead log refused a write: {exc}")
                else:
                    if not self._buffer:
                        self._buffered_since = time.monotonic()
                    for request in requests:
                        self._buffer.update(request.rows)
                    self._logged = requests[-1].sequence
                self._queued_rows -= sum(len(request.rows) for request in requests)
                self._cond.notify_all()
            for request in requests:
                if error is None:
                    request.future.set_result(len(request.rows))
                else:
                    request.future.set_exception(error)

    # -- the insert thread: batches into the store -----------------------------------------------------

    def _insert_loop(self) -> None:
        sealed: list[Path] = []  # segments whose rows are all in the store once the rows in flight are
        while True:
            with self._cond:
                while not self._inflight and not self._due():
                    if self._closed and not self._queue and not self._queued_rows:
                        return
                    self._cond.wait(self._wait_time())
                # Rows kept in flight from a failed attempt are older: the buffer's copy wins.
                self._inflight.update(self._buffer)
                self._buffer = {}
                covered = self._logged
                sealed += self._wal.rotate()
            try:
                inserted = self._insert_inflight()
                self._resolve_touched()
            except StoreUnavailable as exc:
                logger.warning("inserting %d spans failed; retrying: %s", len(self._inflight), exc)
                with self._cond:
                    if self._closed:
                        return  # they stay in the log and are replayed at the next start
                    self._cond.wait(RETRY_INTERVAL_S)
                continue
            self._wal.remove(sealed)
            sealed = []
            with self._cond:
                self._unresolved.clear()
                self._inserted = covered
                self._cond.notify_all()
                listeners = self._listeners
            if listeners and inserted:
                self._tell(listeners, frozenset((project, trace_id) for project, trace_id, _ in inserted))

    def _insert_inflight(self) -> list[_Key]:
        """Insert the rows in flight, isolating any the store refuses as data into the quarantine.

        A refused batch is halved until each refused row stands alone, so one bad row costs about
        2 log2(n) extra inserts and blocks nothing. Raises :class:`StoreUnavailable` when the store fails
        otherwise; what is not inserted yet stays in flight for the next attempt.
        """
        inserted: list[_Key] = []
        chunks = [list(self._inflight.items())]
        while chunks:
            chunk = chunks.pop()
            started = time.perf_counter()
            try:
                self._store.insert_json_rows("spans", SPAN_COLUMNS, [row for _, row in chunk])
            except RowsRefused as exc:
                if len(chunk) > 1:
                    half = len(chunk) // 2
                    chunks += [chunk[half:], chunk[:half]]
                    continue
                self._hold(*chunk[0], str(exc))
                written = 0
            else:
                inserted += (key for key, _ in chunk)
                written = len(chunk)
                if self._time_insert is not None:
                    self._time_insert(time.perf_counter() - started)
            with self._cond:
                for key, _ in chunk:
                    del self._inflight[key]
                if written:
                    self._unresolved.update(key for key, _ in chunk)
                self._written += written
                self._cond.notify_all()
        return inserted

    def _resolve_touched(self) -> None:
        """Resolve the spans inserted since the last resolution that succeeded; a store that fails keeps
        them for the retry (and their log segments with them). They stay pending until their segments are
        deleted."""
        with self._cond:
            inserted = frozenset(self._unresolved)
        if self._resolve is None or not inserted:
            return
        try:
            self._resolve(inserted)
        except StoreUnavailable:
            raise
        except Exception:  # a resolver's bug must not stop the inserts
            logger.exception("resolving the duplicate calls of %d spans failed", len(inserted))

    def _hold(self, key: _Key | None, row: bytes, reason: str) -> None:
        try:
            entry = self.quarantine.add(row, reason, key)
        except OSError as exc:
            raise StoreUnavailable(f"the quarantine refused a write: {exc}") from exc
        logger.error(
            "the store refused span %s of trace %s (project %r); quarantined: %s",
            entry.span_id,
            entry.trace_id,
            entry.project,
            reason,
        )

    @staticmethod
    def _tell(listeners: list[InsertListener], traces: frozenset[tuple[str, str]]) -> None:
        for listener in listeners:
            try:
                listener(traces)
            except Exception:  # a listener's bug must not stop the inserts
                logger.exception("an insert listener failed")

    def _due(self) -> bool:
        """Whether the buffer should be inserted now (called with the lock held)."""
        if not self._buffer:
            return False
        return (
            len(self._buffer) >= self._batch_max
            or self._flush_wanted > self._inserted
            or self._closed
            or time.monotonic() - self._buffered_since >= self._flush_interval
        )

    def _wait_time(self) -> float | None:
        if not self._buffer:
            return None
        return max(0.0, self._buffered_since + self._flush_interval - time.monotonic())

    # -- start: what a previous process logged but did not insert ----------------------------------------

    def _replay(self) -> None:
        """Buffer what the log holds from before this process started, for the insert thread.

        Nothing is inserted here, so a store that is down, or a row it refuses, never stops a start: the
        rows are pending like any other, and their segments are deleted once they are in the store.
        """
        rows = 0
        segments = self._wal.segments()[:-1]  # the last one is the segment just opened
        for segment in segments:
            for payload in WriteAheadLog.read(segment):
                for row in payload.split(b"\n"):
                    rows += 1
                    key = row_key(row)
                    if key is None:
                        self._hold(None, row, "the row in the write-ahead log cannot be read")
                    else:
                        self._buffer[key] = row  # a later copy of a span wins, as it would have
        if self._buffer:
            # One request, logged already and due at once, so that a flush() waits for it too.
            self._submitted = self._logged = 1
            self._buffered_since = 0.0
            logger.info("replaying %d spans from the write-ahead log", rows)
        else:
            self._wal.remove(segments)  # nothing in them survived a crash, or all of it was refused
