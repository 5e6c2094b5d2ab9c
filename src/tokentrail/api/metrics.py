"""``GET /metrics`` (Prometheus text format) and the middleware that counts every HTTP response."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tokentrail.metrics import CONTENT_TYPE, Metrics
from tokentrail.store.disk import DirectorySize, DiskSpace

__all__ = ["ResponseCounter", "route_template", "router", "watch_state"]

router = APIRouter(tags=["meta"])


def watch_state(metrics: Metrics, state: State, disk: DiskSpace, size: DirectorySize) -> None:
    """Have every scrape read the server's state: ``state`` is the app's, once its lifespan started."""
    gauges = {
        "tokentrail_ingest_requests_queued": (
            "Ingest requests waiting to be decoded.",
            lambda: state.ingest.queued,
        ),
        "tokentrail_spans_pending": (
            "Spans acknowledged and not yet in the store (queued, in the write-ahead log, being inserted).",
            lambda: state.writer.pending,
        ),
        "tokentrail_quarantined_spans": (
            "Rows the store refused, held in the quarantine.",
            lambda: state.writer.quarantine.count,
        ),
        "tokentrail_data_directory_bytes": (
            "Bytes on disk under the data directory and the embedded store (walked at most every 30 s).",
            size.bytes,
        ),
        "tokentrail_disk_free_bytes": (
            "Free bytes on the emptiest filesystem holding the data directory, the log or the store.",
            disk.free_bytes,
        ),
    }
    for name, (documentation, read) in gauges.items():
        metrics.watch(name, documentation, read)


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """The server's metrics in Prometheus text format (see docs/operations.md)."""
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE)


class ResponseCounter:
    """Counts each HTTP response by its route's template (``/api/v1/traces/{trace_id}``, so ids never make
    new series; ``unmatched`` for a path no route takes) and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the server answers when the app raises before it starts a response

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.metrics.count_response("http", status, route_template(scope))


def route_template(scope: Scope) -> str:
    """The template of the route that took a request, prefix included (``/static/{path}`` for a mounted
    app); ``unmatched`` when none did.

    The router leaves the route it chose in the scope, but a route of an included router knows only its
    own part of the path (``/traces/{trace_id}``): the prefix is what the request's path has before it.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    if not isinstance(template, str):  # a mounted app (the static files) leaves its prefix instead
        mount = scope.get("root_path", "")[len(scope.get("app_root_path", "")) :]
        return f"{mount}/{{path}}" if mount else "unmatched"
    try:
        rendered = template.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return template
    path: str = scope["path"]
    return path[: len(path) - len(rendered)] + template if path.endswith(rendered) else template
