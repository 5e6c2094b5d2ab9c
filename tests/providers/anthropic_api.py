"""A stand-in Anthropic Messages API on loopback: the real ``anthropic`` client talks to it unmodified.

The test scripts the replies (model, usage, text, tool calls) and reads back the requests it received.
``POST /v1/messages`` answers a ``Message`` as JSON, or with ``"stream": true`` the server-sent events of
the real API: ``message_start`` (the message with its input usage), ``content_block_start`` /
``content_block_delta`` / ``content_block_stop`` per block, ``message_delta`` (stop reason and the
cumulative usage) and ``message_stop``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from providers.loopback import JSONHandler, LoopbackServer, Recorded, ScriptedAPI, new_id, serve

__all__ = ["AnthropicAPI", "Recorded", "Reply", "ToolUse", "anthropic_api", "serve_anthropic_api"]


@dataclass
class ToolUse:
    """A ``tool_use`` content block the model asks for."""

    name: str
    input: dict[str, Any]
    id: str = field(default_factory=lambda: new_id("toolu_"))


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
    id: str = field(default_factory=lambda: new_id("msg_"))

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


class AnthropicAPI(ScriptedAPI[Reply]):
    """The running stand-in: queue replies with :meth:`reply`, read :attr:`requests` afterwards."""

    def client(self, **options: Any) -> Any:
        """A real ``anthropic.Anthropic`` client pointed here (no retries, so a failure shows at once)."""
        import anthropic

        return anthropic.Anthropic(base_url=self.url, api_key="test", max_retries=0, **options)


class _Handler(JSONHandler):
    server: LoopbackServer[AnthropicAPI]

    def do_POST(self) -> None:
        recorded = self._receive(self.path)
        if self.path.split("?")[0] != "/v1/messages":
            self._send_error(404, "not_found_error", f"the stand-in does not serve {self.path}")
            return
        reply = self.server.api._next(recorded)
        if reply is None:
            self._send_error(400, "invalid_request_error", "no scripted reply left for this request")
        elif recorded.body.get("stream"):
            self._send_events(reply.events())
        else:
            self._send_json(reply.message())

    def _send_error(self, status: int, kind: str, message: str) -> None:
        self._send_json({"type": "error", "error": {"type": kind, "message": message}}, status)

    def _headers(self) -> dict[str, str]:
        return {"request-id": new_id("req_")}


@contextmanager
def serve_anthropic_api() -> Iterator[AnthropicAPI]:
    """Run the stand-in on a free loopback port for the duration of the block."""
    with serve(_Handler, AnthropicAPI) as api:
        yield api


@pytest.fixture
def anthropic_api() -> Iterator[AnthropicAPI]:
    """A stand-in Anthropic API for this test."""
    with serve_anthropic_api() as api:
        yield api
