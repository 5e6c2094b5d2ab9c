"""A stand-in OpenAI API on loopback: the real ``openai`` client talks to it unmodified.

The test scripts the replies (model, text or tool calls, usage) and reads back the requests it received.

- ``POST /v1/chat/completions`` answers a ``ChatCompletion``, or with ``"stream": true`` the server-sent
  ``ChatCompletionChunk`` events ending in ``data: [DONE]``; with ``stream_options.include_usage`` every
  chunk carries ``"usage": null`` and one last chunk, with no choices, the usage.
- ``POST /v1/responses`` answers a Responses API ``Response`` (or its event stream with ``"stream": true``).
- ``POST /v1/embeddings`` answers a ``CreateEmbeddingResponse``.

Token counts mean what the OpenAI API means: ``prompt_tokens`` counts every input token, the cached ones
included; ``completion_tokens`` counts every output token, reasoning included.
"""

from __future__ import annotations

import base64
import json
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from providers.loopback import JSONHandler, LoopbackServer, Recorded, ScriptedAPI, new_id, serve

__all__ = [
    "EmbeddingReply",
    "OpenAIAPI",
    "Recorded",
    "Reply",
    "ToolCall",
    "openai_api",
    "serve_openai",
]


@dataclass
class ToolCall:
    """A function call the model asks for."""

    name: str
    arguments: dict[str, Any]
    id: str = field(default_factory=lambda: new_id("call_"))

    def arguments_json(self) -> str:
        return json.dumps(self.arguments)


@dataclass
class Reply:
    """One scripted model answer, for chat completions or the Responses API.

    ``model`` is the model the API says served the call (OpenAI answers with a dated variant of the
    requested alias); ``None`` echoes the requested model.
    """

    text: str | None = "Hello from the stand-in."
    tool_calls: list[ToolCall] = field(default_factory=list)
    model: str | None = None
    prompt_tokens: int = 10
    completion_tokens: int = 5
    #: Part of ``prompt_tokens`` read from the prompt cache.
    cached_tokens: int = 0
    #: Part of ``completion_tokens`` spent on reasoning.
    reasoning_tokens: int = 0
    finish_reason: str | None = None  # default: "tool_calls" when there are tool calls, else "stop"
    id: str = field(default_factory=lambda: new_id("chatcmpl-"))
    _output: list[dict[str, Any]] = field(default_factory=list, init=False, repr=False, compare=False)

    def served_model(self, request: dict[str, Any]) -> str:
        return self.model or str(request.get("model", ""))

    def final_finish_reason(self) -> str:
        return self.finish_reason or ("tool_calls" if self.tool_calls else "stop")

    # Chat completions.

    def completion_usage(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": self.reasoning_tokens,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def chat_completion(self, request: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": self.text,
            "refusal": None,
            "annotations": [],
        }
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments_json()},
                }
                for call in self.tool_calls
            ]
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.served_model(request),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": self.final_finish_reason(),
                }
            ],
            "usage": self.completion_usage(),
            "service_tier": "default",
            "system_fingerprint": "fp_standin",
        }

    def chat_chunks(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The streamed answer, chunk by chunk, as the API sends it."""
        include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
        base = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.served_model(request),
            "service_tier": "default",
            "system_fingerprint": "fp_standin",
        }
        if include_usage:
            base["usage"] = None

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            return {**base, "choices": [choice]}

        yield chunk({"role": "assistant", "content": "" if self.text is not None else None, "refusal": None})
        if self.text:
            for start in range(0, len(self.text), 8):
                yield chunk({"content": self.text[start : start + 8]})
        for index, call in enumerate(self.tool_calls):
            opening = {
                "index": index,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            yield chunk({"tool_calls": [opening]})
            arguments = call.arguments_json()
            for start in range(0, len(arguments), 8):
                piece = {"index": index, "function": {"arguments": arguments[start : start + 8]}}
                yield chunk({"tool_calls": [piece]})
        yield chunk({}, self.final_finish_reason())
        if include_usage:
            yield {**base, "choices": [], "usage": self.completion_usage()}

    # Responses API.

    def response_usage(self) -> dict[str, Any]:
        return {
            "input_tokens": self.prompt_tokens,
            "input_tokens_details": {"cached_tokens": self.cached_tokens, "cache_write_tokens": 0},
            "output_tokens": self.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }

    def response_output(self) -> list[dict[str, Any]]:
        if self._output:
            return self._output  # the same item ids in the events and the final response
        items = self._output
        if self.reasoning_tokens:
            items.append({"type": "reasoning", "id": new_id("rs_"), "summary": []})
        if self.text is not None:
            items.append(
                {
                    "type": "message",
                    "id": new_id("msg_"),
                    "status": "completed",
                    "role": "assistant",
                    "content": [
                        {"type": "output_text", "text": self.text, "annotations": [], "logprobs": []}
                    ],
                }
            )
        items += [
            {
                "type": "function_call",
                "id": new_id("fc_"),
                "call_id": call.id,
                "name": call.name,
                "arguments": call.arguments_json(),
                "status": "completed",
            }
            for call in self.tool_calls
        ]
        return items

    def response(self, request: dict[str, Any], *, status: str = "completed") -> dict[str, Any]:
        done = status == "completed"
        return {
            "id": self.id.replace("chatcmpl-", "resp_"),
            "object": "response",
            "created_at": time.time(),
            "status": status,
            "completed_at": time.time() if done else None,
            "error": None,
            "incomplete_details": None,
            "instructions": request.get("instructions"),
            "max_output_tokens": request.get("max_output_tokens"),
            "model": self.served_model(request),
            "output": self.response_output() if done else [],
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None},
            "service_tier": "default",
            "store": True,
            "temperature": request.get("temperature", 1.0),
            "text": {"format": {"type": "text"}},
            "tool_choice": request.get("tool_choice", "auto"),
            "tools": request.get("tools", []),
            "top_p": request.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": self.response_usage() if done else None,
            "user": None,
            "metadata": {},
        }

    def response_events(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The Responses API event stream of this answer (every event names its ``type``)."""
        yield {"type": "response.created", "response": self.response(request, status="in_progress")}
        yield {"type": "response.in_progress", "response": self.response(request, status="in_progress")}
        for index, item in enumerate(self.response_output()):
            if item["type"] != "message":
                yield {"type": "response.output_item.added", "output_index": index, "item": item}
                yield {"type": "response.output_item.done", "output_index": index, "item": item}
                continue
            part = item["content"][0]
            opened = {**item, "status": "in_progress", "content": []}
            where = {"item_id": item["id"], "output_index": index, "content_index": 0}
            yield {"type": "response.output_item.added", "output_index": index, "item": opened}
            yield {"type": "response.content_part.added", **where, "part": {**part, "text": ""}}
            for start in range(0, len(part["text"]), 8):
                delta = part["text"][start : start + 8]
                yield {"type": "response.output_text.delta", **where, "delta": delta, "logprobs": []}
            yield {"type": "response.output_text.done", **where, "text": part["text"], "logprobs": []}
            yield {"type": "response.content_part.done", **where, "part": part}
            yield {"type": "response.output_item.done", "output_index": index, "item": item}
        yield {"type": "response.completed", "response": self.response(request)}


@dataclass
class EmbeddingReply:
    """One scripted embeddings answer: a vector of ``dimensions`` floats per input."""

    model: str | None = None
    prompt_tokens: int = 8
    dimensions: int = 4

    def body(self, request: dict[str, Any]) -> dict[str, Any]:
        inputs = request.get("input")
        count = len(inputs) if isinstance(inputs, list) and inputs and not isinstance(inputs[0], int) else 1
        vector = [round(0.1 * (i + 1), 3) for i in range(self.dimensions)]
        if request.get("encoding_format") == "base64":
            encoded: Any = base64.b64encode(struct.pack(f"<{self.dimensions}f", *vector)).decode()
        else:
            encoded = vector
        return {
            "object": "list",
            "data": [{"object": "embedding", "index": i, "embedding": encoded} for i in range(count)],
            "model": self.model or str(request.get("model", "")),
            "usage": {"prompt_tokens": self.prompt_tokens, "total_tokens": self.prompt_tokens},
        }


class OpenAIAPI(ScriptedAPI[Reply | EmbeddingReply]):
    """The running stand-in: queue replies with :meth:`reply` (one queue for every endpoint), read
    :attr:`requests` afterwards."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.base_url = url + "/v1"

    def client(self, **options: Any) -> Any:
        """A real ``openai.OpenAI`` client pointed here (no retries, so a failure shows at once)."""
        import openai

        return openai.OpenAI(base_url=self.base_url, api_key="test", max_retries=0, **options)


_ROUTES = {"/v1/chat/completions": Reply, "/v1/responses": Reply, "/v1/embeddings": EmbeddingReply}


class _Handler(JSONHandler):
    server: LoopbackServer[OpenAIAPI]

    def do_POST(self) -> None:
        path = self.path.split("?")[0]
        recorded = self._receive(path)
        body = recorded.body
        expected = _ROUTES.get(path)
        if expected is None:
            self._send_error(404, f"the stand-in does not serve {self.path}")
            return
        reply = self.server.api._next(recorded)
        if reply is None:
            self._send_error(400, f"no scripted reply left for {path}")
        elif not isinstance(reply, expected):
            self._send_error(400, f"the next scripted reply is a {type(reply).__name__}, not for {path}")
        elif isinstance(reply, EmbeddingReply):
            self._send_json(reply.body(body))
        elif path == "/v1/chat/completions":
            if body.get("stream"):
                self._send_events(((None, chunk) for chunk in reply.chat_chunks(body)), done=True)
            else:
                self._send_json(reply.chat_completion(body))
        elif body.get("stream"):
            events = reply.response_events(body)
            self._send_events(
                (event["type"], {**event, "sequence_number": n}) for n, event in enumerate(events)
            )
        else:
            self._send_json(reply.response(body))

    def _send_error(self, status: int, message: str) -> None:
        error = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}
        self._send_json(error, status)

    def _headers(self) -> dict[str, str]:
        return {"x-request-id": new_id("req_"), "openai-processing-ms": "1"}


@contextmanager
def serve_openai() -> Iterator[OpenAIAPI]:
    """Run the stand-in on a free loopback port for the duration of the block."""
    with serve(_Handler, OpenAIAPI) as api:
        yield api


@pytest.fixture
def openai_api() -> Iterator[OpenAIAPI]:
    """A stand-in OpenAI API for this test."""
    with serve_openai() as api:
        yield api
