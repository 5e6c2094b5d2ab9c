"""Query parameters shared by the read endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, overload

from fastapi import Query, Request

from tokentrail.errors import BadRequest
from tokentrail.ingest.pipeline import valid_project

__all__ = ["End", "Project", "Start", "project_of", "to_ns"]

Project = Annotated[str | None, Query(description="Project to read (default: the server's default project)")]
Start = Annotated[
    datetime | None, Query(description="ISO 8601 time; only traces/spans starting at or after it")
]
End = Annotated[datetime | None, Query(description="ISO 8601 time; only traces/spans starting before it")]


def project_of(request: Request, project: str | None) -> str:
    return valid_project(project) if project else request.app.state.settings.default_project


@overload
def to_ns(moment: datetime) -> int: ...
@overload
def to_ns(moment: None) -> None: ...
@overload
def to_ns(moment: datetime | None) -> int | None: ...


def to_ns(moment: datetime | None) -> int | None:
    """Unix nanoseconds of an ISO time; a time without a zone is taken as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise BadRequest(f"time {moment.isoformat()} needs a zone, e.g. 'Z' or '+00:00'")
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000
