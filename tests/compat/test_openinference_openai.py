"""openinference-instrumentation-openai over the real ``openai`` client and a stand-in OpenAI API, exported
over OTLP to a live server: each call normalized (kind, provider, model, usage by type), priced once, and
the session and user taken from the app's root span."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from openinference.instrumentation.openai import OpenAIInstrumentor
from tests.compat.conftest import Exported, by_name, trace_id_of
from tests.compat.expected import (
    attributed,
    costs,
    named,
    nonzero,
    openai_call,
    priced_facts,
    prompt_turns,
    trace_row,
)
from tests.compat.openai_scenarios import (
    ask_with_cached_prompt,
    embed,
    instrumenting,
    reason,
    stream_a_short_answer,
    tool_round_trip,
    turn,
)

from prices import MTOK, per_mtok
from providers import openai_api as stand_in
from providers.openai_api import OpenAIAPI, Reply
from tiktoken_reference import reference_count

openai_api = stand_in.openai_api  # the stand-in OpenAI API, as this module's fixture

SESSION = "s-oi"


@pytest.fixture
def instrumented(exported: Exported) -> Iterator[Exported]:
    """The openai client instrumented by OpenInference for this test only."""
    with instrumenting(OpenAIInstrumentor(), exported):
        yield exported


def test_chat_completion_with_cached_prompt_tokens_is_priced_at_the_cache_read_rate(
    instrumented: Exported, openai_api: OpenAIAPI
) -> None:
    turn = ask_with_cached_prompt(instrumented, openai_api, session="s-oi-chat")

    tree = instrumented.trace(trace_id_of(turn), spans=2)
    nodes = by_name(tree)
    root, llm = nodes["turn"], nodes["ChatCompletion"]

    usage = {"input": 1200, "output": 80, "cache_read": 1000}
    expected = openai_call(llm, model="gpt-4o-mini-2024-07-18", usage=usage)
    assert priced_facts(llm) == expected
    prices = per_mtok("gpt-4o-mini", "openai", llm["start_ns"])
    assert {key: Decimal(value) for key, value in llm["cost"]["by_type"].items()} == {
        "input": 200 * prices["input_mtok"] / MTOK,
        "cache_read": 1000 * prices["cache_read_mtok"] / MTOK,
        "output": 80 * prices["output_mtok"] / MTOK,
    }
    assert llm["cost"]["price_source"] == "genai-prices:openai/gpt-4o-mini"
    assert llm["parent_span_id"] == root["span_id"]
    assert "Why is a cached prompt cheaper?" in llm["input"]
    assert "Cached prompts are cheaper." in llm["output"]
    assert Decimal(tree["cost"]) == Decimal(root["subtree_cost"]["total"]) == expected["cost"]
    assert nonzero(root["subtree_usage"]) == usage
    row = trace_row(instrumented, tree["trace_id"])
    assert (row["session_id"], row["user_id"]) == ("s-oi-chat", "ana@example.com")
    assert Decimal(row["cost"]) == expected["cost"]
    assert row["models"] == ["gpt-4o-mini-2024-07-18"]
    session = instrumented.server.get("/api/v1/sessions/s-oi-chat").json()
    assert Decimal(session["cost"]) == expected["cost"]


def test_streamed_chat_completion_takes_its_usage_from_the_final_chunk(
    instrumented: Exported, openai_api: OpenAIAPI
) -> None:
    turn, text = stream_a_short_answer(instrumented, openai_api, session=SESSION)

    assert text == "Streamed, chunk by chunk."
    assert openai_api.requests[0].body["stream_options"] == {"include_usage": True}
    tree = instrumented.trace(trace_id_of(turn), spans=2)
    llm = by_name(tree)["ChatCompletion"]
    expected = openai_call(
        llm, model="gpt-4o-mini-2024-07-18", usage={"input": 300, "output": 40, "cache_read": 128}
    )
    assert priced_facts(llm) == expected
    assert "Stream a short answer." in llm["input"]
    assert "Streamed, chunk by chunk." in llm["output"]
    assert [event["name"] for event in llm["events"]] == ["First Token Stream Event"]
    assert Decimal(tree["cost"]) == expected["cost"]


def _tool_span(requested: Any) -> tuple[str, dict[str, Any]]:
    """The app runs the tool in its own span, as an OpenInference-instrumented app would."""
    attributes = {
        "openinference.span.kind": "TOOL",
        "tool.name": "get_weather",
        "input.value": requested.function.arguments,
        "output.value": "sunny",
    }
    return "get_weather", attributes


def test_tool_call_and_follow_up_are_two_priced_calls_around_a_tool_span(
    instrumented: Exported, openai_api: OpenAIAPI
) -> None:
    turn, call, requested = tool_round_trip(instrumented, openai_api, session=SESSION, tool_span=_tool_span)

    assert requested.id == call.id and requested.function.name == "get_weather"
    tree = instrumented.trace(trace_id_of(turn), spans=4)
    asking, answering = named(tree, "ChatCompletion")
    (root,) = named(tree, "turn")
    (tool,) = named(tree, "get_weather")
    first_call = openai_call(asking, model="gpt-4o-mini-2024-07-18", usage={"input": 150, "output": 20})
    second_call = openai_call(answering, model="gpt-4o-mini-2024-07-18", usage={"input": 190, "output": 12})
    assert priced_facts(asking) == first_call
    assert priced_facts(answering) == second_call
    assert "get_weather" in asking["output"] and call.id in asking["output"]
    assert "sunny" in answering["input"] and call.id in answering["input"]
    assert tool["kind"] == "tool"
    assert (tool["input"], tool["output"]) == ('{"city": "Paris"}', "sunny")
    assert asking["start_ns"] < tool["start_ns"] < answering["start_ns"]
    assert Decimal(tree["cost"]) == first_call["cost"] + second_call["cost"] == costs(tree)
    assert Decimal(root["subtree_cost"]["total"]) == Decimal(tree["cost"])
    assert not [node["span_id"] for node in tree["spans"] if node["duplicate_of"]]


def test_embeddings_are_an_embedding_span_priced_by_input_tokens(
    instrumented: Exported, openai_api: OpenAIAPI
) -> None:
    turn, result = embed(instrumented, openai_api, session=SESSION)

    assert len(result.data[0].embedding) == 4
    tree = instrumented.trace(trace_id_of(turn), spans=2)
    embedding = by_name(tree)["CreateEmbeddings"]
    expected = openai_call(embedding, model="text-embedding-3-small", usage={"input": 6}, kind="embedding")
    assert priced_facts(embedding) == expected
    assert "tokentrail stores traces" in embedding["input"]
    assert Decimal(tree["cost"]) == expected["cost"]


def test_reasoning_tokens_are_part_of_output_and_priced_at_the_output_rate(
    instrumented: Exported, openai_api: OpenAIAPI
) -> None:
    turn = reason(instrumented, openai_api, session=SESSION)

    tree = instrumented.trace(trace_id_of(turn), spans=2)
    llm = by_name(tree)["ChatCompletion"]
    usage = {"input": 500, "output": 900, "reasoning": 768}
    expected = openai_call(llm, model="o4-mini-2025-04-16", usage=usage)
    assert priced_facts(llm) == expected
    prices = per_mtok("o4-mini", "openai", llm["start_ns"])
    assert expected["cost"] == (500 * prices["input_mtok"] + 900 * prices["output_mtok"]) / MTOK
    assert Decimal(tree["cost"]) == expected["cost"]
    assert nonzero(trace_row(instrumented, tree["trace_id"])["usage"]) == usage


@pytest.mark.parametrize("stream", [False, True], ids=["response", "event-stream"])
def test_responses_api_call_with_cache_and_reasoning_is_priced_once(
    instrumented: Exported, openai_api: OpenAIAPI, stream: bool
) -> None:
    openai_api.reply(
        Reply(
            text="Answered through the Responses API.",
            model="o4-mini-2025-04-16",
            prompt_tokens=2000,
            completion_tokens=300,
            cached_tokens=1500,
            reasoning_tokens=200,
        )
    )
    with turn(instrumented, SESSION) as root:
        client = openai_api.client()
        if stream:
            for _event in client.responses.create(
                model="o4-mini", input="Use the Responses API.", stream=True
            ):
                pass
        else:
            client.responses.create(model="o4-mini", input="Use the Responses API.", instructions="Be brief.")

    tree = instrumented.trace(trace_id_of(root), spans=2)
    llm = by_name(tree)["Response"]
    usage = {"input": 2000, "output": 300, "cache_read": 1500, "reasoning": 200}
    expected = openai_call(llm, model="o4-mini-2025-04-16", usage=usage)
    assert priced_facts(llm) == expected
    assert "Use the Responses API." in llm["input"]
    assert "Answered through the Responses API." in llm["output"]
    assert Decimal(tree["cost"]) == expected["cost"]


def test_captured_prompts_are_attributed_by_source_with_tiktoken_counts(
    instrumented: Exported, openai_api: OpenAIAPI
) -> None:
    turn, call, _ = tool_round_trip(instrumented, openai_api, session=SESSION, tool_span=_tool_span)

    first, second = prompt_turns(instrumented, trace_id_of(turn))

    question = reference_count("What is the weather in Paris?")
    assert first["sources"] == attributed({"user": question}, 150)
    requested = reference_count("get_weather" + json.dumps(call.arguments))
    expected = {"user": question, "assistant": requested, "tool:get_weather": reference_count("sunny")}
    assert second["sources"] == attributed(expected, 190)
    assert second["method"] == "tokenizer:o200k_base"
