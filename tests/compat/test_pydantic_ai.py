"""pydantic-ai agents traced by Logfire (``logfire.instrument_pydantic_ai()``), exporting over OTLP to a live
server: an agent with a tool, on Gemini (``GoogleModel``) and on OpenAI (``OpenAIChatModel``), against the
stand-in provider APIs.

The app (``apps/pydantic_ai_app.py``) runs in its own process: Logfire sets the process's tracer provider.
It runs two turns of one conversation: a question answered after one tool call (two model requests), then a
follow-up answered at once. Every request reads most of its prompt from the cache and thinks before it
answers, so a cached token priced as input, or thinking left out of output or of the breakdown, shows.

What pydantic-ai writes on each model request span (``chat <model>``): ``gen_ai.usage.input_tokens``
(cached tokens included), ``gen_ai.usage.output_tokens`` (thinking included),
``gen_ai.usage.cache_read.input_tokens``, ``gen_ai.usage.details.<key>`` for each usage detail of the
model's own (OpenAI's ``reasoning_tokens``; Gemini's ``thoughts_tokens``, ``cached_content_tokens``,
``text_prompt_tokens``, ``text_cache_tokens``) and ``operation.cost``, the price pydantic-ai computed with
genai-prices. The agent run span (``invoke_agent <agent>``) states the run's sum as
``gen_ai.aggregated_usage.*``: the requests below it are what counts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from tests.compat.expected import gemini_cost, gemini_usage, nonzero, openai_cost
from tests.compat.isolated import run_app
from tests.compat.traces import assert_session, shape, tree_of

from conftest import LiveServer
from providers import gemini_api as gemini_stand_in
from providers import openai_api as openai_stand_in
from providers.gemini_api import FunctionCall, GeminiAPI
from providers.gemini_api import Reply as GeminiReply
from providers.openai_api import OpenAIAPI, Reply, ToolCall

#: Each test runs the app in its own process (importing pydantic-ai and Logfire): 4 to 10 s.
pytestmark = pytest.mark.slow

gemini_api = gemini_stand_in.gemini_api  # the stand-in Gemini API, as this module's fixture
openai_api = openai_stand_in.openai_api  # the stand-in OpenAI API, as this module's fixture

USER = "ana@example.com"
TOOL_ARGUMENTS = {"city": "Lisbon"}
ANSWERS = ("It is sunny in Lisbon.", "Tomorrow too.")

#: The spans of the first turn, depth-first: (name, parent's name, kind). ``support turn`` is the app's
#: Logfire span; the rest are pydantic-ai's.
FIRST_TURN = [
    ("support turn", None, "other"),
    ("invoke_agent weather_agent", "support turn", "agent"),
    ("chat {model}", "invoke_agent weather_agent", "llm"),
    ("execute_tool get_weather", "invoke_agent weather_agent", "tool"),
    ("chat {model}", "invoke_agent weather_agent", "llm"),
]
SECOND_TURN = FIRST_TURN[:3]


def _run(server: LiveServer, stand_in_url: str, session: str, **env: str) -> list[dict[str, Any]]:
    """Run the app; the trace of each of its two turns, read back from the server."""
    facts = run_app(
        "pydantic_ai_app.py",
        server_url=server.url,
        stand_in_url=stand_in_url,
        env={"PAI_SESSION": session, "PAI_USER": USER, **env},
    )
    assert [turn["output"] for turn in facts["turns"]] == list(ANSWERS)
    assert [turn["requests"] for turn in facts["turns"]] == [2, 1]
    return [tree_of(server, turn["trace_id"]) for turn in facts["turns"]]


def _shaped(shape: list[tuple[str, str | None, str]], model: str) -> list[tuple[str, str | None, str]]:
    return [(name.format(model=model), parent, kind) for name, parent, kind in shape]


def _requests(tree: dict[str, Any]) -> list[dict[str, Any]]:
    return [node for node in tree["spans"] if node["kind"] == "llm" and node["scope"] == "pydantic-ai"]


def _one(tree: dict[str, Any], kind: str) -> dict[str, Any]:
    (node,) = [node for node in tree["spans"] if node["kind"] == kind]
    return node


def _priced(node: dict[str, Any]) -> dict[str, Any]:
    """A model request span reduced to what the normalizer and pricing decided."""
    usage = nonzero(node["usage"])
    return {
        "provider": node["provider"],
        "request_model": node["request_model"],
        "response_model": node["response_model"],
        "usage": usage,
        "usage_source": {key: node["usage_source"].get(key) for key in usage},
        "cost": Decimal(node["cost"]["total"]),
        "origin": node["cost"]["origin"],
        "unpriced_reason": node["cost"]["unpriced_reason"],
        "duplicate_of": node["duplicate_of"],
    }


def _assert_agent_runs_count_their_requests_once(trees: list[dict[str, Any]], costs: list[Decimal]) -> None:
    """The agent run span's ``gen_ai.aggregated_usage.*`` is the sum of its requests: left raw, not a call."""
    requests = 0
    for tree in trees:
        agent = _one(tree, "agent")
        calls = _requests(tree)
        assert agent["usage"] == {} and agent["usage_source"] == {}
        assert Decimal(agent["cost"]["total"]) == 0 and agent["cost"]["unpriced_reason"] is None
        assert int(agent["attributes"]["gen_ai.aggregated_usage.input_tokens"]) == sum(
            call["usage"]["input"] for call in calls
        )
        turn_cost = sum(costs[requests : requests + len(calls)], Decimal(0))
        requests += len(calls)
        assert Decimal(agent["subtree_cost"]["total"]) == turn_cost
        assert Decimal(tree["cost"]) == turn_cost


# Gemini: GoogleModel over the stand-in Gemini Developer API; gemini-2.5-flash thinks and reads a context
# cache.

GEMINI = "gemini-2.5-flash"
#: The Gemini Developer API (generativelanguage.googleapis.com), as the GenAI conventions name it; pydantic-ai
#: writes gen_ai.provider.name "google" for every GoogleProvider.
GEMINI_API = "gcp.gemini"
#: The three requests' answers. Counts as the Gemini API means them: promptTokenCount (with the cached
#: cachedContentTokenCount inside), candidatesTokenCount (the answer, thinking EXCLUDED), thoughtsTokenCount.
GEMINI_REPLIES = (
    GeminiReply(
        text=None,
        thought="The user wants the weather.",
        function_calls=[FunctionCall("get_weather", TOOL_ARGUMENTS)],
        model_version=GEMINI,
        prompt_tokens=1500,
        cached_tokens=1024,
        candidates_tokens=20,
        thoughts_tokens=180,
    ),
    GeminiReply(
        text=ANSWERS[0],
        thought="The tool says sunny.",
        model_version=GEMINI,
        prompt_tokens=1560,
        cached_tokens=1024,
        candidates_tokens=45,
        thoughts_tokens=96,
    ),
    GeminiReply(
        text=ANSWERS[1],
        thought="Same as today.",
        model_version=GEMINI,
        prompt_tokens=1640,
        cached_tokens=1536,
        candidates_tokens=12,
        thoughts_tokens=40,
    ),
)
#: The same requests in canonical usage: output counts the thinking, reasoning is that part of it.
GEMINI_USAGE = [gemini_usage(reply) for reply in GEMINI_REPLIES]
assert GEMINI_USAGE[0] == {"input": 1500, "output": 200, "cache_read": 1024, "reasoning": 180}


def test_gemini_agent_run_prices_each_request_with_cache_reads_and_thinking_and_counts_the_run_once(
    server: LiveServer, gemini_api: GeminiAPI
) -> None:
    gemini_api.reply(*GEMINI_REPLIES)

    trees = _run(server, gemini_api.url, "s-pai-gemini", PAI_MODEL="gemini", PAI_MODEL_NAME=GEMINI)

    first, second = trees
    assert [request.path for request in gemini_api.requests] == [
        f"/v1beta/models/{GEMINI}:generateContent"
    ] * 3
    assert shape(first) == _shaped(FIRST_TURN, GEMINI)
    assert shape(second) == _shaped(SECOND_TURN, GEMINI)
    calls = [*_requests(first), *_requests(second)]
    costs = [
        gemini_cost(GEMINI, call["start_ns"], usage) for call, usage in zip(calls, GEMINI_USAGE, strict=True)
    ]
    for call, usage, cost in zip(calls, GEMINI_USAGE, costs, strict=True):
        assert _priced(call) == {
            "provider": GEMINI_API,
            "request_model": GEMINI,
            "response_model": GEMINI,
            "usage": usage,
            "usage_source": dict.fromkeys(usage, "attribute"),
            "cost": cost,
            "origin": "provided",  # operation.cost: genai-prices, computed by pydantic-ai
            "unpriced_reason": None,
            "duplicate_of": None,
        }
    _assert_agent_runs_count_their_requests_once(trees, costs)

    asking, answering = _requests(first)
    tool = _one(first, "tool")
    assert (tool["input"], tool["output"]) == ('{"city":"Lisbon"}', "sunny in Lisbon")
    assert "Is it sunny in Lisbon?" in asking["input"]
    assert "get_weather" in asking["output"] and "The user wants the weather." in asking["output"]
    assert "sunny in Lisbon" in answering["input"] and ANSWERS[0] in answering["output"]
    root = first["spans"][0]
    assert nonzero(root["subtree_usage"]) == {
        key: GEMINI_USAGE[0][key] + GEMINI_USAGE[1][key] for key in GEMINI_USAGE[0]
    }
    assert_session(server, "s-pai-gemini", USER, trees, sum(costs, Decimal(0)))


def test_logfire_google_genai_integration_inside_the_agent_is_the_same_call_counted_once(
    server: LiveServer, gemini_api: GeminiAPI
) -> None:
    # logfire.instrument_google_genai() (OpenTelemetry's google-genai instrumentation) traces the client
    # pydantic-ai calls: a generate_content span inside each chat span, with the same response id. It states
    # the thinking as gen_ai.usage.reasoning.output_tokens, and no cost.
    gemini_api.reply(*GEMINI_REPLIES)

    trees = _run(
        server,
        gemini_api.url,
        "s-pai-gemini-2",
        PAI_MODEL="gemini",
        PAI_MODEL_NAME=GEMINI,
        PAI_INSTRUMENT_GOOGLE_GENAI="1",
    )

    first, second = trees
    client_span = (f"generate_content {GEMINI}", f"chat {GEMINI}", "llm")
    expected_shape = _shaped(FIRST_TURN, GEMINI)
    expected_shape.insert(3, client_span)
    expected_shape.append(client_span)
    assert shape(first) == expected_shape
    assert shape(second) == [*_shaped(SECOND_TURN, GEMINI), client_span]
    outer = [*_requests(first), *_requests(second)]
    inner = [node for tree in trees for node in tree["spans"] if node["name"] == f"generate_content {GEMINI}"]
    costs = []
    for wrapper, call, usage in zip(outer, inner, GEMINI_USAGE, strict=True):
        cost = gemini_cost(GEMINI, call["start_ns"], usage)
        assert _priced(call) == {
            "provider": GEMINI_API,
            "request_model": GEMINI,
            "response_model": GEMINI,
            "usage": usage,
            "usage_source": dict.fromkeys(usage, "attribute"),
            "cost": cost,
            "origin": "inferred",
            "unpriced_reason": None,
            "duplicate_of": None,
        }
        assert call["parent_span_id"] == wrapper["span_id"]
        assert wrapper["duplicate_of"] == call["span_id"]
        assert wrapper["provider"] == GEMINI_API
        assert nonzero(wrapper["usage"]) == usage  # the same call, the same breakdown
        costs.append(cost)
    _assert_agent_runs_count_their_requests_once(trees, costs)
    assert_session(server, "s-pai-gemini-2", USER, trees, sum(costs, Decimal(0)))


# OpenAI: OpenAIChatModel over the stand-in Chat Completions API. gpt-5-mini reasons and caches.

GPT_5_MINI, GPT_5_MINI_SERVED = "gpt-5-mini", "gpt-5-mini-2025-08-07"
#: Each request's usage as the API reports it: prompt_tokens (cached included), cached_tokens,
#: completion_tokens (reasoning included), reasoning_tokens.
OPENAI_USAGE = [
    {"input": 1200, "cache_read": 1024, "output": 300, "reasoning": 256},
    {"input": 1350, "cache_read": 1152, "output": 120, "reasoning": 64},
    {"input": 1420, "cache_read": 1280, "output": 90, "reasoning": 32},
]


def _script_openai(openai_api: OpenAIAPI) -> None:
    replies = [
        Reply(text=None, tool_calls=[ToolCall("get_weather", TOOL_ARGUMENTS)]),
        Reply(text=ANSWERS[0]),
        Reply(text=ANSWERS[1]),
    ]
    for reply, usage in zip(replies, OPENAI_USAGE, strict=True):
        reply.model = GPT_5_MINI_SERVED
        reply.prompt_tokens, reply.cached_tokens = usage["input"], usage["cache_read"]
        reply.completion_tokens, reply.reasoning_tokens = usage["output"], usage["reasoning"]
    openai_api.reply(*replies)


def _openai_request(
    usage: dict[str, int], when_ns: int, source: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "provider": "openai",
        "request_model": GPT_5_MINI,
        "response_model": GPT_5_MINI_SERVED,
        "usage": usage,
        "usage_source": source or dict.fromkeys(usage, "attribute"),
        "cost": openai_cost(GPT_5_MINI, when_ns, usage),
        "origin": "provided",  # operation.cost: genai-prices, computed by pydantic-ai
        "unpriced_reason": None,
        "duplicate_of": None,
    }


def test_openai_agent_run_prices_each_request_with_cache_reads_and_reasoning_and_counts_the_run_once(
    server: LiveServer, openai_api: OpenAIAPI
) -> None:
    _script_openai(openai_api)

    trees = _run(server, openai_api.url, "s-pai-openai", PAI_MODEL="openai", PAI_MODEL_NAME=GPT_5_MINI)

    first, second = trees
    assert shape(first) == _shaped(FIRST_TURN, GPT_5_MINI)
    assert shape(second) == _shaped(SECOND_TURN, GPT_5_MINI)
    calls = [*_requests(first), *_requests(second)]
    for call, usage in zip(calls, OPENAI_USAGE, strict=True):
        assert _priced(call) == _openai_request(usage, call["start_ns"])
        assert call["attributes"]["gen_ai.usage.details.audio_tokens"] == "0"  # a detail with no type
    costs = [
        openai_cost(GPT_5_MINI, call["start_ns"], usage)
        for call, usage in zip(calls, OPENAI_USAGE, strict=True)
    ]
    _assert_agent_runs_count_their_requests_once(trees, costs)

    asking, answering = _requests(first)
    tool = _one(first, "tool")
    assert (tool["input"], tool["output"]) == ('{"city":"Lisbon"}', "sunny in Lisbon")
    assert tool["attributes"]["gen_ai.tool.name"] == "get_weather"
    assert "Is it sunny in Lisbon?" in asking["input"] and "get_weather" in asking["output"]
    assert "sunny in Lisbon" in answering["input"] and ANSWERS[0] in answering["output"]
    root = first["spans"][0]
    assert nonzero(root["subtree_usage"]) == {
        key: OPENAI_USAGE[0][key] + OPENAI_USAGE[1][key] for key in OPENAI_USAGE[0]
    }
    assert_session(server, "s-pai-openai", USER, trees, sum(costs, Decimal(0)))


def test_logfire_openai_integration_inside_the_agent_is_the_same_call_counted_once(
    server: LiveServer, openai_api: OpenAIAPI
) -> None:
    # logfire.instrument_openai() traces the openai client pydantic-ai calls: a second LLM span per request,
    # inside pydantic-ai's, with the same response id. Its reasoning count is only in gen_ai.usage.raw.
    _script_openai(openai_api)

    trees = _run(
        server,
        openai_api.url,
        "s-pai-openai-2",
        PAI_MODEL="openai",
        PAI_MODEL_NAME=GPT_5_MINI,
        PAI_INSTRUMENT_OPENAI="1",
    )

    first, second = trees
    client_span = ("Chat Completion with {request_data[model]!r}", f"chat {GPT_5_MINI}", "llm")
    expected_shape = _shaped(FIRST_TURN, GPT_5_MINI)
    expected_shape.insert(3, client_span)
    expected_shape.append(client_span)
    assert shape(first) == expected_shape
    assert shape(second) == [*_shaped(SECOND_TURN, GPT_5_MINI), client_span]
    outer = [*_requests(first), *_requests(second)]
    inner = [node for tree in trees for node in tree["spans"] if node["scope"] == "logfire.openai"]
    costs = []
    for wrapper, call, usage in zip(outer, inner, OPENAI_USAGE, strict=True):
        from_raw = {
            "input": "attribute",
            "output": "attribute",
            "cache_read": "attribute",
            "reasoning": "payload",
        }
        assert _priced(call) == _openai_request(usage, call["start_ns"], from_raw)
        assert call["parent_span_id"] == wrapper["span_id"]
        assert wrapper["duplicate_of"] == call["span_id"]
        assert nonzero(wrapper["usage"]) == usage
        costs.append(openai_cost(GPT_5_MINI, call["start_ns"], usage))
    _assert_agent_runs_count_their_requests_once(trees, costs)
    assert_session(server, "s-pai-openai-2", USER, trees, sum(costs, Decimal(0)))
