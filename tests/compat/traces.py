"""Reading traces back from the live server, as every compatibility test does: exports and writes are
asynchronous, so each read waits until the server holds the spans the test expects."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import LiveServer

__all__ = ["assert_session", "one", "only_trace", "shape", "trace_rows", "tree_of"]


def tree_of(server: LiveServer, trace_id: str, *, spans: int = 1, timeout: float = 20.0) -> dict[str, Any]:
    """The trace tree from the API once it holds ``spans`` spans."""
    deadline = time.monotonic() + timeout
    while True:
        response = server.get(f"/api/v1/traces/{trace_id}")
        if response.status_code == 200 and response.json()["span_count"] >= spans:
            tree: dict[str, Any] = response.json()
            return tree
        if time.monotonic() > deadline:
            raise AssertionError(f"trace {trace_id}: {response.status_code} {response.text[:500]}")
        time.sleep(0.05)


def only_trace(server: LiveServer, *, spans: int, timeout: float = 20.0) -> dict[str, Any]:
    """The one trace the server holds (each test has a fresh database), once it has ``spans`` spans."""
    deadline = time.monotonic() + timeout
    while True:
        rows = server.get("/api/v1/traces", limit=10).json()["traces"]
        if len(rows) == 1 and rows[0]["span_count"] >= spans:
            return tree_of(server, rows[0]["trace_id"], spans=spans, timeout=timeout)
        if time.monotonic() > deadline:
            raise AssertionError(f"expected one trace of {spans} spans, found {rows}")
        time.sleep(0.05)


def trace_rows(server: LiveServer) -> dict[str, dict[str, Any]]:
    """Every trace's row in ``GET /api/v1/traces``, by trace id."""
    rows = server.get("/api/v1/traces", limit=100).json()["traces"]
    return {row["trace_id"]: row for row in rows}


def shape(tree: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """The tree depth first in start order: (name, parent's name, kind)."""
    names = {node["span_id"]: node["name"] for node in tree["spans"]}
    return [(node["name"], names.get(node["parent_span_id"]), node["kind"]) for node in tree["spans"]]


def one(tree: dict[str, Any], name: str) -> dict[str, Any]:
    """The tree's one span called ``name``."""
    (node,) = [node for node in tree["spans"] if node["name"] == name]
    return node


def assert_session(
    server: LiveServer, session: str, user: str, trees: list[dict[str, Any]], total: Decimal
) -> None:
    """Each of ``trees`` is a trace of ``session`` and ``user`` whose row costs what its tree does, and the
    session lists them in order and costs ``total``."""
    rows = trace_rows(server)
    for tree in trees:
        row = rows[tree["trace_id"]]
        assert (row["session_id"], row["user_id"]) == (session, user)
        assert Decimal(row["cost"]) == Decimal(tree["cost"])
    response = server.get(f"/api/v1/sessions/{session}")
    assert response.status_code == 200, response.text
    conversation = response.json()
    assert conversation["user_id"] == user
    assert [t["trace_id"] for t in conversation["traces"]] == [tree["trace_id"] for tree in trees]
    assert Decimal(conversation["cost"]) == total
