"""Disk space: the floor of free space below which ingest is refused, and the size of the data directory.

Refusing new spans while some space is left keeps what was acknowledged safe: the write-ahead log, the
quarantine and ClickHouse's merges (which write a new part before they drop the old ones) still have room,
and reads go on. Both answers are cached for a moment, so asking per request or per scrape costs nothing.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from tokentrail.errors import DiskFull

__all__ = ["DirectorySize", "DiskSpace", "is_disk_full"]

#: The errors a write gets when the filesystem (or the user's quota) has no room left.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(exc: OSError) -> bool:
    """Whether ``exc`` says the disk has no room (rather than some other failure)."""
    return exc.errno in _NO_ROOM


class DiskSpace:
    """Free space on the filesystems holding ``paths``, held to a floor of ``min_free_bytes`` (0: none)."""

    def __init__(self, paths: Iterable[Path], min_free_bytes: int, *, cache_s: float = 1.0) -> None:
        self.paths = tuple(paths)
        self.min_free_bytes = min_free_bytes
        self._free = _Cached(lambda: min(_available(path) for path in self.paths), cache_s)

    def free_bytes(self) -> int:
        """The least free space (for an unprivileged user) over the filesystems of the paths."""
        return self._free()

    def check(self) -> None:
        """Raise :class:`DiskFull` when less than the floor is free."""
        if self.min_free_bytes and (free := self.free_bytes()) < self.min_free_bytes:
            raise DiskFull(
                f"only {free // 2**20} MiB are free on the data directory's disk, under the "
                f"{self.min_free_bytes // 2**20} MiB kept free (TOKENTRAIL_MIN_FREE_DISK_MB); try again later"
            )


class DirectorySize:
    """The bytes the files under some directories take, walked again at most every ``cache_s`` seconds (a
    walk of a store with many parts takes milliseconds, too much for every scrape)."""

    def __init__(self, paths: Iterable[Path], *, cache_s: float = 30.0) -> None:
        self.paths = _outermost(paths)
        self._size = _Cached(lambda: sum(_tree_bytes(path) for path in self.paths), cache_s)

    def bytes(self) -> int:
        return self._size()


class _Cached:
    """What ``read()`` returns, read again once it is ``seconds`` old."""

    def __init__(self, read: Callable[[], int], seconds: float) -> None:
        self._read = read
        self._seconds = seconds
        self._read_at = -float("inf")
        self._value = 0
        self._lock = threading.Lock()

    def __call__(self) -> int:
        now = time.monotonic()
        with self._lock:
            if now - self._read_at >= self._seconds:
                self._value = self._read()
                self._read_at = now
            return self._value


def _available(path: Path) -> int:
    # The nearest existing ancestor: a directory not made yet lives on its parent's filesystem.
    while not path.exists() and path != path.parent:
        path = path.parent
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def _outermost(paths: Iterable[Path]) -> tuple[Path, ...]:
    """The paths, less any inside another (so no file is counted twice)."""
    resolved = sorted({Path(path).resolve() for path in paths}, key=lambda path: len(path.parts))
    kept: list[Path] = []
    for path in resolved:
        if not any(path.is_relative_to(outer) for outer in kept):
            kept.append(path)
    return tuple(kept)


def _tree_bytes(root: Path) -> int:
    """Bytes allocated to the files under ``root``; files that vanish during the walk count nothing."""
    total = 0
    stack = [str(root)]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
                except OSError:
                    continue
    return total
