"""LiteLLM's OpenTelemetry callback (``litellm.callbacks = ["otel"]``), exporting over OTLP to a live
server: ``litellm.completion`` against the stand-in OpenAI API (gpt-4o-mini reading the prompt cache,
o4-mini reasoning) and the stand-in Anthropic API (claude-haiku-4-5 writing the prompt cache, then reading
it), inside the application's ``support turn`` spans of one session.

The app (``apps/litellm_app.py``) runs in its own process: the callback takes or sets the process's global
tracer provider. LiteLLM logs each call from a background thread after ``completion`` returns.

What the callback writes on the span of a call:

- usage: ``gen_ai.usage.input_tokens`` (LiteLLM's ``prompt_tokens``: every input token, cache reads and
  writes included, for OpenAI and Anthropic alike), ``gen_ai.usage.output_tokens`` (reasoning included),
  ``gen_ai.usage.total_tokens``, and nothing else as an attribute: the breakdown is only in
  ``metadata.usage_object``, LiteLLM's OpenAI-shaped usage as a Python ``str(dict)``
  (``prompt_tokens_details.cached_tokens``, ``...cache_write_tokens`` / ``...cache_creation_tokens``,
  ``completion_tokens_details.reasoning_tokens``; for Anthropic also top-level
  ``cache_creation_input_tokens`` / ``cache_read_input_tokens``);
- ``gen_ai.system`` (the LiteLLM provider: ``openai``, ``anthropic``), ``gen_ai.request.model`` (without
  the provider prefix), ``gen_ai.response.model``, ``litellm.provider.model`` (``anthropic/claude-...``);
- ``gen_ai.cost.*``: LiteLLM's own price from its cost map (``total_cost`` = ``input_cost`` +
  ``output_cost``; ``cache_read_cost``, ``cache_creation_cost`` lie inside ``input_cost`` and
  ``reasoning_cost`` inside ``output_cost``), left raw: tokentrail prices from genai-prices;
- ``llm.user`` from ``completion(user=...)``, LiteLLM's own way to name the end user. It has no session:
  ``metadata={"session_id": ...}`` and ``litellm_session_id=`` reach no span. The session is the app's.

Where that span is (``_handle_success``): with no current span, a ``litellm_request`` root. Under an
application's span, ``USE_OTEL_LITELLM_REQUEST_SPAN=true`` makes a ``litellm_request`` child for each call;
without it LiteLLM writes the call's attributes onto the application's span itself, so a second call under
that span overwrites the first, and a span that ended before the logging thread ran gets nothing. Beside
it (under ``litellm_request``, else under the application's span), in content-capture mode, a
``raw_gen_ai_request`` span holds the request and the provider's own response as ``llm.<provider>.<key>``
(``llm.openai.usage``, ``llm.anthropic.usage``: the provider's usage object as a Python ``str(dict)``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from tests.compat.expected import anthropic_cost, anthropic_usage, nonzero, openai_cost
from tests.compat.isolated import run_app
from tests.compat.traces import assert_session, shape, tree_of

from conftest import LiveServer
from providers.anthropic_api import AnthropicAPI, serve_anthropic_api
from providers.anthropic_api import Reply as AnthropicReply
from providers.openai_api import OpenAIAPI, Reply, serve_openai

#: Each test runs the app in a new process, and importing LiteLLM alone takes seconds.
pytestmark = pytest.mark.slow

USER = "ana@example.com"

GPT_4O_MINI, GPT_4O_MINI_SERVED = "gpt-4o-mini", "gpt-4o-mini-2024-07-18"
O4_MINI, O4_MINI_SERVED = "o4-mini", "o4-mini-2025-04-16"
HAIKU, HAIKU_SERVED = "claude-haiku-4-5", "claude-haiku-4-5-20251001"

#: The calls the app makes, by LiteLLM model name.
CACHED_CALL = {"model": f"openai/{GPT_4O_MINI}"}
REASONING_CALL = {"model": f"openai/{O4_MINI}"}
ANTHROPIC_CALL = {"model": f"anthropic/{HAIKU}"}

#: gpt-4o-mini reads most of its prompt from the cache; o4-mini too, and reasons before answering.
CACHED = {"input": 2000, "cache_read": 1536, "output": 50}
REASONING = {"input": 1200, "cache_read": 1024, "output": 700, "reasoning": 512}
#: claude-haiku-4-5 writes the system prompt to the cache, then reads it (Anthropic's ``input_tokens``
#: leave the cached tokens out).
WRITE = AnthropicReply(
    model=HAIKU_SERVED, input_tokens=12, cache_creation_input_tokens=2048, output_tokens=40
)
READ = AnthropicReply(model=HAIKU_SERVED, input_tokens=7, cache_read_input_tokens=2048, output_tokens=30)

#: The parts only ``metadata.usage_object`` states; input and output are attributes.
_FROM_PAYLOAD = ("cache_read", "cache_write", "cache_write_1h", "reasoning")


def _openai_reply(model: str, usage: dict[str, int]) -> Reply:
    return Reply(
        model=model,
        prompt_tokens=usage["input"],
        cached_tokens=usage.get("cache_read", 0),
        completion_tokens=usage["output"],
        reasoning_tokens=usage.get("reasoning", 0),
    )


@pytest.fixture
def stand_ins() -> Iterator[tuple[OpenAIAPI, AnthropicAPI]]:
    """The stand-in OpenAI and Anthropic APIs, scripted with every reply the app's calls get, in order."""
    with serve_openai() as openai_api, serve_anthropic_api() as anthropic_api:
        yield openai_api, anthropic_api


def _run(
    server: LiveServer,
    stand_ins: tuple[OpenAIAPI, AnthropicAPI],
    plan: dict[str, Any],
    **env: str,
) -> list[dict[str, Any]]:
    """Run the app with ``plan``; the trace of each of its turns, read back from the server."""
    openai_api, anthropic_api = stand_ins
    facts = run_app(
        "litellm_app.py",
        server_url=server.url,
        stand_in_url=openai_api.url,
        env={
            "ANTHROPIC_URL": anthropic_api.url,
            "LITELLM_PLAN": json.dumps({"user": USER, **plan}),
            # LiteLLM fetches its cost map from GitHub at import (three attempts, seconds, no network here).
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            **env,
        },
    )
    assert openai_api.pending == 0 and anthropic_api.pending == 0
    for turn in facts["turns"]:
        assert turn["outputs"] == ["Hello from the stand-in."] * len(turn["outputs"])
    return [tree_of(server, turn["trace_id"]) for turn in facts["turns"]]


def _call(
    provider: str,
    request_model: str | None,
    served: str,
    usage: dict[str, int],
    cost: Decimal,
    *,
    counted_on: dict[str, Any],
) -> dict[str, Any]:
    """The facts a correct normalizer and pricing find on LiteLLM's span of one call: the same call as
    the ``raw_gen_ai_request`` span below it (``counted_on``), which is the one counted."""
    return {
        "kind": "llm",
        "provider": provider,
        "request_model": request_model,
        "response_model": served,
        "usage": usage,
        "usage_source": {key: "payload" if key in _FROM_PAYLOAD else "attribute" for key in usage},
        "cost": cost,
        "origin": "inferred",  # LiteLLM's own gen_ai.cost.* stays raw
        "unpriced_reason": None,
        "duplicate_of": counted_on["span_id"],
    }


def _raw_call(provider: str, served: str, usage: dict[str, int], cost: Decimal) -> dict[str, Any]:
    """The facts of a ``raw_gen_ai_request`` span: the call in the provider's own words, counted."""
    return {
        "kind": "llm",
        "provider": provider,
        "request_model": None,
        "response_model": served,
        "usage": usage,
        "usage_source": dict.fromkeys(usage, "payload"),
        "cost": cost,
        "origin": "inferred",
        "unpriced_reason": None,
        "duplicate_of": None,
    }


def _named(tree: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [node for node in tree["spans"] if node["name"] == name]


def _facts(node: dict[str, Any]) -> dict[str, Any]:
    usage = nonzero(node["usage"])
    return {
        "kind": node["kind"],
        "provider": node["provider"],
        "request_model": node["request_model"],
        "response_model": node["response_model"],
        "usage": usage,
        "usage_source": {key: node["usage_source"].get(key) for key in usage},
        "cost": None if node["cost"]["total"] is None else Decimal(node["cost"]["total"]),
        "origin": node["cost"]["origin"],
        "unpriced_reason": node["cost"]["unpriced_reason"],
        "duplicate_of": node["duplicate_of"],
    }


def _counted(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """The spans counted as model calls: LLM spans not marked a duplicate of another."""
    return [node for node in tree["spans"] if node["kind"] == "llm" and not node["duplicate_of"]]


def _raw_usage(node: dict[str, Any], provider: str) -> str:
    """The provider's own usage object that ``raw_gen_ai_request`` keeps (a Python ``str(dict)``)."""
    assert node["name"] == "raw_gen_ai_request"
    usage: str = node["attributes"][f"llm.{provider}.usage"]
    return usage


# With USE_OTEL_LITELLM_REQUEST_SPAN=true: a litellm_request span for each call, under the app's span.

REQUEST_SPANS_TURN = [
    ("support turn", None, "other"),
    ("litellm_request", "support turn", "llm"),
    ("raw_gen_ai_request", "litellm_request", "llm"),
    ("litellm_request", "support turn", "llm"),
    ("raw_gen_ai_request", "litellm_request", "llm"),
]


def test_request_spans_price_cache_reads_cache_writes_and_reasoning_of_each_call(
    server: LiveServer, stand_ins: tuple[OpenAIAPI, AnthropicAPI]
) -> None:
    openai_api, anthropic_api = stand_ins
    openai_api.reply(_openai_reply(GPT_4O_MINI_SERVED, CACHED), _openai_reply(O4_MINI_SERVED, REASONING))
    anthropic_api.reply(WRITE, READ)
    plan = {
        "session": "s-litellm",
        "turns": [
            {"calls": [{**CACHED_CALL, "user": True}, REASONING_CALL]},
            {"calls": [ANTHROPIC_CALL, ANTHROPIC_CALL]},
        ],
    }

    openai_turn, anthropic_turn = _run(server, stand_ins, plan, USE_OTEL_LITELLM_REQUEST_SPAN="true")

    assert shape(openai_turn) == REQUEST_SPANS_TURN
    assert shape(anthropic_turn) == REQUEST_SPANS_TURN
    cached, reasoning = _named(openai_turn, "litellm_request")
    writing, reading = _named(anthropic_turn, "litellm_request")
    raw_cached, raw_reasoning = _named(openai_turn, "raw_gen_ai_request")
    raw_writing, raw_reading = _named(anthropic_turn, "raw_gen_ai_request")
    # The raw_gen_ai_request below each call is the same call in the provider's words: the one counted.
    assert _counted(openai_turn) == [raw_cached, raw_reasoning]
    assert _counted(anthropic_turn) == [raw_writing, raw_reading]
    costs = [
        openai_cost(GPT_4O_MINI, cached["start_ns"], CACHED),
        openai_cost(O4_MINI, reasoning["start_ns"], REASONING),
        anthropic_cost(HAIKU, WRITE, writing["start_ns"]),
        anthropic_cost(HAIKU, READ, reading["start_ns"]),
    ]
    assert _facts(raw_cached) == _raw_call("openai", GPT_4O_MINI_SERVED, CACHED, costs[0])
    assert _facts(raw_reasoning) == _raw_call("openai", O4_MINI_SERVED, REASONING, costs[1])
    assert _facts(raw_writing) == _raw_call("anthropic", HAIKU_SERVED, anthropic_usage(WRITE), costs[2])
    assert _facts(raw_reading) == _raw_call("anthropic", HAIKU_SERVED, anthropic_usage(READ), costs[3])
    # LiteLLM's own span says the same, its breakdown filled in from metadata.usage_object: its
    # gen_ai.usage.input_tokens (prompt_tokens) already count Anthropic's cache writes and reads.
    assert _facts(cached) == _call(
        "openai", GPT_4O_MINI, GPT_4O_MINI_SERVED, CACHED, costs[0], counted_on=raw_cached
    )
    assert _facts(reasoning) == _call(
        "openai", O4_MINI, O4_MINI_SERVED, REASONING, costs[1], counted_on=raw_reasoning
    )
    assert _facts(writing) == _call(
        "anthropic", HAIKU, HAIKU_SERVED, anthropic_usage(WRITE), costs[2], counted_on=raw_writing
    )
    assert _facts(reading) == _call(
        "anthropic", HAIKU, HAIKU_SERVED, anthropic_usage(READ), costs[3], counted_on=raw_reading
    )
    assert "'cached_tokens': 1536" in _raw_usage(raw_cached, "openai")
    assert "'cache_read_input_tokens': 2048" in _raw_usage(raw_reading, "anthropic")

    # completion(user=...) names the end user on LiteLLM's span; the app's span names the same user.
    assert (cached["user_id"], reasoning["user_id"]) == (USER, None)
    assert Decimal(openai_turn["cost"]) == costs[0] + costs[1]
    assert Decimal(anthropic_turn["cost"]) == costs[2] + costs[3]
    assert_session(server, "s-litellm", USER, [openai_turn, anthropic_turn], sum(costs, Decimal(0)))


# Without USE_OTEL_LITELLM_REQUEST_SPAN (LiteLLM's default): the call is written onto the app's span.


def test_without_request_spans_the_application_span_of_one_call_becomes_that_call(
    server: LiveServer, stand_ins: tuple[OpenAIAPI, AnthropicAPI]
) -> None:
    """LiteLLM builds its own tracer provider from ``OTEL_EXPORTER_OTLP_PROTOCOL`` /
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` here; the end user is named by ``completion(user=...)`` only."""
    openai_api, anthropic_api = stand_ins
    openai_api.reply(_openai_reply(GPT_4O_MINI_SERVED, CACHED))
    anthropic_api.reply(WRITE)
    plan = {
        "session": "s-litellm-default",
        "user_on_root": False,
        "turns": [{"calls": [{**CACHED_CALL, "user": True}]}, {"calls": [{**ANTHROPIC_CALL, "user": True}]}],
    }

    openai_turn, anthropic_turn = _run(server, stand_ins, plan, LITELLM_PROVIDER="litellm")

    one_call = [("support turn", None, "llm"), ("raw_gen_ai_request", "support turn", "llm")]
    assert shape(openai_turn) == one_call
    assert shape(anthropic_turn) == one_call
    (cached, raw_cached), (writing, raw_writing) = openai_turn["spans"], anthropic_turn["spans"]
    assert (cached["user_id"], writing["user_id"]) == (USER, USER)  # from llm.user alone
    costs = [
        openai_cost(GPT_4O_MINI, cached["start_ns"], CACHED),
        anthropic_cost(HAIKU, WRITE, writing["start_ns"]),
    ]
    assert _facts(raw_cached) == _raw_call("openai", GPT_4O_MINI_SERVED, CACHED, costs[0])
    assert _facts(raw_writing) == _raw_call("anthropic", HAIKU_SERVED, anthropic_usage(WRITE), costs[1])
    assert _facts(cached) == _call(
        "openai", GPT_4O_MINI, GPT_4O_MINI_SERVED, CACHED, costs[0], counted_on=raw_cached
    )
    assert _facts(writing) == _call(
        "anthropic", HAIKU, HAIKU_SERVED, anthropic_usage(WRITE), costs[1], counted_on=raw_writing
    )
    assert Decimal(openai_turn["cost"]) == costs[0]
    assert Decimal(anthropic_turn["cost"]) == costs[1]
    assert_session(server, "s-litellm-default", USER, [openai_turn, anthropic_turn], sum(costs, Decimal(0)))


def test_without_request_spans_every_call_is_counted_once_from_its_raw_request_span(
    server: LiveServer, stand_ins: tuple[OpenAIAPI, AnthropicAPI]
) -> None:
    """Two calls under one application span: the span ends up with the second call's attributes only (and
    stale ones of the first that the second does not set). An application span that ends as soon as the
    call returns, before LiteLLM's logging thread ran, gets no attributes at all. Each call's
    ``raw_gen_ai_request`` span still states its provider (``llm.<provider>.`` prefix), served model
    (``llm.<provider>.model``), response id and the provider's own usage (``llm.<provider>.usage``): that
    is where each call can be counted, once."""
    openai_api, anthropic_api = stand_ins
    anthropic_api.reply(WRITE, READ)
    openai_api.reply(_openai_reply(O4_MINI_SERVED, REASONING))
    plan = {
        "session": "s-litellm-shared",
        "turns": [
            {"calls": [ANTHROPIC_CALL, ANTHROPIC_CALL]},
            {"calls": [REASONING_CALL], "end_at_once": True},
        ],
    }

    anthropic_turn, ended_turn = _run(server, stand_ins, plan)

    assert [name for name, _, _ in shape(anthropic_turn)] == ["support turn", *["raw_gen_ai_request"] * 2]
    assert [name for name, _, _ in shape(ended_turn)] == ["support turn", "raw_gen_ai_request"]
    assert "'cache_creation_input_tokens': 2048" in _raw_usage(anthropic_turn["spans"][1], "anthropic")
    assert "'cache_read_input_tokens': 2048" in _raw_usage(anthropic_turn["spans"][2], "anthropic")
    assert "'reasoning_tokens': 512" in _raw_usage(ended_turn["spans"][1], "openai")
    raws = [node for tree in (anthropic_turn, ended_turn) for node in tree["spans"][1:]]
    costs = [
        anthropic_cost(HAIKU, WRITE, raws[0]["start_ns"]),
        anthropic_cost(HAIKU, READ, raws[1]["start_ns"]),
        openai_cost(O4_MINI, raws[2]["start_ns"], REASONING),
    ]

    def counted(tree: dict[str, Any]) -> list[tuple[str | None, str | None, dict[str, int], Decimal]]:
        return [
            (node["provider"], node["response_model"], nonzero(node["usage"]), Decimal(node["cost"]["total"]))
            for node in _counted(tree)
        ]

    assert counted(anthropic_turn) == [
        ("anthropic", HAIKU_SERVED, anthropic_usage(WRITE), costs[0]),
        ("anthropic", HAIKU_SERVED, anthropic_usage(READ), costs[1]),
    ]
    assert counted(ended_turn) == [("openai", O4_MINI_SERVED, REASONING, costs[2])]
    assert Decimal(anthropic_turn["cost"]) == costs[0] + costs[1]
    assert Decimal(ended_turn["cost"]) == costs[2]
    assert_session(server, "s-litellm-shared", USER, [anthropic_turn, ended_turn], sum(costs, Decimal(0)))
