"""``/api/v1/traces/live``: the live tail, traces as they arrive, as server-sent events.

The writer tells each open stream which traces a batch touched once the batch is queryable; the stream
reads those traces' rows (as the trace list shows them) and sends one ``trace`` event each. A trace whose
spans arrive in several batches is sent again with its new totals: clients replace it by ``trace_id``.
A stream that falls too far behind gets a ``reset`` event (reload the list) instead of a backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from tokentrail.documents.traces import trace_row
from tokentrail.params import Project, project_of
from tokentrail.store.database import Store
from tokentrail.store.traces import trace_rows
from tokentrail.store.writer import SpanWriter

__all__ = ["KEEPALIVE_S", "TraceFeed", "router"]

router = APIRouter(tags=["traces"])

#: Seconds between comments on an idle stream, so proxies and browsers keep it open.
KEEPALIVE_S = 15.0
#: Traces a stream may have waiting before it is told to reset instead.
_BACKLOG = 1000


class TraceFeed:
    """One stream's traces waiting to be sent; filled from the writer's insert thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, project: str, backlog: int = _BACKLOG) -> None:
        self._loop = loop
        self.project = project
        self._backlog = backlog
        self._waiting: dict[str, None] = {}  # trace ids in arrival order, each once
        self._overflowed = False
        self._news = asyncio.Event()

    def __call__(self, traces: frozenset[tuple[str, str]]) -> None:
        """The writer's listener (on its insert thread): hand this project's traces to the loop."""
        ids = [trace_id for project, trace_id in traces if project == self.project]
        if ids:
            with contextlib.suppress(RuntimeError):  # the loop has closed: the stream is gone
                self._loop.call_soon_threadsafe(self._add, ids)

    def _add(self, trace_ids: list[str]) -> None:
        self._waiting.update(dict.fromkeys(trace_ids))
        if len(self._waiting) > self._backlog:
            self._overflowed = True
            self._waiting.clear()
        self._news.set()

    async def next(self, timeout: float) -> list[str] | None:
        """The traces that arrived since the last call (waiting up to ``timeout`` seconds for one: ``[]``
        when none came), or None when more came than the stream can catch up with."""
        try:
            await asyncio.wait_for(self._news.wait(), timeout)
        except TimeoutError:
            return []
        self._news.clear()
        if self._overflowed:
            self._overflowed = False
            return None
        trace_ids, self._waiting = list(self._waiting), {}
        return trace_ids


@router.get("/traces/live", summary="New traces as they arrive (server-sent events)")
async def live_traces(
    request: Request,
    project: Project = None,
    keepalive_s: Annotated[
        float,
        Query(gt=0, le=300, allow_inf_nan=False, description="Seconds between comments on an idle stream"),
    ] = KEEPALIVE_S,
) -> StreamingResponse:
    """``event: trace`` with a trace list row for every trace new spans arrived for; ``event: reset``
    when the stream fell behind; a comment line every ``keepalive_s`` while nothing arrives."""
    feed = TraceFeed(asyncio.get_running_loop(), project_of(request, project))
    return StreamingResponse(
        _events(request, feed, keepalive_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(request: Request, feed: TraceFeed, keepalive_s: float) -> AsyncIterator[str]:
    store: Store = request.app.state.store
    writer: SpanWriter = request.app.state.writer
    writer.add_listener(feed)  # here, so that whatever ends the stream also removes it
    try:
        yield "retry: 3000\n: live\n\n"  # opens the stream at once; reconnect after 3 s if it drops
        # Starlette ends the stream when the client goes (at the latest at the next keepalive).
        while True:
            trace_ids = await feed.next(keepalive_s)
            if trace_ids is None:
                yield "event: reset\ndata: {}\n\n"
            elif not trace_ids:
                yield ": keepalive\n\n"
            else:
                rows = await run_in_threadpool(trace_rows, store, feed.project, trace_ids)
                for row in sorted(rows, key=lambda row: (row["start_ns"], row["trace_id"])):
                    yield f"event: trace\ndata: {json.dumps(trace_row(row))}\n\n"
    finally:
        writer.remove_listener(feed)
