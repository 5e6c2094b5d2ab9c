"""The quarantine: rows the store refused, kept on disk with the reason, so one bad row blocks nothing.

Ingest checks every number against what the columns hold (:mod:`tokentrail.limits`), so a refused row
means a bug or a row logged by an older version. The writer isolates such rows by halving the batch that
held them, inserts everything else, and appends each refused row here: one JSON line a row, fsynced,
in ``quarantine.jsonl``. Nothing here is lost or retried on its own; ``GET /api/v1/quarantine`` and
``tokentrail quarantine`` list what is held, and ``/healthz`` counts it.
"""

from __future__ import annotations

import os
import threading
import time
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
        self._count = len(self._entries())
        if self.path.exists() and not self.path.read_bytes().endswith(b"\n"):
            with self.path.open("ab") as file:  # end a line a crash cut short, so the next one stands alone
                file.write(b"\n")

    @property
    def count(self) -> int:
        """Rows held."""
        return self._count

    def add(self, row: bytes, reason: str) -> QuarantinedRow:
        """Keep a refused row; once this returns it survives a crash."""
        project, trace_id, span_id = _identity(row)
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

    def rows(self, *, project: str | None = None, limit: int = 100) -> list[QuarantinedRow]:
        """The most recent rows held, newest first, of one project or all."""
        found = [entry for entry in self._entries() if project is None or entry.project == project]
        return found[::-1][:limit]

    def _entries(self) -> list[QuarantinedRow]:
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        entries = []
        for line in lines:
            try:
                entries.append(QuarantinedRow(**orjson.loads(line)))
            except (orjson.JSONDecodeError, TypeError):
                continue  # a line cut short by a crash while it was written
        return entries


def _identity(row: bytes) -> tuple[str, str, str]:
    """Project, trace id and span id: the first three columns of a row, when it can be read at all."""
    try:
        values = orjson.loads(row)
    except orjson.JSONDecodeError:
        return "", "", ""
    if not isinstance(values, list) or len(values) < 3:
        return "", "", ""
    return tuple(value if isinstance(value, str) else "" for value in values[:3])  # type: ignore[return-value]
