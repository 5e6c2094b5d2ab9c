"""A stand-in Amazon Bedrock Runtime API on loopback: the real ``boto3`` ``bedrock-runtime`` client talks to
it unmodified (``endpoint_url`` set to the stand-in, dummy credentials, any region; signatures are not
checked).

The test scripts the replies (text, reasoning, tool calls, usage) and reads back the requests it received.
Each reply answers whichever operation asks, in that operation's wire format:

- ``POST /model/{modelId}/converse`` answers a ``ConverseResponse``: the message, ``stopReason``, ``usage``
  (``inputTokens``, ``outputTokens``, ``totalTokens``, ``cacheReadInputTokens``, ``cacheWriteInputTokens``
  and ``cacheDetails`` when a cache was written) and ``metrics``.
- ``POST /model/{modelId}/converse-stream`` answers the same as an AWS event stream
  (``application/vnd.amazon.eventstream``, binary frames with CRC32 checksums): ``messageStart``,
  ``contentBlockStart`` / ``contentBlockDelta`` / ``contentBlockStop`` per block, ``messageStop`` and
  ``metadata`` (the usage and metrics).
- ``POST /model/{modelId}/invoke`` with an Anthropic Messages body (``anthropic_version:
  bedrock-2023-05-31``) answers the Anthropic ``Message`` Claude on Bedrock returns: ``msg_bdrk_`` id, the
  served model, content, ``stop_reason`` and ``usage`` (``input_tokens``, ``cache_creation_input_tokens``,
  ``cache_read_input_tokens``, ``cache_creation`` by lifetime, ``output_tokens``), with the
  ``x-amzn-bedrock-*`` headers of the real response.
- ``POST /model/{modelId}/invoke-with-response-stream`` with the same body answers an event stream of
  ``chunk`` events, each the base64 of one Anthropic streaming event (``message_start`` with the input
  and cache counts, the content blocks, ``message_delta`` with the output count, ``message_stop``), the last
  with Bedrock's ``amazon-bedrock-invocationMetrics`` (``inputTokenCount`` here is the body's uncached
  ``input_tokens``: how the live API counts cached tokens there is not known to this stand-in).

Token counts mean what Bedrock means, the same in both APIs: ``inputTokens`` / ``input_tokens`` count only
the input neither read from nor written to the prompt cache; cache reads and writes are counted apart, and
``totalTokens`` adds all four. Output counts every output token, reasoning included (Bedrock states no
reasoning count). Errors are AWS REST-JSON errors (``x-amzn-ErrorType`` and a ``message``).
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pytest

from providers.loopback import JSONHandler, LoopbackServer, Recorded, ScriptedAPI, new_id, serve

__all__ = [
    "ANTHROPIC_VERSION",
    "BedrockAPI",
    "Recorded",
    "Reply",
    "ToolUse",
    "bedrock_api",
    "event_stream_frame",
    "serve_bedrock_api",
]

#: The ``anthropic_version`` an InvokeModel body for Claude names.
ANTHROPIC_VERSION = "bedrock-2023-05-31"

#: The region the stand-in claims to be (any region the client names is accepted).
REGION = "us-east-1"


@dataclass
class ToolUse:
    """A tool the model asks to run."""

    name: str
    input: dict[str, Any]
    id: str = field(default_factory=lambda: new_id("tooluse_"))


@dataclass
class Reply:
    """One scripted answer. ``input_tokens`` is the uncached input only (Bedrock's ``inputTokens`` and the
    Anthropic body's ``input_tokens`` alike); cache reads and writes are counted apart from it, and
    ``cache_write_1h`` is the part of the writes made with a one-hour lifetime (the rest is 5 minutes).
    ``output_tokens`` includes the tokens spent on ``reasoning``."""

    text: str | None = "Hello from the stand-in."
    #: Extended thinking: a ``reasoningContent`` block (Converse) or ``thinking`` block (Anthropic body).
    reasoning: str | None = None
    tool_uses: list[ToolUse] = field(default_factory=list)
    input_tokens: int = 10
    output_tokens: int = 5
    cache_read_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    cache_write_1h: int = 0
    #: The model an Anthropic body says served the call (Converse names none).
    model: str = "claude-haiku-4-5-20251001"
    stop_reason: str | None = None  # default: "tool_use" when there are tool calls, else "end_turn"
    latency_ms: int = 412
    id: str = field(default_factory=lambda: new_id("msg_bdrk_"))

    def final_stop_reason(self) -> str:
        return self.stop_reason or ("tool_use" if self.tool_uses else "end_turn")

    @property
    def total_tokens(self) -> int:
        return (
            self.input_tokens
            + self.cache_read_input_tokens
            + self.cache_write_input_tokens
            + self.output_tokens
        )

    # Converse and ConverseStream.

    def converse_usage(self) -> dict[str, Any]:
        usage: dict[str, Any] = {
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "totalTokens": self.total_tokens,
        }
        if self.cache_read_input_tokens or self.cache_write_input_tokens:
            usage["cacheReadInputTokens"] = self.cache_read_input_tokens
            usage["cacheWriteInputTokens"] = self.cache_write_input_tokens
        if self.cache_write_input_tokens:  # by lifetime, one hour before five minutes
            details = [
                ("1h", self.cache_write_1h),
                ("5m", self.cache_write_input_tokens - self.cache_write_1h),
            ]
            usage["cacheDetails"] = [{"ttl": ttl, "inputTokens": count} for ttl, count in details if count]
        return usage

    def converse_content(self) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        if self.reasoning is not None:
            signature = new_id("sig")
            blocks.append(
                {"reasoningContent": {"reasoningText": {"text": self.reasoning, "signature": signature}}}
            )
        if self.text is not None:
            blocks.append({"text": self.text})
        blocks += [{"toolUse": {"toolUseId": t.id, "name": t.name, "input": t.input}} for t in self.tool_uses]
        return blocks

    def converse(self) -> dict[str, Any]:
        return {
            "output": {"message": {"role": "assistant", "content": self.converse_content()}},
            "stopReason": self.final_stop_reason(),
            "usage": self.converse_usage(),
            "metrics": {"latencyMs": self.latency_ms},
        }

    def converse_events(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """ConverseStream's events for this reply, (event type, payload) in the order Bedrock sends them."""
        yield "messageStart", {"role": "assistant"}
        for index, block in enumerate(self.converse_content()):
            deltas: list[dict[str, Any]]
            if "reasoningContent" in block:
                reasoning = block["reasoningContent"]["reasoningText"]
                deltas = [{"reasoningContent": {"text": part}} for part in _halves(reasoning["text"])]
                deltas.append({"reasoningContent": {"signature": reasoning["signature"]}})
            elif "text" in block:
                deltas = [{"text": part} for part in _halves(block["text"])]
            else:
                tool = block["toolUse"]
                start = {"toolUse": {"toolUseId": tool["toolUseId"], "name": tool["name"]}}
                yield "contentBlockStart", {"start": start, "contentBlockIndex": index}
                arguments = json.dumps(tool["input"])
                deltas = [{"toolUse": {"input": arguments[i : i + 8]}} for i in range(0, len(arguments), 8)]
            for delta in deltas:
                yield "contentBlockDelta", {"delta": delta, "contentBlockIndex": index}
            yield "contentBlockStop", {"contentBlockIndex": index}
        yield "messageStop", {"stopReason": self.final_stop_reason()}
        yield "metadata", {"usage": self.converse_usage(), "metrics": {"latencyMs": self.latency_ms}}

    # InvokeModel with an Anthropic Messages body.

    def anthropic_usage(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_write_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache_write_input_tokens - self.cache_write_1h,
                "ephemeral_1h_input_tokens": self.cache_write_1h,
            },
            "output_tokens": self.output_tokens,
        }

    def anthropic_message(self) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if self.reasoning is not None:
            content.append({"type": "thinking", "thinking": self.reasoning, "signature": new_id("sig")})
        if self.text is not None:
            content.append({"type": "text", "text": self.text})
        content += [
            {"type": "tool_use", "id": t.id, "name": t.name, "input": t.input} for t in self.tool_uses
        ]
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": self.final_stop_reason(),
            "stop_sequence": None,
            "usage": self.anthropic_usage(),
        }

    def anthropic_events(self) -> Iterator[dict[str, Any]]:
        """The Anthropic streaming events of this reply, as InvokeModelWithResponseStream chunks hold them."""
        message = self.anthropic_message()
        start_usage = {**self.anthropic_usage(), "output_tokens": 1}
        yield {
            "type": "message_start",
            "message": {**message, "content": [], "stop_reason": None, "usage": start_usage},
        }
        for index, block in enumerate(message["content"]):
            if block["type"] == "text":
                yield {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "text", "text": ""},
                }
                for part in _halves(block["text"]):
                    yield {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "text_delta", "text": part},
                    }
            elif block["type"] == "thinking":
                start = {"type": "thinking", "thinking": ""}
                yield {"type": "content_block_start", "index": index, "content_block": start}
                for part in _halves(block["thinking"]):
                    delta = {"type": "thinking_delta", "thinking": part}
                    yield {"type": "content_block_delta", "index": index, "delta": delta}
                delta = {"type": "signature_delta", "signature": block["signature"]}
                yield {"type": "content_block_delta", "index": index, "delta": delta}
            else:
                yield {"type": "content_block_start", "index": index, "content_block": {**block, "input": {}}}
                delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
                yield {"type": "content_block_delta", "index": index, "delta": delta}
            yield {"type": "content_block_stop", "index": index}
        delta = {"stop_reason": self.final_stop_reason(), "stop_sequence": None}
        yield {"type": "message_delta", "delta": delta, "usage": {"output_tokens": self.output_tokens}}
        metrics = {
            "inputTokenCount": self.input_tokens,
            "outputTokenCount": self.output_tokens,
            "invocationLatency": self.latency_ms,
            "firstByteLatency": self.latency_ms // 4,
        }
        yield {"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics}


def _halves(text: str) -> list[str]:
    middle = max(1, len(text) // 2)
    return [part for part in (text[:middle], text[middle:]) if part]


def event_stream_frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One message of the AWS event stream encoding: a prelude (total length, headers length, their CRC32),
    string-typed headers, the payload and the CRC32 of everything before it."""
    encoded = b""
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        encoded += (
            struct.pack("!B", len(raw_name)) + raw_name + struct.pack("!BH", 7, len(raw_value)) + raw_value
        )
    prelude = struct.pack("!II", 12 + len(encoded) + len(payload) + 4, len(encoded))
    message = prelude + struct.pack("!I", zlib.crc32(prelude)) + encoded + payload
    return message + struct.pack("!I", zlib.crc32(message))


class BedrockAPI(ScriptedAPI[Reply]):
    """The running stand-in: queue replies with :meth:`reply`, read :attr:`requests` afterwards."""

    def client(self, **options: Any) -> Any:
        """A real ``boto3`` ``bedrock-runtime`` client pointed here (dummy credentials, no retries)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "bedrock-runtime",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="AKIDSTANDIN",
            aws_secret_access_key="stand-in-secret",
            config=Config(retries={"total_max_attempts": 1}),
            **options,
        )


_OPERATIONS = ("converse", "converse-stream", "invoke", "invoke-with-response-stream")


class _Handler(JSONHandler):
    server: LoopbackServer[BedrockAPI]

    def do_POST(self) -> None:
        recorded = self._receive(self.path)
        parts = self.path.split("?")[0].split("/")
        if len(parts) != 4 or parts[1] != "model" or parts[3] not in _OPERATIONS:
            self._send_error(404, "UnknownOperationException", f"the stand-in does not serve {self.path}")
            return
        operation = parts[3]
        recorded.path = f"/model/{unquote(parts[2])}/{operation}"
        if operation.startswith("invoke") and recorded.body.get("anthropic_version") != ANTHROPIC_VERSION:
            self._send_error(400, "ValidationException", "the stand-in serves Anthropic Messages bodies only")
            return
        reply = self.server.api._next(recorded)
        if reply is None:
            self._send_error(400, "ValidationException", "no scripted reply left for this request")
        elif operation == "converse":
            self._send_json(reply.converse())
        elif operation == "converse-stream":
            self._send_event_stream(reply.converse_events())
        elif operation == "invoke-with-response-stream":
            chunks = (
                ("chunk", {"bytes": base64.b64encode(json.dumps(event).encode()).decode()})
                for event in reply.anthropic_events()
            )
            self._send_event_stream(chunks)
        else:
            self._send_invoke(reply)

    def _send_event_stream(self, events: Iterable[tuple[str, dict[str, Any]]]) -> None:
        headers = {":content-type": "application/json", ":message-type": "event"}
        frames = b"".join(
            event_stream_frame({":event-type": name, **headers}, json.dumps(payload).encode())
            for name, payload in events
        )
        self._send(200, "application/vnd.amazon.eventstream", frames)

    def _send_invoke(self, reply: Reply) -> None:
        payload = json.dumps(reply.anthropic_message()).encode()
        self.send_response(200)
        for name, value in {
            "content-type": "application/json",
            "content-length": str(len(payload)),
            "x-amzn-bedrock-invocation-latency": str(reply.latency_ms),
            "x-amzn-bedrock-input-token-count": str(reply.input_tokens),
            "x-amzn-bedrock-output-token-count": str(reply.output_tokens),
            **self._headers(),
        }.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _send_error(self, status: int, kind: str, message: str) -> None:
        payload = json.dumps({"message": message}).encode()
        self.send_response(status)
        for name, value in {
            "content-type": "application/json",
            "content-length": str(len(payload)),
            "x-amzn-errortype": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/",
            **self._headers(),
        }.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _headers(self) -> dict[str, str]:
        return {"x-amzn-requestid": new_id("req-")}


@contextmanager
def serve_bedrock_api() -> Iterator[BedrockAPI]:
    """Run the stand-in on a free loopback port for the duration of the block."""
    with serve(_Handler, BedrockAPI) as api:
        yield api


@pytest.fixture
def bedrock_api() -> Iterator[BedrockAPI]:
    """A stand-in Bedrock Runtime API for this test."""
    with serve_bedrock_api() as api:
        yield api
