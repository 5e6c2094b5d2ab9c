"""Run by tests/store/test_disk_full.py inside a private mount namespace, with ``argv[1]`` a small tmpfs:
the write-ahead log and the writer meet a real ENOSPC. Prints what it saw as one JSON object."""

from __future__ import annotations

import errno
import json
import os
import sys
from pathlib import Path

from tokentrail.errors import DiskFull
from tokentrail.model import Span
from tokentrail.store.database import Store
from tokentrail.store.wal import WriteAheadLog
from tokentrail.store.writer import SpanWriter

FILLER = 1_700_000  # of the 2 MiB tmpfs: what is left fills within a few dozen appends


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    filler.write_bytes(b"\0" * FILLER)
    return filler


def log_until_full(disk: Path) -> dict[str, object]:
    """Append 10 KiB records until the disk is full, free room, append more: what does the log hold?"""
    filler = fill(disk)
    log = WriteAheadLog(disk / "wal")
    acknowledged, errors = [], []
    for number in range(200):
        payload = f"{number:04d}".encode() * 2560
        try:
            log.append(payload)
        except OSError as exc:
            errors.append(exc.errno)
            if len(errors) == 3:
                break
        else:
            acknowledged.append(payload)
    full_after = len(acknowledged)
    filler.unlink()
    for number in range(1000, 1005):
        payload = f"{number:04d}".encode() * 2560
        log.append(payload)
        acknowledged.append(payload)
    log.close()
    segments = WriteAheadLog(disk / "wal").segments()
    read = [payload for segment in segments for payload in WriteAheadLog.read(segment)]
    record_bytes = sum(8 + len(payload) for payload in read)
    return {
        "full_after": full_after,
        "errors": sorted(set(errors)),
        "read_back_equals_acknowledged": read == acknowledged,
        "log_bytes_are_whole_records": record_bytes == sum(path.stat().st_size for path in segments),
    }


def writer_until_full(disk: Path, store_dir: Path) -> dict[str, object]:
    """Submit spans to a writer whose log is on the full disk: refused ones get DiskFull, acknowledged ones
    all reach the store once there is room again."""
    filler = fill(disk)
    store = Store(f"chdb://{store_dir}")
    writer = SpanWriter(store, disk / "writer-wal", flush_interval_s=60)
    acknowledged: list[str] = []
    refused = 0
    for request in range(300):
        spans = [
            Span("p", f"{request:032x}", f"{i + 1:016x}", "", "x" * 2000, "svc", 1_000, 2_000)
            for i in range(5)
        ]
        try:
            writer.submit(spans).result(30)
        except DiskFull:
            refused += 1
            if refused == 3:
                break
        else:
            acknowledged.append(f"{request:032x}")
    filler.unlink()
    writer.submit([Span("p", "f" * 32, "1" * 16, "", "after", "svc", 1_000, 2_000)]).result(30)
    acknowledged.append("f" * 32)
    writer.close()
    stored = {row[0] for row in store.query("SELECT DISTINCT trace_id FROM spans FINAL")}
    return {
        "acknowledged_requests": len(acknowledged),
        "refused_requests": refused,
        "all_acknowledged_stored": set(acknowledged) <= stored,
        "stored_traces": len(stored),
    }


if __name__ == "__main__":
    disk, store_dir = Path(sys.argv[1]), Path(sys.argv[2])
    assert os.statvfs(disk).f_blocks * os.statvfs(disk).f_frsize < 4 * 2**20, "not the small tmpfs"
    result = {"log": log_until_full(disk)}
    for leftover in disk.iterdir():
        for file in leftover.iterdir() if leftover.is_dir() else []:
            file.unlink()
    result["writer"] = writer_until_full(disk, store_dir)
    result["enospc"] = errno.ENOSPC
    print(json.dumps(result))
