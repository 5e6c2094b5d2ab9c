"""Sessions as documents: a row of a session list, and one session with its traces and totals."""

from __future__ import annotations

from typing import Any

from tokentrail.analysis.sessions import Session
from tokentrail.documents.encoding import iso, money, money_map, tokens, usage
from tokentrail.documents.traces import trace_row
from tokentrail.store.sessions import SessionRow
from tokentrail.store.sql import Page

__all__ = ["session_json", "session_list", "session_row"]


def session_list(page: Page[SessionRow]) -> dict[str, Any]:
    """One page of a session list."""
    return {"sessions": [session_row(row) for row in page.items], "next_cursor": page.next_cursor}


def session_row(row: SessionRow) -> dict[str, Any]:
    """One session of a list, with its totals."""
    counts = usage(row["usage"])
    return {
        "session_id": row["session_id"],
        "user_id": row["user_id"] or None,
        "trace_count": row["trace_count"],
        "span_count": row["span_count"],
        "first_time": iso(row["first_ns"]),
        "last_time": iso(row["last_ns"]),
        "tokens": tokens(counts),
        "usage": counts,
        "cost": money(row["cost"]),
        "cost_by_type": money_map(row["cost_by_type"]),
        "error_count": row["error_count"],
    }


def session_json(session: Session) -> dict[str, Any]:
    """A session's traces in the order they started (each with its root's input and output), and its
    totals."""
    traces = [
        {
            **trace_row(row),
            "cost_by_type": money_map(row["cost_by_type"]),
            "input": row["input"],
            "output": row["output"],
        }
        for row in session.traces
    ]
    return {
        "session_id": session.session_id,
        "user_id": session.user_id or None,
        "trace_count": len(traces),
        "span_count": session.span_count,
        "start_time": iso(session.start_ns),
        "cost": money(session.cost),
        "cost_by_type": money_map(session.cost_by_type),
        "tokens": tokens(session.usage),
        "usage": session.usage,
        "error_count": session.error_count,
        "traces": traces,
    }
