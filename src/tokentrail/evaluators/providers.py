"""The judge APIs, in their own wire formats, over httpx: what is sent and how the answer is read.

- ``openai``: any OpenAI-compatible endpoint, ``POST {base_url}/chat/completions`` with structured output
  (``response_format`` of type ``json_schema``, strict); the answer is ``choices[0].message.content``, the
  usage ``usage.prompt_tokens`` / ``usage.completion_tokens``.
- ``anthropic``: ``POST {base_url}/v1/messages`` (``x-api-key``, ``anthropic-version``), asked in the system
  prompt for a JSON object of the schema; the answer is the text blocks of ``content``, the usage
  ``usage.input_tokens`` / ``usage.output_tokens``.

429, 408, 5xx and no answer at all are tried again (:mod:`tokentrail.http_retry`), up to
:data:`ATTEMPTS` times; any other failure is a :class:`JudgeCallError`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tokentrail.http_retry import is_permanent, retry_delay

__all__ = ["ATTEMPTS", "WIRES", "JudgeCall", "JudgeCallError", "Wire", "call_judge"]

#: Tries of one judge call before it is given up.
ATTEMPTS = 4
#: Longest wait between two tries, seconds.
_RETRY_CAP_S = 8.0
_ANTHROPIC_VERSION = "2023-06-01"
#: Tokens an Anthropic judge may answer with (a verdict and its reasoning).
_MAX_TOKENS = 1024
_SYSTEM = "You are an evaluator. Judge what you are shown and answer with the verdict only."


class JudgeCallError(RuntimeError):
    """The judge could not be called, or refused the call, after every try."""


@dataclass(frozen=True, slots=True)
class JudgeCall:
    """One judge call as made: what was sent, and what came back."""

    request: dict[str, Any]
    text: str
    #: The model that answered (the API's name for it), and the tokens it counted.
    model: str
    input_tokens: int
    output_tokens: int
    response_id: str


@dataclass(frozen=True, slots=True)
class Wire:
    """One provider's wire format."""

    default_base_url: str
    path: str
    headers: Callable[[str], dict[str, str]]
    body: Callable[[str, str, dict[str, Any]], dict[str, Any]]
    #: The answer's text, and the fields of its ``usage`` counting the input and the output tokens.
    text: Callable[[dict[str, Any]], str]
    usage: tuple[str, str]


def _openai_body(model: str, prompt: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": prompt}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "judgement", "strict": True, "schema": schema},
        },
    }


def _anthropic_body(model: str, prompt: str, schema: dict[str, Any]) -> dict[str, Any]:
    shape = f"Answer with one JSON object matching this JSON schema, and nothing else: {json.dumps(schema)}"
    return {
        "model": model,
        "max_tokens": _MAX_TOKENS,
        "system": f"{_SYSTEM} {shape}",
        "messages": [{"role": "user", "content": prompt}],
    }


def _text_blocks(answer: dict[str, Any]) -> str:
    return "".join(block.get("text", "") for block in answer["content"] if block.get("type") == "text")


#: Provider -> its wire format.
WIRES: dict[str, Wire] = {
    "openai": Wire(
        "https://api.openai.com/v1",
        "/chat/completions",
        lambda key: {"authorization": f"Bearer {key}"},
        _openai_body,
        lambda answer: answer["choices"][0]["message"].get("content") or "",
        ("prompt_tokens", "completion_tokens"),
    ),
    "anthropic": Wire(
        "https://api.anthropic.com",
        "/v1/messages",
        lambda key: {"x-api-key": key, "anthropic-version": _ANTHROPIC_VERSION},
        _anthropic_body,
        _text_blocks,
        ("input_tokens", "output_tokens"),
    ),
}


def call_judge(
    client: httpx.Client,
    provider: str,
    base_url: str,
    key: str,
    model: str,
    prompt: str,
    schema: dict[str, Any],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> JudgeCall:
    """Ask the judge; retried on overload and server errors (see the module's docstring)."""
    wire = WIRES[provider]
    url = (base_url or wire.default_base_url).rstrip("/") + wire.path
    body = wire.body(model, prompt, schema)
    problem = ""
    for attempt in range(ATTEMPTS):
        response = None
        try:
            response = client.post(url, json=body, headers=wire.headers(key))
        except httpx.HTTPError as exc:
            problem = f"the judge did not answer: {exc!r:.200}"
        else:
            if response.is_success:
                return _read(wire, body, response)
            problem = f"the judge answered {response.status_code}: {response.text[:300]}"
            if is_permanent(response):
                break
        if attempt + 1 < ATTEMPTS:
            sleep(retry_delay(response, attempt, _RETRY_CAP_S))
    raise JudgeCallError(problem)


def _read(wire: Wire, body: dict[str, Any], response: httpx.Response) -> JudgeCall:
    try:
        answer = response.json()
        usage = answer.get("usage") or {}
        tokens = [int(usage.get(name) or 0) for name in wire.usage]
        text = wire.text(answer)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise JudgeCallError(f"the judge's answer is not in its API's format: {exc!r:.200}") from exc
    return JudgeCall(
        body, text, str(answer.get("model", "")), tokens[0], tokens[1], str(answer.get("id", ""))
    )
