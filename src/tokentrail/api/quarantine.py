"""``/api/v1/quarantine``: rows the store refused, held on disk with the reason (see
:mod:`tokentrail.store.quarantine`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from tokentrail.documents.encoding import iso
from tokentrail.params import Limit, principal_of, project_of
from tokentrail.projects import valid_project

__all__ = ["router"]

router = APIRouter(tags=["meta"])


@router.get("/quarantine", summary="Spans the store refused, and why")
async def list_quarantine(
    request: Request,
    project: Annotated[
        str | None, Query(description="Only this project's rows (default: every project)")
    ] = None,
    limit: Annotated[Limit, Query(description="Most rows listed, newest first")] = 100,
) -> dict[str, Any]:
    """The rows held in the quarantine, newest first, with the total held."""
    quarantine = request.app.state.writer.quarantine
    if principal_of(request).project is None:
        rows, count = quarantine.rows(project=valid_project(project) if project else None, limit=limit), None
    else:  # a project key sees its own project's rows, and how many there are
        own = quarantine.rows(project=project_of(request, project), limit=None)
        rows, count = own[:limit], len(own)
    return {
        "count": quarantine.count if count is None else count,
        "rows": [
            {
                "quarantined_at": iso(row.quarantined_ns),
                "reason": row.reason,
                "project": row.project,
                "trace_id": row.trace_id,
                "span_id": row.span_id,
                "row": row.row,
            }
            for row in rows
        ],
    }
