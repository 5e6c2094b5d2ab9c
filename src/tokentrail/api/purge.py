"""``/api/v1/purge``: erase a trace, a session's traces or a user's traces (see
:mod:`tokentrail.store.purge`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, model_validator

from tokentrail.errors import Conflict
from tokentrail.params import Project, project_of
from tokentrail.pricing.reprice import JobState
from tokentrail.store.purge import purge

__all__ = ["router"]

router = APIRouter(tags=["retention"])

_Id = Field(None, min_length=1, max_length=1024)


class PurgeBody(BaseModel):
    """What ``POST /api/v1/purge`` erases: exactly one of a trace, a session or a user."""

    trace_id: str | None = _Id
    session_id: str | None = _Id
    user_id: str | None = _Id

    @model_validator(mode="after")
    def _one_selector(self) -> PurgeBody:
        if len(self.named()) != 1:
            raise ValueError("give exactly one of trace_id, session_id or user_id")
        return self

    def named(self) -> dict[str, str]:
        """The selector given (``trace``, ``session`` or ``user``) and its value."""
        given = {"trace": self.trace_id, "session": self.session_id, "user": self.user_id}
        return {selector: value for selector, value in given.items() if value is not None}


@router.post("/purge", summary="Erase a trace, a session or a user's traces")
def purge_traces(request: Request, body: PurgeBody, project: Project = None) -> dict[str, Any]:
    """Erase every span of the matched traces from every table, the write-ahead log and the quarantine;
    answers what was erased."""
    project = project_of(request, project)
    # A re-pricing job rewrites the rows it read: it would put back a trace erased meanwhile.
    if any(
        job.state is JobState.RUNNING and job.project == project for job in request.app.state.repricer.jobs()
    ):
        raise Conflict(f"a re-pricing job is running for project {project!r}; purge once it ends")
    [(selector, value)] = body.named().items()
    erased = purge(request.app.state.store, request.app.state.writer, project, selector, value)
    return {
        "project": project,
        "traces": erased.traces,
        "spans": erased.spans,
        "quarantined_rows": erased.quarantined_rows,
    }
