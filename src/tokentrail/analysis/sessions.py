"""A session (a conversation): its traces in the order they started, and its totals over them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tokentrail.errors import NotFound
from tokentrail.money import exact, sum_money
from tokentrail.store.database import Store
from tokentrail.store.sessions import SessionTraceRow, session_traces

__all__ = ["Session", "read_session"]


@dataclass(frozen=True, slots=True)
class Session:
    """One session's traces, earliest first, and what they add up to (each span counted once)."""

    session_id: str
    traces: list[SessionTraceRow]
    #: The user of its first trace that names one ("" if none does).
    user_id: str
    span_count: int
    cost: Decimal
    cost_by_type: dict[str, Decimal]
    #: Tokens by type, each type in the order the traces first use it.
    usage: dict[str, int]
    error_count: int

    @property
    def start_ns(self) -> int:
        return self.traces[0]["start_ns"]


def read_session(store: Store, project: str, session_id: str) -> Session:
    """The session's traces and totals; NotFound when no trace belongs to it."""
    traces = session_traces(store, project, session_id)
    if not traces:
        raise NotFound(f"no session {session_id!r}")
    usage: dict[str, int] = {}
    cost_by_type: dict[str, Decimal] = {}
    with exact():  # costs add up without rounding
        for trace in traces:
            for key, value in sorted(trace["usage"].items()):
                if value:
                    usage[key] = usage.get(key, 0) + int(value)
            for key, amount in trace["cost_by_type"].items():
                cost_by_type[key] = cost_by_type.get(key, Decimal(0)) + amount
    return Session(
        session_id=session_id,
        traces=traces,
        user_id=next((trace["user_id"] for trace in traces if trace["user_id"]), ""),
        span_count=sum(trace["span_count"] for trace in traces),
        cost=sum_money(trace["cost"] for trace in traces),
        cost_by_type=cost_by_type,
        usage=usage,
        error_count=sum(trace["error_count"] for trace in traces),
    )
