"""Media: files an SDK attached to a span (Langfuse's media uploads, LangSmith's run attachments), kept in
the ``media`` table (migration 9) beside the spans, so every server of a store sees them and they expire
and are purged with their trace.

A file is announced first (its type, length and SHA-256, and the span field it belongs to) and its bytes
come later, or with it; each step is a new row version of the same (project, id).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from tokentrail.store.database import Store

__all__ = ["MEDIA_COLUMNS", "Media", "read_media", "save_media"]

MEDIA_COLUMNS = (
    "project",
    "id",
    "trace_id",
    "span_id",
    "field",
    "content_type",
    "content_length",
    "sha256",
    "data",
    "created_ns",
    "uploaded_ns",
)


@dataclass(frozen=True, slots=True)
class Media:
    """One file: what it is, where it belongs, and its bytes once uploaded (``uploaded_ns`` > 0)."""

    project: str
    id: str
    content_type: str
    content_length: int
    trace_id: str = ""
    span_id: str = ""
    field: str = ""  # which part of the span refers to it: input, output, metadata, an attachment's name
    sha256: str = ""  # base64 of the SHA-256 digest, as Langfuse sends it; empty when not given
    data: bytes = b""
    created_ns: int = 0
    uploaded_ns: int = 0

    @property
    def uploaded(self) -> bool:
        return self.uploaded_ns > 0

    def with_data(self, data: bytes) -> Media:
        """This file with its bytes, uploaded now."""
        return replace(self, data=data, content_length=len(data), uploaded_ns=time.time_ns())


def save_media(store: Store, media: Media) -> None:
    """Store ``media`` (a new version of any stored file with its project and id)."""
    now = time.time_ns()
    row: dict[str, Any] = {column: getattr(media, column) for column in MEDIA_COLUMNS}
    row["created_ns"] = media.created_ns or now
    store.client().insert("media", [(*row.values(), now)], column_names=[*MEDIA_COLUMNS, "updated_ns"])


def read_media(store: Store, project: str, media_id: str, *, with_data: bool = True) -> Media | None:
    """The project's file ``media_id``, if stored (its bytes only when ``with_data``)."""
    columns = [column if column != "data" or with_data else "'' AS data" for column in MEDIA_COLUMNS]
    result = store.client().query(
        f"SELECT {', '.join(columns)} FROM media FINAL "
        "WHERE project = {project:String} AND id = {id:String} LIMIT 1",
        parameters={"project": project, "id": media_id},
        query_formats={"String": "bytes"},  # a file's bytes as stored, never decoded as text
    )
    if not result.result_rows:
        return None
    row = dict(zip(MEDIA_COLUMNS, result.result_rows[0], strict=True))
    texts = {
        column: row[column].decode()
        for column in MEDIA_COLUMNS
        if column != "data" and isinstance(row[column], bytes)
    }
    return Media(**{**row, **texts})
