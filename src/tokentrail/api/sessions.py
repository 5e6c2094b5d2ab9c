"""``/api/v1/sessions``: conversations, each a sequence of traces."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from tokentrail.analysis.sessions import read_session
from tokentrail.documents.sessions import session_json, session_list
from tokentrail.params import End, Limit, Project, Start, project_of, to_ns
from tokentrail.store import sessions as stored_sessions

__all__ = ["router"]

router = APIRouter(tags=["sessions"])


@router.get("/sessions", summary="List sessions")
async def list_sessions(
    request: Request,
    project: Project = None,
    start: Start = None,
    end: End = None,
    user_id: str | None = None,
    sort: Annotated[
        Literal["time", "cost"], Query(description="time: newest activity first; cost: costliest first")
    ] = "time",
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    """Sessions, most recently active (or costliest) first, with trace count, tokens, cost and errors."""
    page = await run_in_threadpool(
        stored_sessions.sessions,
        request.app.state.store,
        project_of(request, project),
        start_ns=to_ns(start),
        end_ns=to_ns(end),
        user_id=user_id,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    return session_list(page)


@router.get("/sessions/{session_id}", summary="One session's traces in order")
async def get_session(request: Request, session_id: str, project: Project = None) -> dict[str, Any]:
    """The traces of a conversation in the order they started, with the session's totals."""
    session = await run_in_threadpool(
        read_session, request.app.state.store, project_of(request, project), session_id
    )
    return session_json(session)
