"""A stand-in judge on loopback answering in the providers' real wire formats: OpenAI's
``POST /v1/chat/completions`` (``choices[0].message.content``, ``usage.prompt_tokens`` /
``completion_tokens``, ``model``) and Anthropic's ``POST /v1/messages`` (``content[0].text``,
``usage.input_tokens`` / ``output_tokens``, ``model``).

A test scripts :class:`Answer` rows (the verdict as JSON text, or any raw text, or an HTTP failure), in order;
once they are used up, ``default`` answers (a fixed answer, or one made from the request). It counts and
records every request. Use it as ``with serve_judge() as judge:``; OpenAI clients take
``judge.openai_base_url``, Anthropic ones ``judge.url``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from providers.loopback import JSONHandler, LoopbackServer, Recorded, ScriptedAPI, new_id, serve

__all__ = ["Answer", "JudgeAPI", "prompt_of", "serve_judge", "verdict"]


@dataclass
class Answer:
    """One scripted judge answer: ``text`` in a reply of the wire's format, or an error ``status``."""

    text: str = ""
    status: int = 200
    input_tokens: int = 100
    output_tokens: int = 20
    #: The model the reply says answered; None echoes the requested one.
    model: str | None = None


def verdict(
    score: Any = None, reasoning: str = "because", *, label: str | None = None, **usage: Any
) -> Answer:
    """An answer whose text is the structured verdict ``{"score"|"label": ..., "reasoning": ...}``."""
    found = {"label": label} if label is not None else {"score": score}
    return Answer(json.dumps({**found, "reasoning": reasoning}), **usage)


def prompt_of(body: dict[str, Any]) -> str:
    """The user prompt a judge request carries (either wire format)."""
    return str(body["messages"][-1]["content"])


class JudgeAPI(ScriptedAPI[Answer]):
    """The running stand-in: :meth:`reply` scripts answers, :attr:`requests` holds what was asked."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.default: Answer | Callable[[dict[str, Any]], Answer] | None = None

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    def count(self, path: str) -> int:
        return sum(request.path == path for request in self.requests)

    def answer_for(self, recorded: Recorded) -> Answer | None:
        scripted = self._next(recorded)
        if scripted is not None or self.default is None:
            return scripted
        return self.default(recorded.body) if callable(self.default) else self.default


def _openai_reply(answer: Answer, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": answer.model or body.get("model", ""),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.text, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": answer.input_tokens,
            "completion_tokens": answer.output_tokens,
            "total_tokens": answer.input_tokens + answer.output_tokens,
        },
    }


def _anthropic_reply(answer: Answer, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": answer.model or body.get("model", ""),
        "content": [{"type": "text", "text": answer.text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens},
    }


#: Path -> the reply in its wire format, and its error body.
_WIRES: dict[
    str, tuple[Callable[[Answer, dict[str, Any]], dict[str, Any]], Callable[[int], dict[str, Any]]]
] = {
    "/v1/chat/completions": (
        _openai_reply,
        lambda status: {
            "error": {"message": f"stand-in failure {status}", "type": "server_error", "code": None}
        },
    ),
    "/v1/messages": (
        _anthropic_reply,
        lambda status: {
            "type": "error",
            "error": {"type": "api_error", "message": f"stand-in failure {status}"},
        },
    ),
}


class _Handler(JSONHandler):
    server: LoopbackServer[JudgeAPI]

    def do_POST(self) -> None:
        path = self.path.split("?")[0]
        recorded = self._receive(path)
        wire = _WIRES.get(path)
        answer = self.server.api.answer_for(recorded) if wire else None
        if wire is None or answer is None:
            self._send_json({"error": {"message": f"nothing scripted for {path}"}}, 400)
        elif answer.status != 200:
            self._send_json(wire[1](answer.status), answer.status)
        else:
            self._send_json(wire[0](answer, recorded.body))


@contextmanager
def serve_judge() -> Iterator[JudgeAPI]:
    """Run the stand-in judge on a free loopback port for the duration of the block."""
    with serve(_Handler, JudgeAPI) as api:
        yield api
