"""``/api/v1/score-configs``: what scores of a name must be (see :mod:`tokentrail.store.score_configs`)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tokentrail.errors import BadRequest, NotFound
from tokentrail.params import Project, project_of
from tokentrail.store.score_configs import (
    ScoreConfig,
    archive_config,
    config_json,
    read_configs,
    save_config,
)

__all__ = ["ScoreConfigBody", "router"]

router = APIRouter(tags=["scores"])


class ScoreConfigBody(BaseModel):
    """A score config as sent to ``POST /api/v1/score-configs``."""

    name: str = Field(min_length=1, max_length=200)
    data_type: Literal["numeric", "boolean", "categorical"] = "numeric"
    min: float | None = Field(default=None, allow_inf_nan=False, description="Lowest value (numeric)")
    max: float | None = Field(default=None, allow_inf_nan=False, description="Highest value (numeric)")
    categories: list[str] = Field(default_factory=list, description="The allowed categories (categorical)")
    description: str = ""


@router.get("/score-configs", summary="List score configs")
async def list_score_configs(
    request: Request, project: Project = None, archived: bool = False
) -> dict[str, Any]:
    """The project's live score configs by name (and the archived ones when ``archived``)."""
    configs = await run_in_threadpool(
        read_configs, request.app.state.store, project_of(request, project), archived=archived
    )
    return {"configs": [config_json(config) for config in configs]}


@router.post("/score-configs", summary="Create or replace a score config", status_code=201)
async def post_score_config(
    request: Request, body: ScoreConfigBody, project: Project = None
) -> dict[str, Any]:
    """Store the config; it replaces the project's config of that name (an archived one comes back)."""
    try:
        config = ScoreConfig(project=project_of(request, project), **body.model_dump())
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    await run_in_threadpool(save_config, request.app.state.store, config)
    return config_json(config)


@router.delete("/score-configs/{name}", summary="Archive a score config")
async def delete_score_config(request: Request, name: str, project: Project = None) -> dict[str, Any]:
    """Archive the config: scores already given keep it, new ones of that name are no longer checked."""
    project = project_of(request, project)
    if not await run_in_threadpool(archive_config, request.app.state.store, project, name):
        raise NotFound(f"no live score config {name!r} in project {project!r}")
    return {"archived": name}
