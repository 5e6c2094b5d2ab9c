"""``/api/v1/retention``: how long each project's rows are kept (see :mod:`tokentrail.store.retention`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tokentrail.config import MAX_RETENTION_DAYS
from tokentrail.params import principal_of, project_of
from tokentrail.store.retention import (
    apply_retention,
    retention_days,
    save_retention,
    stored_projects,
)

__all__ = ["router"]

router = APIRouter(tags=["retention"])


class RetentionBody(BaseModel):
    """A project's retention, as sent to ``PUT /api/v1/retention/{project}``."""

    days: int = Field(
        ge=0, le=MAX_RETENTION_DAYS, description="Days its spans are kept; 0 keeps them forever"
    )


@router.get("/retention", summary="Every project's retention")
def list_retention(request: Request) -> dict[str, Any]:
    """The default retention, and each project's: those with traces stored and those given their own (a
    project key sees its own project's alone)."""
    store, default_days = request.app.state.store, request.app.state.settings.retention_days
    own = retention_days(store)
    key_project = principal_of(request).project
    if key_project is None:
        projects = sorted({*stored_projects(store), *own, request.app.state.settings.default_project})
    else:
        projects = [key_project]
    return {
        "default_days": default_days,
        "projects": [
            {"project": project, "days": own.get(project, default_days), "own": project in own}
            for project in projects
        ],
    }


@router.put("/retention/{project}", summary="Set a project's retention")
def put_retention(request: Request, project: str, body: RetentionBody) -> dict[str, Any]:
    """Keep the project's spans this many days (0: forever); the store's TTLs change at once."""
    project = project_of(request, project)
    save_retention(request.app.state.store, project, body.days)
    apply_retention(request.app.state.store, request.app.state.settings.retention_days)
    return {"project": project, "days": body.days, "own": True}
