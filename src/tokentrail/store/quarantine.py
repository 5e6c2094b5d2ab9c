"""The quarantine: rows the store refused, kept on disk with the reason, so one bad row blocks nothing.

Ingest checks every number against what the columns hold (:mod:`tokentrail.limits`), so a refused row
means a bug or a row logged by an older version. The writer isolates such rows by halving the batch that
held them, inserts everything else, and appends each refused row here: one JSON line a row, fsynced,
in ``quarantine.jsonl``. Nothing here is lost or retried on its own; ``GET /api/v1/quarantine`` and
``tokentrail quarantine`` list what is held, and ``/healthz`` counts it; a purge
(:mod:`tokentrail.store.purge`) erases its traces' rows here too.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import orjson

__all__ = ["Quarantine", "QuarantinedRow"]

_FILE = "quarantine.jsonl"


@dataclass(frozen=True, slots=True)
class QuarantinedRow:
    """A row the store refused: when, why, and the span it holds (as far as the row can be read)."""

    quarantined_ns: int
    reason: str
    project: str
    trace_id: str
    span_id: str
    row: str  # the row as it was offered to the store (JSONCompactEachRow)


class Quarantine:
    """Refused rows in one directory, appended and fsynced one at a time (they are rare)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / _FILE
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        held = self._read()
        self._count = len(_entries(held))
        if held and not held.endswith(b"\n"):
            with self.path.open("ab") as file:  # end a line a crash cut short, so the next one stands alone
                file.write(b"\n")

    @property
    def count(self) -> int:
        """Rows held."""
        return self._count

    def add(self, row: bytes, reason: str, key: tuple[str, str, str] | None) -> QuarantinedRow:
        """Keep a refused row, of the span ``key`` (project, trace id, span id; None when the row cannot
        be read); once this returns it survives a crash."""
        project, trace_id, span_id = key or ("", "", "")
        entry = QuarantinedRow(
            time.time_ns(), reason, project, trace_id, span_id, row.decode(errors="replace")
        )
        line = orjson.dumps(entry) + b"\n"
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            self._count += 1
        return entry

    def remove(self, project: str, trace_ids: Collection[str]) -> int:
        """Erase the rows of these traces of ``project``, and unreadable rows naming one of them; returns
        how many rows went. The file is rewritten beside the old one and renamed over it, so a crash
        leaves one or the other whole."""
        wanted = set(trace_ids)

        def erased(entry: QuarantinedRow) -> bool:
            if entry.project == project:
                return entry.trace_id in wanted
            return not entry.project and any(trace_id in entry.row for trace_id in wanted)

        with self._lock:
            entries = _entries(self._read())
            kept = [entry for entry in entries if not erased(entry)]
            if len(kept) == len(entries):
                return 0
            replacement = self.path.with_suffix(".tmp")
            with open(os.open(replacement, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
                file.write(b"".join(orjson.dumps(entry) + b"\n" for entry in kept))
                file.flush()
                os.fsync(file.fileno())
            os.replace(replacement, self.path)
            self._count = len(kept)
        return len(entries) - len(kept)

    def rows(self, *, project: str | None = None, limit: int | None = 100) -> list[QuarantinedRow]:
        """The most recent rows held, newest first, of one project or all (``limit`` None: every one)."""
        found = [entry for entry in _entries(self._read()) if project is None or entry.project == project]
        return found[::-1][:limit]

    def _read(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return b""


def _entries(held: bytes) -> list[QuarantinedRow]:
    entries = []
    for line in held.splitlines():
        try:
            entries.append(QuarantinedRow(**orjson.loads(line)))
        except (orjson.JSONDecodeError, TypeError):
            continue  # a line cut short by a crash while it was written
    return entries
