"""opentelemetry-instrumentation-openai-v2 over the real ``openai`` client and a stand-in OpenAI API,
exported over OTLP to a live server: GenAI-convention spans normalized, priced once, and the session and
user taken from the app's root span.

openai-v2 2.4b0 (with opentelemetry-util-genai 1.1b0) reports ``gen_ai.usage.input_tokens`` and
``gen_ai.usage.output_tokens`` only: neither cached nor reasoning tokens. A correct normalizer can't know
that part of the input was cached, so such a call is priced as all-uncached input. Message content is
captured only when asked, as ``gen_ai.input.messages`` / ``gen_ai.output.messages`` span attributes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from tests.compat.conftest import Exported, by_name, trace_id_of
from tests.compat.expected import attributed, costs, named, openai_call, priced_facts, prompt_turns, trace_row
from tests.compat.openai_scenarios import (
    ask_with_cached_prompt,
    embed,
    instrumenting,
    reason,
    stream_a_short_answer,
    tool_round_trip,
)

from providers import openai_api as stand_in
from providers.openai_api import OpenAIAPI, ToolCall
from tiktoken_reference import reference_count

openai_api = stand_in.openai_api  # the stand-in OpenAI API, as this module's fixture

STABILITY = "OTEL_SEMCONV_STABILITY_OPT_IN"
CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
#: Settings the instrumentation reads from the environment when it is instrumented (and again, for content,
#: when each span ends). openai-v2 2.4b0 on opentelemetry-util-genai 1.1b0 follows the latest experimental
#: GenAI conventions whatever the opt-in says, so both modes must read the same.
MODES = {"default": {}, "latest-experimental": {STABILITY: "gen_ai_latest_experimental"}}
WITH_CONTENT = {STABILITY: "gen_ai_latest_experimental", CAPTURE: "span_only"}
SESSION = "s-v2"


def _instrument(
    exported: Exported, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> Iterator[Exported]:
    for name in (STABILITY, CAPTURE):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with instrumenting(OpenAIInstrumentor(), exported):
        yield exported


@pytest.fixture(params=list(MODES))
def instrumented(
    request: pytest.FixtureRequest, exported: Exported, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Exported]:
    """The openai client instrumented by openai-v2 for this test only, without content capture."""
    yield from _instrument(exported, monkeypatch, MODES[request.param])


@pytest.fixture
def capturing(exported: Exported, monkeypatch: pytest.MonkeyPatch) -> Iterator[Exported]:
    """openai-v2 on the latest experimental conventions, capturing message content on the spans."""
    yield from _instrument(exported, monkeypatch, WITH_CONTENT)


def test_chat_completion_is_priced_from_input_and_output_tokens_alone(
    instrumented: Exported, openai_api: OpenAIAPI
) -> None:
    turn = ask_with_cached_prompt(instrumented, openai_api, session="s-v2-chat")

    tree = instrumented.trace(trace_id_of(turn), spans=2)
    nodes = by_name(tree)
    root, llm = nodes["turn"], nodes["chat gpt-4o-mini"]
    # The 1000 cached tokens are not on the span: all 1200 are priced as input.
    expected = openai_call(llm, model="gpt-4o-mini-2024-07-18", usage={"input": 1200, "output": 80})
    assert priced_facts(llm) == expected
    assert (llm["request_model"], llm["response_model"]) == ("gpt-4o-mini", "gpt-4o-mini-2024-07-18")
    assert llm["parent_span_id"] == root["span_id"]
    assert llm["cost"]["price_source"] == "genai-prices:openai/gpt-4o-mini"
    assert not llm["input"] and not llm["output"]  # content is not captured by default
    assert Decimal(tree["cost"]) == Decimal(root["subtree_cost"]["total"]) == expected["cost"]
    row = trace_row(instrumented, tree["trace_id"])
    assert (row["session_id"], row["user_id"]) == ("s-v2-chat", "ana@example.com")
    assert Decimal(row["cost"]) == expected["cost"]


def test_streamed_chat_completion_takes_its_usage_from_the_final_chunk(
    instrumented: Exported, openai_api: OpenAIAPI
) -> None:
    turn, text = stream_a_short_answer(instrumented, openai_api, session=SESSION)

    assert text == "Streamed, chunk by chunk."
    tree = instrumented.trace(trace_id_of(turn), spans=2)
    llm = by_name(tree)["chat gpt-4o-mini"]
    expected = openai_call(llm, model="gpt-4o-mini-2024-07-18", usage={"input": 300, "output": 40})
    assert priced_facts(llm) == expected
    assert Decimal(tree["cost"]) == expected["cost"]


def _execute_tool_span(requested: Any) -> tuple[str, dict[str, Any]]:
    """The app runs the tool the model asked for in a GenAI ``execute_tool`` span."""
    attributes = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.id": requested.id,
    }
    return "execute_tool get_weather", attributes


def _tool_round_trip(exported: Exported, openai_api: OpenAIAPI) -> tuple[Any, ToolCall]:
    """Ask, run the tool the model asked for in a GenAI ``execute_tool`` span, ask again."""
    turn, call, _ = tool_round_trip(exported, openai_api, session=SESSION, tool_span=_execute_tool_span)
    return turn, call


def test_tool_call_and_follow_up_are_two_priced_calls_around_a_tool_span(
    instrumented: Exported, openai_api: OpenAIAPI
) -> None:
    turn, _ = _tool_round_trip(instrumented, openai_api)

    tree = instrumented.trace(trace_id_of(turn), spans=4)
    asking, answering = named(tree, "chat gpt-4o-mini")
    (root,) = named(tree, "turn")
    (tool,) = named(tree, "execute_tool get_weather")
    first_call = openai_call(asking, model="gpt-4o-mini-2024-07-18", usage={"input": 150, "output": 20})
    second_call = openai_call(answering, model="gpt-4o-mini-2024-07-18", usage={"input": 190, "output": 12})
    assert priced_facts(asking) == first_call
    assert priced_facts(answering) == second_call
    assert tool["kind"] == "tool"
    assert asking["start_ns"] < tool["start_ns"] < answering["start_ns"]
    assert Decimal(tree["cost"]) == first_call["cost"] + second_call["cost"] == costs(tree)
    assert Decimal(root["subtree_cost"]["total"]) == Decimal(tree["cost"])
    assert not [node["span_id"] for node in tree["spans"] if node["duplicate_of"]]


def test_embeddings_are_an_embedding_span_priced_by_input_tokens(
    instrumented: Exported, openai_api: OpenAIAPI
) -> None:
    turn, _ = embed(instrumented, openai_api, session=SESSION)

    tree = instrumented.trace(trace_id_of(turn), spans=2)
    embedding = by_name(tree)["embeddings text-embedding-3-small"]
    expected = openai_call(embedding, model="text-embedding-3-small", usage={"input": 6}, kind="embedding")
    assert priced_facts(embedding) == expected
    assert Decimal(tree["cost"]) == expected["cost"]


def test_reasoning_model_costs_the_same_without_a_reasoning_breakdown(
    instrumented: Exported, openai_api: OpenAIAPI
) -> None:
    turn = reason(instrumented, openai_api, session=SESSION)

    tree = instrumented.trace(trace_id_of(turn), spans=2)
    llm = by_name(tree)["chat o4-mini"]
    # Reasoning is billed at the output rate and is inside completion_tokens, so the price is exact.
    expected = openai_call(llm, model="o4-mini-2025-04-16", usage={"input": 500, "output": 900})
    assert priced_facts(llm) == expected
    assert Decimal(tree["cost"]) == expected["cost"]


def test_captured_messages_become_the_span_input_and_output(
    capturing: Exported, openai_api: OpenAIAPI
) -> None:
    turn = ask_with_cached_prompt(capturing, openai_api, session=SESSION)

    tree = capturing.trace(trace_id_of(turn), spans=2)
    llm = by_name(tree)["chat gpt-4o-mini"]
    assert priced_facts(llm) == openai_call(
        llm, model="gpt-4o-mini-2024-07-18", usage={"input": 1200, "output": 80}
    )
    assert "Be brief." in llm["input"] and "Why is a cached prompt cheaper?" in llm["input"]
    assert "Cached prompts are cheaper." in llm["output"]
    assert "gen_ai.input.messages" not in llm["attributes"]
    assert "gen_ai.output.messages" not in llm["attributes"]


def test_captured_tool_call_and_tool_result_are_in_output_and_input(
    capturing: Exported, openai_api: OpenAIAPI
) -> None:
    turn, call = _tool_round_trip(capturing, openai_api)

    tree = capturing.trace(trace_id_of(turn), spans=4)
    asking, answering = named(tree, "chat gpt-4o-mini")
    assert "get_weather" in asking["output"] and call.id in asking["output"]
    assert "sunny" in answering["input"] and call.id in answering["input"]
    assert "It is sunny in Paris." in answering["output"]
    assert Decimal(tree["cost"]) == costs(tree) > 0


def test_captured_prompts_are_attributed_by_source_with_tiktoken_counts(
    capturing: Exported, openai_api: OpenAIAPI
) -> None:
    turn, call = _tool_round_trip(capturing, openai_api)

    first, second = prompt_turns(capturing, trace_id_of(turn))

    question = reference_count("What is the weather in Paris?")
    assert first["sources"] == attributed({"user": question}, 150)
    assert first["method"] == "tokenizer:o200k_base" and first["history_tokens"] == 0
    # The answer's prompt carries the question and the call (history) and the tool's result (new).
    requested = reference_count("get_weather" + json.dumps(call.arguments))
    expected = {"user": question, "assistant": requested, "tool:get_weather": reference_count("sunny")}
    assert second["sources"] == attributed(expected, 190)
    assert second["history_tokens"] == question + requested
