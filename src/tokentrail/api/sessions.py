"""``/api/v1/sessions``: conversations, each a sequence of traces."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from tokentrail.api.encoding import money, money_map
from tokentrail.api.params import End, Limit, Project, Start, project_of, to_ns
from tokentrail.api.views import iso, trace_row
from tokentrail.errors import NotFound
from tokentrail.money import exact, sum_money
from tokentrail.store import sessions as stored_sessions
from tokentrail.store.sessions import SessionRow

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
    return {"sessions": [_session_row(row) for row in page.items], "next_cursor": page.next_cursor}


@router.get("/sessions/{session_id}", summary="One session's traces in order")
async def get_session(request: Request, session_id: str, project: Project = None) -> dict[str, Any]:
    """The traces of a conversation in the order they started, with the session's totals."""
    rows = await run_in_threadpool(
        stored_sessions.session_traces, request.app.state.store, project_of(request, project), session_id
    )
    if not rows:
        raise NotFound(f"no session {session_id!r}")
    traces = [
        {
            **trace_row(row),
            "cost_by_type": money_map(row["cost_by_type"]),
            "input": row["input"],
            "output": row["output"],
        }
        for row in rows
    ]
    usage: dict[str, int] = {}
    cost_by_type: dict[str, Decimal] = {}
    with exact():  # costs add up without rounding
        for trace, row in zip(traces, rows, strict=True):
            for key, value in trace["usage"].items():
                usage[key] = usage.get(key, 0) + value
            for key, amount in row["cost_by_type"].items():
                cost_by_type[key] = cost_by_type.get(key, Decimal(0)) + amount
    return {
        "session_id": session_id,
        "user_id": next((t["user_id"] for t in traces if t["user_id"]), None),
        "trace_count": len(traces),
        "span_count": sum(t["span_count"] for t in traces),
        "start_time": traces[0]["start_time"],
        "cost": money(sum_money(row["cost"] for row in rows)),
        "cost_by_type": money_map(cost_by_type),
        "tokens": sum(t["tokens"] for t in traces),
        "usage": usage,
        "error_count": sum(t["error_count"] for t in traces),
        "traces": traces,
    }


def _session_row(row: SessionRow) -> dict[str, Any]:
    usage = {key: int(value) for key, value in sorted(row["usage"].items()) if value}
    return {
        "session_id": row["session_id"],
        "user_id": row["user_id"] or None,
        "trace_count": row["trace_count"],
        "span_count": row["span_count"],
        "first_time": iso(row["first_ns"]),
        "last_time": iso(row["last_ns"]),
        "tokens": usage.get("input", 0) + usage.get("output", 0),
        "usage": usage,
        "cost": money(row["cost"]),
        "cost_by_type": money_map(row["cost_by_type"]),
        "error_count": row["error_count"],
    }
