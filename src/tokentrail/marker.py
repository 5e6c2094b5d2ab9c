"""The truncation marker: what the server and the SDK append to text cut at a size limit.

Pure, so the SDK (which imports nothing of the server) cuts text exactly as ingest does.
"""

from __future__ import annotations

__all__ = ["TRUNCATION_MARKER", "cut", "truncate"]

#: Marker appended to a capped string; ``{}`` is the number of characters cut.
TRUNCATION_MARKER = "…[truncated {} chars]"


def truncate(text: str, limit: int) -> str:
    """The first ``limit`` characters of ``text`` and the marker saying how many more there were."""
    return text[:limit] + TRUNCATION_MARKER.format(len(text) - limit)


def cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, the marker saying how many were cut included (so a
    later cap at the same limit leaves it alone)."""
    return truncate(text, max(limit - len(TRUNCATION_MARKER.format(len(text))), 0))
