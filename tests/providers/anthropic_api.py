"""A stand-in Anthropic Messages API on loopback: the real ``anthropic`` client talks to it unmodified.

The test scripts the replies (model, usage, text, tool calls) and reads back the requests it received.
``POST /v1/messages`` answers a ``Message`` as JSON, or with ``"stream": true`` the server-sent events of
the real API: ``message_start`` (the message with its input usage), ``content_block_start`` /
``content_block_delta`` / ``content_block_stop`` per block, ``message_delta`` (stop reason and the
cumulative usage) and ``message_stop``.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

__all__ = ["AnthropicAPI", "Recorded", "Reply", "ToolUse", "anthropic_api", "serve_anthropic_api"]

_ids = itertools.count(1)


@dataclass
class ToolUse:
    """A ``tool_use`` content block the model asks for."""

    name: str
    input: dict[str, Any]
    id: str = field(default_factory=lambda: f"toolu_{next(_ids):024d}")


@dataclass
class Reply:
    """One scripted answer. Token counts mean what the Anthropic API means: ``input_tokens`` is the
    uncached input only; cache writes and reads are counted apart from it."""

    model: str = "claude-sonnet-4-5-20250929"
    text: str | None = "Hello from the stand-in."
    tool_uses: list[ToolUse] = field(default_factory=list)
    input_tokens: int = 10
    output_tokens: int = 5
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    #: The part of ``cache_creation_input_tokens`` written with a one-hour lifetime (the rest is 5 minutes).
    cache_creation_1h: int = 0
    stop_reason: str | None = None  # default: "tool_use" when there are tool calls, else "end_turn"
    id: str = field(default_factory=lambda: f"msg_{next(_ids):024d}")

    def usage(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache_creation_input_tokens - self.cache_creation_1h,
                "ephemeral_1h_input_tokens": self.cache_creation_1h,
            },
            "output_tokens": self.output_tokens,
            "service_tier": "standard",
        }

    def content(self) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        if self.text is not None:
            blocks.append({"type": "text", "text": self.text})
        blocks += [{"type": "tool_use", "id": t.id, "name": t.name, "input": t.input} for t in self.tool_uses]
        return blocks

    def final_stop_reason(self) -> str:
        return self.stop_reason or ("tool_use" if self.tool_uses else "end_turn")

    def message(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": self.content(),
            "stop_reason": self.final_stop_reason(),
            "stop_sequence": None,
            "usage": self.usage(),
        }

    def events(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """The stream of this reply, as (event name, data) pairs in the order the API sends them."""
        start_usage = {**self.usage(), "output_tokens": 1}  # the API sends a placeholder until message_delta
        yield (
            "message_start",
            {
                "type": "message_start",
                "message": {**self.message(), "content": [], "stop_reason": None, "usage": start_usage},
            },
        )
        yield "ping", {"type": "ping"}
        for index, block in enumerate(self.content()):
            start: dict[str, Any]
            deltas: list[dict[str, Any]]
            if block["type"] == "text":
                start = {"type": "text", "text": ""}
                text = block["text"]
                middle = max(1, len(text) // 2)
                deltas = [
                    {"type": "text_delta", "text": part} for part in (text[:middle], text[middle:]) if part
                ]
            else:
                start = {**block, "input": {}}
                arguments = json.dumps(block["input"])
                deltas = [{"type": "input_json_delta", "partial_json": ""}] + [
                    {"type": "input_json_delta", "partial_json": arguments[i : i + 8]}
                    for i in range(0, len(arguments), 8)
                ]
            yield (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": start},
            )
            for delta in deltas:
                yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
            yield "content_block_stop", {"type": "content_block_stop", "index": index}
        yield (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": self.final_stop_reason(), "stop_sequence": None},
                # Cumulative counts, as the API sends them.
                "usage": {
                    "input_tokens": self.input_tokens,
                    "cache_creation_input_tokens": self.cache_creation_input_tokens,
                    "cache_read_input_tokens": self.cache_read_input_tokens,
                    "output_tokens": self.output_tokens,
                },
            },
        )
        yield "message_stop", {"type": "message_stop"}


@dataclass
class Recorded:
    """A request the stand-in received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class AnthropicAPI:
    """The running stand-in: queue replies with :meth:`reply`, read :attr:`requests` afterwards."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.requests: list[Recorded] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()

    def reply(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order."""
        with self._lock:
            self._replies.extend(replies)

    def client(self, **options: Any) -> Any:
        """A real ``anthropic.Anthropic`` client pointed here (no retries, so a failure shows at once)."""
        import anthropic

        return anthropic.Anthropic(base_url=self.url, api_key="test", max_retries=0, **options)

    def _next(self, request: Recorded) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            return self._replies.popleft() if self._replies else None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else {}
        recorded = Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        if self.path.split("?")[0] != "/v1/messages":
            self._send_error(404, "not_found_error", f"the stand-in does not serve {self.path}")
            return
        reply = self.server.api._next(recorded)
        if reply is None:
            self._send_error(400, "invalid_request_error", "no scripted reply left for this request")
        elif body.get("stream"):
            stream = "".join(
                f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in reply.events()
            ).encode()
            self._send(200, "text/event-stream; charset=utf-8", stream)
        else:
            self._send(200, "application/json", json.dumps(reply.message()).encode())

    def _send_error(self, status: int, kind: str, message: str) -> None:
        error = {"type": "error", "error": {"type": kind, "message": message}}
        self._send(status, "application/json", json.dumps(error).encode())

    def _send(self, status: int, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        self.send_header("request-id", f"req_{next(_ids):024d}")
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: AnthropicAPI


@contextmanager
def serve_anthropic_api() -> Iterator[AnthropicAPI]:
    """Run the stand-in on a free loopback port for the duration of the block."""
    server = _Server(("127.0.0.1", 0), _Handler)
    host, port = server.server_address[:2]
    server.api = AnthropicAPI(f"http://{host!s}:{port}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def anthropic_api() -> Iterator[AnthropicAPI]:
    """A stand-in Anthropic API for this test."""
    with serve_anthropic_api() as api:
        yield api
