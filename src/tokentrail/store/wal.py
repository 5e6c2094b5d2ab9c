"""The write-ahead log: where accepted spans are durable before they reach ClickHouse.

An OTLP request is answered only once its spans are on disk, but ClickHouse makes a part per insert and
pays for each one (about 15 ms here, however small the insert, plus the merges of many small parts). So
the writer appends each group of requests to this log with one write and one fsync, acknowledges them,
and inserts into ClickHouse later in large batches. After an insert succeeds the segments it covered are
deleted; at start, whatever is left is replayed.

A segment is a file of records, each ``length (4 bytes, little-endian) | crc32 (4) | payload``; the
payload is the rows of one group commit. A record cut short by a crash, or whose checksum does not match,
ends the segment's readable part: it was never acknowledged, since acknowledgement follows the fsync.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

__all__ = ["WriteAheadLog"]

logger = logging.getLogger(__name__)

_HEADER = struct.Struct("<II")
_SUFFIX = ".wal"


class WriteAheadLog:
    """Segments of fsynced records in one directory. Not thread-safe: the writer serializes calls."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        existing = self.segments()
        self._sequence = int(existing[-1].stem) if existing else 0
        self._fd: int | None = None
        self._size = 0  # bytes of complete records in the segment being written
        self._start_segment()

    def segments(self) -> list[Path]:
        """Every segment on disk, oldest first (the last one is being written, once the log is open)."""
        return sorted(self.directory.glob(f"*{_SUFFIX}"), key=lambda path: int(path.stem))

    def append(self, payload: bytes) -> None:
        """Write one record and fsync it: when this returns, the payload survives a crash (see
        :meth:`append_many`)."""
        self.append_many([payload])

    def append_many(self, payloads: list[bytes]) -> None:
        """Write one record per payload and fsync them once: when this returns, they survive a crash.

        When the write or the fsync fails (a full disk), the :class:`OSError` is raised and the record
        is not acknowledged; the log stays readable: its segment is cut back to the records before it,
        and the next record starts a new segment whatever became of that, because a damaged record ends
        what is read of its segment and must never sit before an acknowledged one.
        """
        record = b"".join(_HEADER.pack(len(payload), zlib.crc32(payload)) + payload for payload in payloads)
        try:
            fd = self._fd if self._fd is not None else self._start_segment()
            written = 0
            while written < len(record):  # a write may take part of the record (the last bytes of a disk)
                written += os.write(fd, record[written:])
            os.fsync(fd)
        except OSError:
            self._abandon_segment()
            raise
        self._size += len(record)

    @property
    def open_bytes(self) -> int:
        """Bytes of complete records in the segment being written (0: :meth:`rotate` would seal nothing)."""
        return self._size

    def _abandon_segment(self) -> None:
        if self._fd is None:
            return  # no segment was open: the next append starts one
        try:
            os.ftruncate(self._fd, self._size)
            os.fsync(self._fd)
        except OSError as exc:  # the cut is best effort: a reader stops at the damaged record anyway
            logger.warning("write-ahead log: cutting a failed record off failed: %s", exc)
        self.rotate()

    def rotate(self) -> list[Path]:
        """Start a new segment; returns the segments written before it (all sealed now)."""
        sealed = [path for path in self.segments() if int(path.stem) <= self._sequence]
        try:
            self._start_segment()
        except OSError as exc:  # a full disk: the sealed ones are closed; the next append tries again
            logger.warning("write-ahead log: starting a new segment failed: %s", exc)
        return sealed

    def _start_segment(self) -> int:
        """Close the segment being written and open the next one; returns its file descriptor."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._fd = fd = self._open(self._sequence + 1)
        self._sequence += 1
        self._size = 0
        return fd

    def remove(self, segments: list[Path]) -> None:
        for path in segments:
            path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open(self, sequence: int) -> int:
        return os.open(
            self.directory / f"{sequence:012d}{_SUFFIX}", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
        )

    @staticmethod
    def read(segment: Path) -> Iterator[bytes]:
        """The records of a segment, up to the first one that is incomplete or damaged."""
        data = segment.read_bytes()
        offset = 0
        while offset < len(data):
            if offset + _HEADER.size > len(data):
                break
            length, checksum = _HEADER.unpack_from(data, offset)
            start, end = offset + _HEADER.size, offset + _HEADER.size + length
            payload = data[start:end]
            if end > len(data) or zlib.crc32(payload) != checksum:
                break
            yield payload
            offset = end
        if offset < len(data):
            logger.warning(
                "write-ahead log %s: %d bytes after the last complete record were never acknowledged; "
                "skipped",
                segment,
                len(data) - offset,
            )
