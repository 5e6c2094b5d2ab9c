"""Pydantic Logfire's and pydantic-ai's own attributes, beside the GenAI names both write, through
``normalize`` (logfire-sdk 5.4, pydantic-ai-slim 2.68).

The Logfire table ranks below the GenAI ones: where both describe a field, GenAI wins, and Logfire's raw
``request_data`` / ``response_data`` or pydantic-ai's message dumps are the input and output only when no
GenAI message attribute is there.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from raw_spans import normalized
from tokentrail.model import SpanKind
from tokentrail.semconv.enrich import enrich

INPUT_MESSAGES = [{"role": "user", "parts": [{"type": "text", "content": "Is it sunny in Lisbon?"}]}]
OUTPUT_MESSAGES = [
    {"role": "assistant", "parts": [{"type": "text", "content": "Yes."}], "finish_reason": "stop"}
]


def test_pydantic_ai_chat_span_as_pydantic_ai_2_68_exports_it() -> None:
    span = normalized(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "anthropic",
            "gen_ai.system": "anthropic",
            "gen_ai.request.model": "claude-haiku-4-5",
            "gen_ai.response.model": "claude-haiku-4-5-20251001",
            "gen_ai.response.id": "msg_01XFDUDYJgAACzvnptvVoYEL",
            "gen_ai.usage.input_tokens": 2060,  # input + cache read + cache write
            "gen_ai.usage.output_tokens": 40,
            "gen_ai.usage.cache_read.input_tokens": 2048,
            "gen_ai.usage.cache_creation.input_tokens": 0,
            "gen_ai.usage.details.cache_read_tokens": 2048,
            "gen_ai.usage.details.cache_write_tokens": 0,
            "gen_ai.usage.details.input_tokens": 12,
            "operation.cost": 0.000414,
            "gen_ai.input.messages": json.dumps(INPUT_MESSAGES),
            "gen_ai.output.messages": json.dumps(OUTPUT_MESSAGES),
            "logfire.msg": "chat claude-haiku-4-5",
            "logfire.span_type": "span",
        },
        name="chat claude-haiku-4-5",
        scope_name="pydantic-ai",
    )
    assert span.kind is SpanKind.LLM
    assert span.provider == "anthropic"
    assert (span.request_model, span.response_model) == ("claude-haiku-4-5", "claude-haiku-4-5-20251001")
    assert span.usage == {"input": 2060, "output": 40, "cache_read": 2048}
    assert span.reported_cost == {"total": Decimal("0.000414")}
    assert json.loads(span.input) == INPUT_MESSAGES
    assert json.loads(span.output) == OUTPUT_MESSAGES
    assert span.attributes == {
        "gen_ai.usage.details.input_tokens": "12",  # a provider detail with no canonical type
        "logfire.msg": "chat claude-haiku-4-5",
        "logfire.span_type": "span",
    }


def test_logfire_openai_integration_span_as_logfire_5_4_exports_it() -> None:
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
    response = {"message": {"role": "assistant", "content": "Hello"}, "usage": {"prompt_tokens": 1200}}
    span = normalized(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.usage.input_tokens": 1200,
            "gen_ai.usage.output_tokens": 80,
            "gen_ai.usage.cache_read.input_tokens": 1000,
            "gen_ai.usage.raw": '{"prompt_tokens": 1200, "completion_tokens": 80}',
            "operation.cost": 0.000222,
            "logfire.tags": ["support"],
            "request_data": json.dumps(request),
            "response_data": json.dumps(response),
            "logfire.msg_template": "Chat Completion with {request_data[model]!r}",
        },
        scope_name="logfire.openai",
    )
    assert span.kind is SpanKind.LLM
    assert (span.provider, span.model) == ("openai", "gpt-4o-mini-2024-07-18")
    assert span.usage == {"input": 1200, "output": 80, "cache_read": 1000}
    assert span.reported_cost == {"total": Decimal("0.000222")}
    assert span.tags == ["support"]
    assert json.loads(span.input) == request
    assert json.loads(span.output) == response
    assert span.attributes["response_data"] == json.dumps(response)  # kept for its usage, see enrich
    assert {k: v for k, v in span.attributes.items() if k != "response_data"} == {
        "gen_ai.usage.raw": '{"prompt_tokens": 1200, "completion_tokens": 80}',
        "logfire.msg_template": "Chat Completion with {request_data[model]!r}",
    }


@pytest.mark.parametrize(
    ("key", "usage_type"),
    [
        ("cache_read_tokens", "cache_read"),
        ("cache_write_tokens", "cache_write"),
        ("reasoning_tokens", "reasoning"),
        ("input_audio_tokens", "audio_in"),
        ("output_audio_tokens", "audio_out"),
        # Gemini through pydantic-ai's GoogleModel.
        ("thoughts_tokens", "reasoning"),
        ("cached_content_tokens", "cache_read"),
        ("audio_prompt_tokens", "audio_in"),
        ("image_prompt_tokens", "image_in"),
        ("audio_candidates_tokens", "audio_out"),
    ],
)
def test_usage_details_keys_map_to_canonical_parts(key: str, usage_type: str) -> None:
    span = normalized({f"gen_ai.usage.details.{key}": 30})
    assert span.usage == {usage_type: 30}


def test_genai_cache_counts_win_over_the_details_copies() -> None:
    span = normalized(
        {
            "gen_ai.usage.cache_read.input_tokens": 2048,
            "gen_ai.usage.details.cache_read_tokens": 1,
            "gen_ai.usage.cache_creation.input_tokens": 512,
            "gen_ai.usage.details.cache_write_tokens": 1,
        }
    )
    assert span.usage == {"cache_read": 2048, "cache_write": 512}


def test_reasoning_is_read_from_the_details_when_genai_has_no_count() -> None:
    span = normalized(
        {
            "gen_ai.usage.input_tokens": 500,
            "gen_ai.usage.output_tokens": 900,
            "gen_ai.usage.details.reasoning_tokens": 768,
        }
    )
    assert span.usage == {"input": 500, "output": 900, "reasoning": 768}


def test_operation_cost_is_the_total_and_wins_over_the_general_cost_name() -> None:
    span = normalized({"operation.cost": 0.2, "gen_ai.usage.cost": 0.3})
    assert span.reported_cost == {"total": Decimal("0.2")}
    assert span.attributes == {}


@pytest.mark.parametrize(
    ("attribute", "field"),
    [
        ("request_data", "input"),
        ("pydantic_ai.all_messages", "input"),
        ("response_data", "output"),
        ("final_result", "output"),
    ],
)
def test_raw_request_response_and_message_dumps_are_the_payloads(attribute: str, field: str) -> None:
    span = normalized({attribute: '{"x": 1}'})
    assert getattr(span, field) == '{"x": 1}'
    # response_data is also kept raw: outranked by gen_ai.output.messages, its usage is still read.
    assert span.attributes == ({attribute: '{"x": 1}'} if attribute == "response_data" else {})


def test_request_data_wins_over_the_message_dump() -> None:
    span = normalized({"request_data": "request", "pydantic_ai.all_messages": "messages"})
    assert span.input == "request"


def test_agent_run_span_keeps_its_cost_raw_and_states_no_usage_of_its_own() -> None:
    messages = '[{"role": "user", "parts": [{"type": "text", "content": "Is it sunny?"}]}]'
    span = normalized(
        {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "weather_agent",
            "gen_ai.conversation.id": "conv-7",
            "gen_ai.aggregated_usage.input_tokens": 4120,
            "gen_ai.aggregated_usage.output_tokens": 52,
            "operation.cost": 0.0021,
            "pydantic_ai.all_messages": messages,
            "final_result": "Yes, sunny.",
        },
        name="invoke_agent weather_agent",
    )
    assert span.kind is SpanKind.AGENT
    assert (span.usage, span.reported_cost) == ({}, {})
    assert span.session_id == "conv-7"
    assert (span.input, span.output) == (messages, "Yes, sunny.")
    assert span.attributes == {
        "gen_ai.agent.name": "weather_agent",
        "gen_ai.aggregated_usage.input_tokens": "4120",
        "gen_ai.aggregated_usage.output_tokens": "52",
        "operation.cost": "0.0021",
    }


# -- Logfire beside GenAI ----------------------------------------------------------------------------------


def test_genai_messages_win_over_request_and_response_data() -> None:
    span = normalized(
        {
            "request_data": '{"messages": [{"role": "user", "content": "raw"}]}',
            "gen_ai.input.messages": json.dumps(INPUT_MESSAGES),
            "response_data": '{"message": {"content": "raw"}}',
            "gen_ai.output.messages": json.dumps(OUTPUT_MESSAGES),
        }
    )
    assert json.loads(span.input) == INPUT_MESSAGES
    assert json.loads(span.output) == OUTPUT_MESSAGES


def test_genai_system_instructions_are_not_folded_into_logfire_request_data() -> None:
    # Instructions join only an input written by their own convention; request_data has its own shape.
    instructions = json.dumps([{"type": "text", "content": "Be brief."}])
    span = normalized({"request_data": '{"messages": []}', "gen_ai.system_instructions": instructions})
    assert span.input == '{"messages": []}'
    assert span.attributes == {"gen_ai.system_instructions": instructions}


def test_response_data_outranked_by_genai_output_still_yields_the_calls_usage() -> None:
    # tokentrail.semconv.enrich reads usage from the raw attribute response_data when the span's
    # attributes state none (enrich.PAYLOAD_ATTRIBUTES). But the Logfire table claims response_data as
    # the output without keep=True, so once gen_ai.output.messages outranks it, it is dropped: it is
    # neither the output nor a raw attribute, and the usage it carries is lost.
    response = {
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "model": "gpt-4o-mini-2024-07-18",
        "message": {"role": "assistant", "content": "Yes."},
        "usage": {
            "prompt_tokens": 1200,
            "completion_tokens": 80,
            "total_tokens": 1280,
            "prompt_tokens_details": {"cached_tokens": 1000},
        },
    }
    span = normalized(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.output.messages": json.dumps(OUTPUT_MESSAGES),
            "response_data": json.dumps(response),
        }
    )
    enrich(span)
    assert span.usage == {"input": 1200, "output": 80, "cache_read": 1000}
    assert span.usage_source == dict.fromkeys(span.usage, "payload")


def test_a_gemini_call_through_pydantic_ai_keeps_its_thinking_and_cache_counts() -> None:
    span = normalized(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "google",
            "gen_ai.request.model": "gemini-2.5-flash",
            "gen_ai.usage.input_tokens": 3000,
            "gen_ai.usage.output_tokens": 700,  # candidates and thoughts
            "gen_ai.usage.cache_read.input_tokens": 2048,
            "gen_ai.usage.details.cached_content_tokens": 2048,
            "gen_ai.usage.details.cache_read_tokens": 2048,
            "gen_ai.usage.details.thoughts_tokens": 500,
            "gen_ai.usage.details.text_prompt_tokens": 3000,
        }
    )
    assert span.provider == "gcp.gemini"
    assert span.usage == {"input": 3000, "output": 700, "cache_read": 2048, "reasoning": 500}
    assert span.attributes == {"gen_ai.usage.details.text_prompt_tokens": "3000"}


def test_a_session_id_logfire_scrubbed_is_no_session_and_the_conversation_id_counts() -> None:
    # Logfire's default scrubbing matches "session" in the attribute's name.
    span = normalized(
        {"session.id": "[Scrubbed due to 'session']", "gen_ai.conversation.id": "conv-1", "user.id": "u-1"}
    )
    assert (span.session_id, span.user_id) == ("conv-1", "u-1")
    assert span.attributes["session.id"] == "[Scrubbed due to 'session']"
