"""``/api/v1/projects`` and ``/api/v1/keys``: projects and API keys, managed by admins.

A key is shown once, in the answer that creates it; the store keeps only its HMAC.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tokentrail.access.keys import RIGHTS
from tokentrail.access.registry import KeyRecord, ProjectRecord
from tokentrail.documents.encoding import iso
from tokentrail.params import principal_of

__all__ = ["router"]

router = APIRouter(tags=["access"])


class ProjectBody(BaseModel):
    name: str = Field(description="1-64 letters, digits, '_', '.' or '-'")
    description: str = ""


class KeyBody(BaseModel):
    name: str = Field("", description="What the key is for, e.g. 'checkout service'")
    project: str | None = Field(None, description="The key's project; none for an admin key")
    rights: list[str] = Field(default_factory=list, description=f"Some of {', '.join(RIGHTS)}")
    admin: bool = Field(False, description="Every project, and projects, keys and global price rules")


@router.get("/projects", summary="List projects")
async def list_projects(request: Request) -> dict[str, Any]:
    """Every project for an admin; a project key's own project for that key."""
    own = principal_of(request).project
    projects = request.app.state.access.projects()
    return {"projects": [_project_json(p) for p in projects if own is None or p.name == own]}


@router.post("/projects", summary="Create a project", status_code=201)
async def create_project(request: Request, body: ProjectBody) -> dict[str, Any]:
    access = request.app.state.access
    return _project_json(await run_in_threadpool(access.create_project, body.name, body.description))


@router.delete("/projects/{name}", summary="Archive a project and revoke its keys")
async def archive_project(request: Request, name: str) -> dict[str, Any]:
    return _project_json(await run_in_threadpool(request.app.state.access.archive_project, name))


@router.get("/keys", summary="List API keys")
async def list_keys(request: Request, project: str | None = None) -> dict[str, Any]:
    """Every key (or one project's), revoked ones included; never the keys themselves."""
    return {"keys": [_key_json(key) for key in request.app.state.access.keys(project)]}


@router.post("/keys", summary="Create an API key", status_code=201)
async def create_key(request: Request, body: KeyBody) -> dict[str, Any]:
    """The new key is in ``key``, this once."""
    key, record = await run_in_threadpool(
        lambda: request.app.state.access.create_key(
            body.name, project=body.project, rights=body.rights, admin=body.admin
        )
    )
    return {**_key_json(record), "key": key}


@router.delete("/keys/{key_id}", summary="Revoke an API key")
async def revoke_key(request: Request, key_id: str) -> dict[str, Any]:
    return _key_json(await run_in_threadpool(request.app.state.access.revoke_key, key_id))


def _project_json(project: ProjectRecord) -> dict[str, Any]:
    return {
        "name": project.name,
        "description": project.description,
        "created_at": iso(project.created_ns),
        "archived_at": iso(project.archived_ns) if project.archived_ns else None,
    }


def _key_json(key: KeyRecord) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "project": key.project or None,
        "admin": key.admin,
        "rights": list(key.rights),
        "active": key.active,
        "created_at": iso(key.created_ns),
        "revoked_at": iso(key.revoked_ns) if key.revoked_ns else None,
    }
