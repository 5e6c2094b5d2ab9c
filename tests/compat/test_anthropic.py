"""The anthropic SDK's own OpenTelemetry spans (on whenever a global tracer provider is set), and
OpenInference's Anthropic instrumentor on top of them, against the stand-in Messages API.

The Messages API counts cached tokens apart from ``input_tokens``; the SDK's ``gen_ai.usage.input_tokens``
is already their sum, with ``gen_ai.usage.cache_write.input_tokens`` and ``...cache_read.input_tokens``."""

# ruff: noqa: F811 (the stand-in's pytest fixture is imported, then named by the tests that use it)
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from openinference.instrumentation.anthropic import AnthropicInstrumentor
from tests.compat.expected import anthropic_cost, anthropic_usage, prompt_turns

from prices import MTOK, per_mtok
from providers.anthropic_api import AnthropicAPI, Reply, ToolUse, anthropic_api  # noqa: F401

if TYPE_CHECKING:
    from tests.compat.conftest import Exported

MODEL = "claude-haiku-4-5"  # flat per-token prices (claude-sonnet-4-5 has long-context tiers)
SERVED = "claude-haiku-4-5-20251001"
SYSTEM = [
    {"type": "text", "text": "You answer questions about weather.", "cache_control": {"type": "ephemeral"}}
]
QUESTION = [{"role": "user", "content": "Is it sunny in Lisbon?"}]

WRITE = Reply(model=SERVED, input_tokens=12, cache_creation_input_tokens=2048, output_tokens=40)
READ = Reply(model=SERVED, input_tokens=7, cache_read_input_tokens=2048, output_tokens=30)


_usage = anthropic_usage


def _cost(reply: Reply, when_ns: int) -> Decimal:
    return anthropic_cost(MODEL, reply, when_ns)


def _llm_spans(tree: dict[str, Any]) -> list[dict[str, Any]]:
    return [node for node in tree["spans"] if node["kind"] == "llm"]


def _assert_native_call(node: dict[str, Any], reply: Reply, when_ns: int) -> None:
    assert node["name"] == "anthropic.messages.create"
    assert node["kind"] == "llm"
    assert node["provider"] == "anthropic"
    assert node["request_model"] == MODEL
    assert node["response_model"] == SERVED
    assert node["usage"] == _usage(reply)
    assert node["cost"]["origin"] == "inferred"
    assert node["cost"]["unpriced_reason"] is None
    assert Decimal(node["cost"]["total"]) == _cost(reply, when_ns)
    assert node["duplicate_of"] is None


@pytest.fixture
def openinference(exported: Exported) -> Iterator[None]:
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=exported.provider)
    try:
        yield
    finally:
        instrumentor.uninstrument()


def test_native_spans_count_cache_writes_and_reads_inside_input_and_price_each_part(
    exported: Exported, anthropic_api: AnthropicAPI
) -> None:
    anthropic_api.reply(WRITE, READ)
    client = anthropic_api.client()
    started = time.time_ns()
    with exported.provider.get_tracer("weather-app").start_as_current_span("conversation"):
        client.messages.create(model=MODEL, max_tokens=256, system=SYSTEM, messages=QUESTION)
        client.messages.create(model=MODEL, max_tokens=256, system=SYSTEM, messages=QUESTION)

    tree = exported.only_trace(spans=3)

    root, writer, reader = tree["spans"]
    assert root["name"] == "conversation"
    assert [writer["parent_span_id"], reader["parent_span_id"]] == [root["span_id"]] * 2
    _assert_native_call(writer, WRITE, started)
    _assert_native_call(reader, READ, started)
    prices = per_mtok(MODEL, "anthropic", started)
    assert Decimal(writer["cost"]["by_type"]["cache_write"]) == 2048 * prices["cache_write_mtok"] / MTOK
    assert Decimal(writer["cost"]["by_type"]["input"]) == 12 * prices["input_mtok"] / MTOK
    assert Decimal(reader["cost"]["by_type"]["cache_read"]) == 2048 * prices["cache_read_mtok"] / MTOK
    assert Decimal(tree["cost"]) == _cost(WRITE, started) + _cost(READ, started)
    (row,) = exported.server.get("/api/v1/traces").json()["traces"]
    assert row["usage"] == {"input": 2060 + 2055, "output": 70, "cache_write": 2048, "cache_read": 2048}


def test_streamed_calls_take_their_usage_from_message_start_and_the_cumulative_message_delta(
    exported: Exported, anthropic_api: AnthropicAPI
) -> None:
    anthropic_api.reply(WRITE, READ)
    client = anthropic_api.client()
    started = time.time_ns()
    with exported.provider.get_tracer("weather-app").start_as_current_span("conversation"):
        with client.messages.stream(model=MODEL, max_tokens=256, system=SYSTEM, messages=QUESTION) as stream:
            text = "".join(stream.text_stream)
        for _event in client.messages.create(
            model=MODEL, max_tokens=256, system=SYSTEM, messages=QUESTION, stream=True
        ):
            pass

    tree = exported.only_trace(spans=3)

    assert text == WRITE.text
    _, writer, reader = tree["spans"]
    _assert_native_call(writer, WRITE, started)
    _assert_native_call(reader, READ, started)
    assert writer["attributes"]["gen_ai.request.stream"] == "true"
    assert Decimal(tree["cost"]) == _cost(WRITE, started) + _cost(READ, started)


def test_one_hour_cache_writes_are_priced_at_the_one_hour_rate(
    exported: Exported, anthropic_api: AnthropicAPI
) -> None:
    # 2048 tokens written: 512 for 5 minutes, 1536 for an hour (billed at 2x the input rate, not 1.25x).
    reply = Reply(model=SERVED, input_tokens=20, cache_creation_input_tokens=2048, cache_creation_1h=1536)
    anthropic_api.reply(reply)
    started = time.time_ns()

    anthropic_api.client().messages.create(model=MODEL, max_tokens=256, system=SYSTEM, messages=QUESTION)

    (node,) = exported.only_trace(spans=1)["spans"]
    assert node["usage"] == _usage(reply)
    assert node["usage"]["cache_write_1h"] == 1536
    assert Decimal(node["cost"]["total"]) == _cost(reply, started)


def test_content_mode_records_the_messages_and_tool_calls_as_the_spans_input_and_output(
    exported: Exported, anthropic_api: AnthropicAPI
) -> None:
    weather = ToolUse("get_weather", {"city": "Lisbon"})
    anthropic_api.reply(Reply(model=SERVED, text="Let me check.", tool_uses=[weather]))
    client = anthropic_api.client(open_telemetry={"traces": {"content_mode": "content"}})

    with client.messages.stream(model=MODEL, max_tokens=256, system=SYSTEM, messages=QUESTION) as stream:
        message = stream.get_final_message()

    (node,) = exported.only_trace(spans=1)["spans"]
    assert message.stop_reason == "tool_use"
    assert "Is it sunny in Lisbon?" in node["input"]
    assert "Let me check." in node["output"]
    assert "get_weather" in node["output"] and weather.id in node["output"]


def test_without_content_mode_the_native_span_carries_no_messages(
    exported: Exported, anthropic_api: AnthropicAPI
) -> None:
    anthropic_api.reply(Reply(model=SERVED))

    anthropic_api.client().messages.create(model=MODEL, max_tokens=256, messages=QUESTION)

    (node,) = exported.only_trace(spans=1)["spans"]
    assert not node["input"] and not node["output"]
    assert not any(key.startswith(("gen_ai.input", "gen_ai.output")) for key in node["attributes"])
    # The SDK propagates the trace context of its span to the API.
    (request,) = anthropic_api.requests
    assert request.headers["traceparent"].split("-")[2] == node["span_id"]


def test_openinference_over_the_sdk_counts_each_call_once_and_keeps_the_innermost_span(
    exported: Exported, anthropic_api: AnthropicAPI, openinference: None
) -> None:
    anthropic_api.reply(WRITE, READ)
    client = anthropic_api.client()
    started = time.time_ns()
    with exported.provider.get_tracer("weather-app").start_as_current_span("conversation"):
        client.messages.create(model=MODEL, max_tokens=256, system=SYSTEM, messages=QUESTION)
        for _event in client.messages.create(
            model=MODEL, max_tokens=256, system=SYSTEM, messages=QUESTION, stream=True
        ):
            pass

    tree = exported.only_trace(spans=5)

    # OpenInference's span ("messages.create", scope openinference.instrumentation.anthropic) is the
    # parent of the SDK's ("anthropic.messages.create"): the same call, seen by two layers.
    root, outer_write, inner_write, outer_read, inner_read = tree["spans"]
    assert root["name"] == "conversation"
    for outer, inner, reply in ((outer_write, inner_write, WRITE), (outer_read, inner_read, READ)):
        assert outer["name"] == "messages.create" and outer["kind"] == "llm"
        assert inner["parent_span_id"] == outer["span_id"]
        _assert_native_call(inner, reply, started)
        assert outer["usage"] == _usage(reply)
        assert outer["response_model"] == SERVED
        assert outer["duplicate_of"] == inner["span_id"]
        assert outer["duplicate_reason"]
        assert Decimal(outer["subtree_cost"]["total"]) == _cost(reply, started)
    assert Decimal(tree["cost"]) == _cost(WRITE, started) + _cost(READ, started)
    (row,) = exported.server.get("/api/v1/traces").json()["traces"]
    assert Decimal(row["cost"]) == Decimal(tree["cost"])
    assert row["usage"] == {"input": 2060 + 2055, "output": 70, "cache_write": 2048, "cache_read": 2048}


def test_openinference_stream_helper_span_beside_the_sdk_span_still_counts_the_call_once(
    exported: Exported, anthropic_api: AnthropicAPI, openinference: None
) -> None:
    # OpenInference wraps ``messages.stream`` without making its span current while the SDK sends the
    # request, so both layers' spans are children of the app's span. The call is still one call: the SDK
    # span's gen_ai.response.id is the id in OpenInference's output.value.
    anthropic_api.reply(READ)
    client = anthropic_api.client()
    started = time.time_ns()
    tracer = exported.provider.get_tracer("weather-app")
    with (
        tracer.start_as_current_span("conversation"),
        client.messages.stream(model=MODEL, max_tokens=256, messages=QUESTION) as stream,
    ):
        stream.until_done()

    tree = exported.only_trace(spans=3)

    root, *layers = tree["spans"]
    assert {node["name"] for node in layers} == {"messages.stream", "anthropic.messages.create"}
    assert all(node["parent_span_id"] == root["span_id"] for node in layers)
    assert all(node["usage"] == _usage(READ) for node in layers)
    assert sorted(bool(node["duplicate_of"]) for node in layers) == [False, True]
    assert Decimal(tree["cost"]) == _cost(READ, started)


def test_content_mode_prompts_are_attributed_by_source_in_proportion_to_characters(
    exported: Exported, anthropic_api: AnthropicAPI
) -> None:
    """No tokenizer of Anthropic's is available offline: the reported prompt tokens (cache reads
    included) are shared between the sources in proportion to their characters, and say so."""
    weather = ToolUse("get_weather", {"city": "Lisbon"})
    anthropic_api.reply(READ)
    client = anthropic_api.client(open_telemetry={"traces": {"content_mode": "content"}})
    result = "sunny, 24 C, light wind"
    conversation = [
        *QUESTION,
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": weather.id, "name": weather.name, "input": weather.input},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": weather.id, "content": result}]},
    ]

    client.messages.create(model=MODEL, max_tokens=256, system=SYSTEM, messages=conversation)

    tree = exported.only_trace(spans=1)
    (node,) = tree["spans"]
    (turn,) = prompt_turns(exported, tree["trace_id"])
    characters = {
        "system": len(SYSTEM[0]["text"]),
        "user": len(QUESTION[0]["content"]),
        "assistant": len("Let me check.") + len(weather.name + json.dumps(weather.input)),
        "tool:get_weather": len(result),
    }
    reported = node["usage"]["input"]
    assert turn["method"] == "chars" and turn["tokens"] == reported == 7 + 2048
    assert set(turn["sources"]) == set(characters)
    whole = sum(characters.values())
    for source, count in characters.items():
        assert abs(turn["sources"][source] * whole - reported * count) < whole  # within a token of its share
    assert turn["history_tokens"] == turn["sources"]["user"] + turn["sources"]["assistant"]
