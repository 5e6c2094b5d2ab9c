"""The durable queue of one destination: OTLP requests on disk until the destination has taken them.

It is a :class:`~tokentrail.store.wal.WriteAheadLog` (the same records: length, crc32, payload; a record cut
by a crash ends its segment, and was never acknowledged): :meth:`DurableQueue.put` returns a future that
resolves once the request is fsynced, requests put meanwhile sharing one fsync (a group commit, on the
queue's own thread). The sender takes the oldest segment (:meth:`take`), sealing the one being written when
it is the only one, and deletes it once every request in it was delivered (:meth:`release`); after a
restart the segments left are sent again, so delivery is at least once (a segment cut by a kill -9 halfway
through sending is sent again whole).

The queue is bounded by bytes on disk: a request that would take it past ``max_bytes`` is refused with
:class:`~tokentrail.errors.Overloaded` (503 and Retry-After to the client, which sends it again later),
never dropped; what was acknowledged is on disk.
"""

from __future__ import annotations

import struct
import threading
from concurrent.futures import Future
from pathlib import Path

from tokentrail.errors import Overloaded
from tokentrail.store.wal import WriteAheadLog

__all__ = ["DurableQueue", "Segment"]

_COUNT = struct.Struct("<I")  # a record: the number of spans in it, then the OTLP request

Segment = tuple[Path, list[tuple[int, bytes]]]  # a sealed segment and its requests, with their span counts


class DurableQueue:
    """Requests for one destination, fsynced before they are acknowledged, at most ``max_bytes`` on disk."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._log = WriteAheadLog(directory)
        self._lock = threading.Condition()
        self._pending: list[tuple[bytes, Future[None]]] = []
        self._closed = False
        #: Bytes and spans on disk (segments written, not yet released) and put but not yet written.
        self.queued_bytes = 0
        self.queued_spans = 0
        self._sizes: dict[Path, tuple[int, int]] = {}
        for segment in self._log.segments()[:-1]:  # the last is the new one the log just opened
            records = list(WriteAheadLog.read(segment))
            self._sizes[segment] = (segment.stat().st_size, sum(_COUNT.unpack_from(r)[0] for r in records))
            self.queued_bytes += self._sizes[segment][0]
            self.queued_spans += self._sizes[segment][1]
        self._thread = threading.Thread(target=self._commit, name="tokentrail-forward-log", daemon=True)
        self._thread.start()

    def put(self, request: bytes, spans: int) -> Future[None]:
        """Queue one OTLP request of ``spans`` spans; the future resolves once it is on disk."""
        record = _COUNT.pack(spans) + request
        written: Future[None] = Future()
        with self._lock:
            if self.queued_bytes + len(record) > self.max_bytes:
                raise Overloaded(
                    f"the forwarding queue holds {self.queued_bytes} bytes, its limit is {self.max_bytes}: "
                    "a destination is behind; try again later"
                )
            self.queued_bytes += len(record) + 8  # the record's header
            self.queued_spans += spans
            self._pending.append((record, written))
            self._lock.notify_all()
        return written

    def _commit(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._lock.wait()
                if not self._pending:
                    return
                pending, self._pending = self._pending, []
                try:
                    self._log.append_many([record for record, _ in pending])
                except OSError as exc:
                    self._refuse(pending, exc)
                    continue
                self._lock.notify_all()  # a sender waiting for a segment
            for _, written in pending:
                written.set_result(None)

    def _refuse(self, pending: list[tuple[bytes, Future[None]]], exc: OSError) -> None:
        for record, written in pending:
            self.queued_bytes -= len(record) + 8
            self.queued_spans -= _COUNT.unpack_from(record)[0]
            written.set_exception(Overloaded(f"the forwarding queue could not be written: {exc}"))
        # The log sealed the segment the failed write was cut from: what it held before is queued still.
        for segment in self._log.segments()[:-1]:
            if segment not in self._sizes:
                self._sizes[segment] = (segment.stat().st_size, 0)

    def take(self, timeout: float) -> Segment | None:
        """The oldest segment and its requests, sealing the one being written if it is the only one;
        None if nothing is queued within ``timeout`` seconds."""
        with self._lock:
            if not self._sealed() and not self._log.open_bytes:
                self._lock.wait(timeout)
            sealed = self._sealed()
            if not sealed and self._log.open_bytes:
                sizes = self._log.open_bytes, 0
                sealed = self._log.rotate()[-1:]
                self._sizes[sealed[0]] = sizes
            if not sealed:
                return None
        records = list(WriteAheadLog.read(sealed[0]))
        with self._lock:
            self._sizes[sealed[0]] = (
                self._sizes[sealed[0]][0],
                sum(_COUNT.unpack_from(r)[0] for r in records),
            )
        return sealed[0], [(_COUNT.unpack_from(record)[0], record[_COUNT.size :]) for record in records]

    def _sealed(self) -> list[Path]:
        return [path for path in self._log.segments() if path in self._sizes]

    def release(self, segment: Path) -> None:
        """Delete a segment :meth:`take` gave once its requests were delivered (or given up on)."""
        segment.unlink(missing_ok=True)
        with self._lock:
            size, spans = self._sizes.pop(segment, (0, 0))
            self.queued_bytes -= size
            self.queued_spans -= spans

    def close(self) -> None:
        """Write what was put, then stop."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self._thread.join()
        self._log.close()
