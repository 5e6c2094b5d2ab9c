"""A stand-in Gemini Developer API on loopback: the real ``google-genai`` client talks to it unmodified.

The test scripts the replies (model version, text, thought summaries or function calls, usage) and reads
back the requests it received.

- ``POST /v1beta/models/{model}:generateContent`` answers a ``GenerateContentResponse``.
- ``POST /v1beta/models/{model}:streamGenerateContent?alt=sse`` answers the same response as server-sent
  events, each a partial ``GenerateContentResponse`` (no ``event:`` names, no ``[DONE]``): the thought
  summary, the text in pieces, each function call whole; the last one carries the ``finishReason``. As the
  API does, every chunk carries ``usageMetadata``: the early ones only the prompt's counts, the last one
  the whole usage (so a client reads the usage from the last chunk and must not add the chunks up).

Token counts mean what the Gemini API means: ``promptTokenCount`` counts every input token, the
``cachedContentTokenCount`` read from a context cache included; ``candidatesTokenCount`` counts the answer
WITHOUT the thinking, which is ``thoughtsTokenCount`` (billed at the output rate too);
``toolUsePromptTokenCount`` counts the input of built-in tools' results; ``totalTokenCount`` adds up prompt,
candidates, thoughts and tool-use prompt. The API leaves a count out when it is zero.

A real client for it: ``genai.Client(api_key="test", http_options={"base_url": api.url})`` (or
:meth:`GeminiAPI.client`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from providers.loopback import JSONHandler, LoopbackServer, Recorded, ScriptedAPI, new_id, serve

__all__ = [
    "APIError",
    "FunctionCall",
    "GeminiAPI",
    "Recorded",
    "Reply",
    "gemini_api",
    "serve_gemini",
]

#: Google's RPC status names for the HTTP statuses a test may script.
_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass
class FunctionCall:
    """A function call the model asks for (Gemini sends it as a ``functionCall`` part)."""

    name: str
    args: dict[str, Any]
    #: The call's id; the Gemini Developer API sends none for 2.x models.
    id: str | None = None

    def part(self) -> dict[str, Any]:
        call: dict[str, Any] = {"name": self.name, "args": self.args}
        if self.id is not None:
            call["id"] = self.id
        return {"functionCall": call}


@dataclass
class Reply:
    """One scripted model answer.

    ``model_version`` is the model the API says served the call (``modelVersion``); ``None`` echoes the
    model named in the request's path.
    """

    text: str | None = "Hello from the stand-in."
    #: A thought summary, sent first as a part with ``"thought": true`` (only when the request asks for
    #: ``includeThoughts``, as the API does; ``thoughts_tokens`` are counted either way).
    thought: str | None = None
    function_calls: list[FunctionCall] = field(default_factory=list)
    model_version: str | None = None
    #: Every input token, ``cached_tokens`` included.
    prompt_tokens: int = 10
    #: Part of ``prompt_tokens`` read from a context cache (``cachedContentTokenCount``).
    cached_tokens: int = 0
    #: The answer's tokens, thinking excluded (``candidatesTokenCount``).
    candidates_tokens: int = 5
    #: Thinking tokens (``thoughtsTokenCount``), billed as output beside ``candidates_tokens``.
    thoughts_tokens: int = 0
    #: Input tokens of built-in tools' results (``toolUsePromptTokenCount``).
    tool_use_prompt_tokens: int = 0
    finish_reason: str = "STOP"
    response_id: str = field(default_factory=lambda: new_id("resp"))

    @property
    def total_tokens(self) -> int:
        return (
            self.prompt_tokens + self.candidates_tokens + self.thoughts_tokens + self.tool_use_prompt_tokens
        )

    def served_model(self, model: str) -> str:
        return self.model_version or model

    def usage(self, *, final: bool = True) -> dict[str, Any]:
        """``usageMetadata`` as the API sends it (zero counts left out); before the last chunk of a
        stream, only the prompt's counts."""
        usage: dict[str, Any] = {
            "promptTokenCount": self.prompt_tokens,
            "totalTokenCount": self.prompt_tokens + self.tool_use_prompt_tokens,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": self.prompt_tokens}],
        }
        if self.cached_tokens:
            usage["cachedContentTokenCount"] = self.cached_tokens
            usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": self.cached_tokens}]
        if self.tool_use_prompt_tokens:
            usage["toolUsePromptTokenCount"] = self.tool_use_prompt_tokens
            usage["toolUsePromptTokensDetails"] = [
                {"modality": "TEXT", "tokenCount": self.tool_use_prompt_tokens}
            ]
        if final:
            if self.candidates_tokens:
                usage["candidatesTokenCount"] = self.candidates_tokens
            if self.thoughts_tokens:
                usage["thoughtsTokenCount"] = self.thoughts_tokens
            usage["totalTokenCount"] = self.total_tokens
        return usage

    def parts(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        thinking = (request.get("generationConfig") or {}).get("thinkingConfig") or {}
        # The API reads proto JSON: either spelling (google-genai sends ``include_thoughts``).
        include_thoughts = bool(thinking.get("includeThoughts") or thinking.get("include_thoughts"))
        if self.thought is not None and include_thoughts:
            parts.append({"text": self.thought, "thought": True})
        if self.text is not None:
            parts.append({"text": self.text})
        parts += [call.part() for call in self.function_calls]
        return parts

    def _response(
        self, model: str, parts: list[dict[str, Any]], *, final: bool = True, usage_final: bool = True
    ) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if final:
            candidate["finishReason"] = self.finish_reason
        return {
            "candidates": [candidate],
            "usageMetadata": self.usage(final=usage_final),
            "modelVersion": self.served_model(model),
            "responseId": self.response_id,
        }

    def response(self, model: str, request: dict[str, Any]) -> dict[str, Any]:
        """The ``GenerateContentResponse`` of ``:generateContent``."""
        return self._response(model, self.parts(request))

    def chunks(self, model: str, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The partial responses of ``:streamGenerateContent``, in order."""
        pieces: list[dict[str, Any]] = []
        for part in self.parts(request):
            text = part.get("text")
            if isinstance(text, str) and not part.get("thought") and len(text) > 8:
                pieces += [{"text": text[start : start + 8]} for start in range(0, len(text), 8)]
            else:
                pieces.append(part)
        if not pieces:
            pieces.append({"text": ""})
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            yield self._response(model, [piece], final=last, usage_final=last)


@dataclass
class APIError:
    """A scripted error answer: ``{"error": {"code", "message", "status"}}`` with this HTTP status."""

    status: int = 429
    message: str = "Resource has been exhausted (e.g. check quota)."

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.status,
                "message": self.message,
                "status": _STATUS.get(self.status, "UNKNOWN"),
            }
        }


class GeminiAPI(ScriptedAPI[Reply | APIError]):
    """The running stand-in: queue replies with :meth:`reply` (one queue for both endpoints), read
    :attr:`requests` afterwards (``path`` is ``/v1beta/models/<model>:<method>``, the query left out)."""

    def client(self, **options: Any) -> Any:
        """A real ``google.genai.Client`` for the Gemini Developer API pointed here."""
        from google import genai

        http_options = {"base_url": self.url, **options.pop("http_options", {})}
        return genai.Client(api_key="test", http_options=http_options, **options)


_ROUTE = re.compile(r"^/(?P<version>v1beta|v1|v1alpha)/models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)$")


class _Handler(JSONHandler):
    server: LoopbackServer[GeminiAPI]

    def do_POST(self) -> None:
        path, _, query = self.path.partition("?")
        recorded = self._receive(path)
        route = _ROUTE.match(path)
        method = route["method"] if route else None
        if route is None or method not in ("generateContent", "streamGenerateContent"):
            self._send_error(APIError(404, f"the stand-in does not serve {self.path}"))
            return
        reply = self.server.api._next(recorded)
        model = route["model"]
        if reply is None:
            self._send_error(APIError(400, f"no scripted reply left for {path}"))
        elif isinstance(reply, APIError):
            self._send_error(reply)
        elif method == "generateContent":
            self._send_json(reply.response(model, recorded.body))
        elif "alt=sse" in query:
            self._send_events((None, chunk) for chunk in reply.chunks(model, recorded.body))
        else:  # without alt=sse the API streams one JSON array; google-genai always asks for SSE
            self._send_error(APIError(400, "the stand-in streams only with ?alt=sse"))

    def _send_error(self, error: APIError) -> None:
        self._send_json(error.body(), error.status)

    def _headers(self) -> dict[str, str]:
        return {"server-timing": "gfet4t7; dur=1", "vary": "Origin, X-Origin, Referer"}


@contextmanager
def serve_gemini() -> Iterator[GeminiAPI]:
    """Run the stand-in on a free loopback port for the duration of the block."""
    with serve(_Handler, GeminiAPI) as api:
        yield api


@pytest.fixture
def gemini_api() -> Iterator[GeminiAPI]:
    """A stand-in Gemini Developer API for this test."""
    with serve_gemini() as api:
        yield api
