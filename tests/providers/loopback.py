"""What every stand-in provider API shares: a queue of scripted replies with the requests it received, an
HTTP/1.1 handler that reads JSON bodies and answers JSON or server-sent events, and :func:`serve`, which
runs a stand-in on a free loopback port for the duration of a block.

A stand-in subclasses :class:`ScriptedAPI` (its replies' type, and a ``client()`` for the real SDK) and
:class:`JSONHandler` (its routes in ``do_POST``, its error body and the response headers its SDK reads).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, TypeVar

__all__ = ["JSONHandler", "LoopbackServer", "Recorded", "ScriptedAPI", "new_id", "serve"]

_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    """A fresh id in the providers' style: ``prefix`` and a zero-padded serial number."""
    return f"{prefix}{next(_ids):024d}"


@dataclass
class Recorded:
    """A request the stand-in received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


R = TypeVar("R")
A = TypeVar("A", bound="ScriptedAPI[Any]")


class ScriptedAPI(Generic[R]):
    """The running stand-in: queue replies with :meth:`reply`, read :attr:`requests` afterwards."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.requests: list[Recorded] = []
        self._replies: deque[R] = deque()
        self._lock = threading.Lock()

    def reply(self, *replies: R) -> None:
        """Answer the next requests with these replies, in order."""
        with self._lock:
            self._replies.extend(replies)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._replies)

    def _next(self, request: Recorded) -> R | None:
        """Record ``request`` and take the reply scripted for it (``None`` when none is left)."""
        with self._lock:
            self.requests.append(request)
            return self._replies.popleft() if self._replies else None


class LoopbackServer(ThreadingHTTPServer, Generic[A]):
    """A threading HTTP server holding the stand-in its handlers answer for."""

    daemon_threads = True
    api: A


class JSONHandler(BaseHTTPRequestHandler):
    """Silent HTTP/1.1 request handling with JSON bodies; a subclass routes ``do_POST``."""

    protocol_version = "HTTP/1.1"
    server: LoopbackServer[Any]

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _receive(self, path: str) -> Recorded:
        """Read the request's JSON body (``{}`` when empty) and record it as sent to ``path``."""
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else {}
        return Recorded(self.command, path, {k.lower(): v for k, v in self.headers.items()}, body)

    def _headers(self) -> dict[str, str]:
        """Headers the provider adds to every response (a request id, timings)."""
        return {}

    def _send_json(self, data: dict[str, Any], status: int = 200) -> None:
        self._send(status, "application/json", json.dumps(data).encode())

    def _send_events(
        self, events: Iterable[tuple[str | None, dict[str, Any]]], *, done: bool = False
    ) -> None:
        """Server-sent events, one per (event name or ``None``, data); ``done`` ends with ``data: [DONE]``."""
        lines = [
            (f"event: {name}\n" if name else "") + f"data: {json.dumps(data)}\n\n" for name, data in events
        ]
        if done:
            lines.append("data: [DONE]\n\n")
        self._send(200, "text/event-stream; charset=utf-8", "".join(lines).encode())

    def _send(self, status: int, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        for name, value in self._headers().items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def serve(handler_class: type[JSONHandler], api_factory: Callable[[str], A]) -> Iterator[A]:
    """Run a stand-in, made by ``api_factory`` from its base URL, on a free loopback port for the
    duration of the block."""
    server: LoopbackServer[A] = LoopbackServer(("127.0.0.1", 0), handler_class)
    host, port = server.server_address[:2]
    server.api = api_factory(f"http://{host!s}:{port}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
