"""Token usage read from providers' raw responses, in each provider's real wire format."""

from __future__ import annotations

import json

import pytest

from tokentrail.semconv.payloads import COVERAGE, FORMATS, may_state_parts, usage_from_payload
from tokentrail.semconv.values import truncate


def _sse(*events: tuple[str, dict[str, object]]) -> str:
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)


OPENAI_CHAT = {
    "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    "object": "chat.completion",
    "model": "gpt-4o-2024-08-06",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
    "usage": {
        "prompt_tokens": 1200,
        "completion_tokens": 80,
        "total_tokens": 1280,
        "prompt_tokens_details": {"cached_tokens": 1000, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 30, "audio_tokens": 0},
    },
}

OPENAI_RESPONSES = {
    "id": "resp_67ccd2bed1ec8190b14f964abc054267",
    "object": "response",
    "model": "o4-mini-2025-04-16",
    "output": [{"id": "msg_67ccd2bf17f0", "type": "message", "role": "assistant", "content": []}],
    "usage": {
        "input_tokens": 2000,
        "input_tokens_details": {"cached_tokens": 1500},
        "output_tokens": 300,
        "output_tokens_details": {"reasoning_tokens": 200},
        "total_tokens": 2300,
    },
}

ANTHROPIC_MESSAGE = {
    "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
    "type": "message",
    "role": "assistant",
    "model": "claude-haiku-4-5-20251001",
    "content": [{"type": "text", "text": "Hi"}],
    "stop_reason": "end_turn",
    "usage": {
        "input_tokens": 20,
        "output_tokens": 40,
        "cache_creation_input_tokens": 2048,
        "cache_read_input_tokens": 100,
        "cache_creation": {"ephemeral_5m_input_tokens": 512, "ephemeral_1h_input_tokens": 1536},
    },
}

GEMINI = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}, "finishReason": "STOP"}],
    "usageMetadata": {
        "promptTokenCount": 100,
        "candidatesTokenCount": 50,
        "thoughtsTokenCount": 20,
        "cachedContentTokenCount": 40,
        "totalTokenCount": 170,
    },
    "modelVersion": "gemini-2.5-flash",
}

BEDROCK_CONVERSE = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Hi"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 2, "outputTokens": 5, "cacheWriteInputTokens": 1322, "totalTokens": 1329},
}


@pytest.mark.parametrize(
    ("payload", "usage", "parser", "model"),
    [
        pytest.param(
            OPENAI_CHAT,
            {"input": 1200, "output": 80, "cache_read": 1000, "reasoning": 30},
            "genai-prices:openai/chat",
            "gpt-4o-2024-08-06",
            id="openai chat: cached inside prompt, reasoning inside completion",
        ),
        pytest.param(
            OPENAI_RESPONSES,
            {"input": 2000, "output": 300, "cache_read": 1500, "reasoning": 200},
            "genai-prices:openai/responses",
            "o4-mini-2025-04-16",
            id="openai responses",
        ),
        pytest.param(
            ANTHROPIC_MESSAGE,
            {"input": 2168, "output": 40, "cache_read": 100, "cache_write": 2048, "cache_write_1h": 1536},
            "genai-prices:anthropic/default",
            "claude-haiku-4-5-20251001",
            id="anthropic: cache writes and reads outside input_tokens",
        ),
        pytest.param(
            GEMINI,
            {"input": 100, "output": 70, "cache_read": 40, "reasoning": 20},
            "genai-prices:google/default",
            "gemini-2.5-flash",
            id="gemini: thoughts outside candidates",
        ),
        pytest.param(
            BEDROCK_CONVERSE,
            {"input": 1324, "output": 5, "cache_write": 1322},
            "genai-prices:aws/default",
            "",
            id="bedrock converse: cache outside inputTokens",
        ),
    ],
)
def test_a_provider_response_yields_canonical_usage(
    payload: dict[str, object], usage: dict[str, int], parser: str, model: str
) -> None:
    found = usage_from_payload(json.dumps(payload))
    assert found is not None
    assert (found.usage, found.parser, found.model) == (usage, parser, model)


def test_a_usage_object_alone_is_read_by_its_format() -> None:
    found = usage_from_payload(json.dumps(ANTHROPIC_MESSAGE["usage"]))
    assert found is not None
    assert found.usage["input"] == 2168
    assert found.parser == "tokentrail:usage+genai-prices:anthropic/default"


def test_an_openai_stream_takes_the_usage_of_its_final_chunk() -> None:
    chunks = [
        {"id": "chatcmpl-1", "model": "gpt-4o-mini", "choices": [{"delta": {"content": "Hi"}}]},
        {
            "id": "chatcmpl-1",
            "model": "gpt-4o-mini",
            "choices": [],
            "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
        },
    ]
    sse = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"
    for payload in (sse, json.dumps(chunks)):
        found = usage_from_payload(payload)
        assert found is not None
        assert found.usage == {"input": 10, "output": 2}
        assert found.parser == "tokentrail:stream+genai-prices:openai/chat"


def test_an_anthropic_stream_lays_the_final_delta_over_message_start() -> None:
    sse = _sse(
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "model": "claude-haiku-4-5",
                    "usage": {"input_tokens": 20, "output_tokens": 1, "cache_read_input_tokens": 2048},
                },
            },
        ),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"text": "Hi"}}),
        ("message_delta", {"type": "message_delta", "delta": {}, "usage": {"output_tokens": 12}}),
        ("message_stop", {"type": "message_stop"}),
    )
    found = usage_from_payload(sse)
    assert found is not None
    # output 12 is the delta's cumulative count, not message_start's placeholder 1 added to it
    assert found.usage == {"input": 2068, "output": 12, "cache_read": 2048}
    assert found.model == "claude-haiku-4-5"


def test_a_stream_that_never_reached_its_usage_yields_none() -> None:
    chunk = {"id": "chatcmpl-1", "model": "gpt-4o-mini", "choices": [{"delta": {"content": "Hi"}}]}
    assert usage_from_payload(f"data: {json.dumps(chunk)}\n\n") is None


def test_a_truncated_payload_is_not_trusted() -> None:
    assert usage_from_payload(truncate(json.dumps(OPENAI_CHAT), 200)) is None


@pytest.mark.parametrize(
    "payload",
    ["", "hello tokens", "{not json", json.dumps({"tokens": 5}), json.dumps([1, 2]), "null"],
)
def test_text_without_a_usage_object_yields_none(payload: str) -> None:
    assert usage_from_payload(payload) is None


def test_negative_or_fractional_counts_are_refused() -> None:
    for bad in (-5, 1.5):
        body = {"usage": {"prompt_tokens": bad, "completion_tokens": 3}}
        assert usage_from_payload(json.dumps(body)) is None


def test_claude_on_bedrock_is_read_with_the_providers_own_anthropic_flavour() -> None:
    found = usage_from_payload(json.dumps(ANTHROPIC_MESSAGE), provider="aws.bedrock")
    assert found is not None
    assert found.parser == "genai-prices:aws/anthropic"
    assert found.usage["input"] == 2168


def test_the_coverage_table_names_a_parser_for_every_format_and_shape() -> None:
    assert set(COVERAGE) == {fmt.name for fmt in FORMATS}
    for shapes in COVERAGE.values():
        assert set(shapes) == {"response", "stream", "usage"}
        assert all("genai-prices:" in parser for parser in shapes.values())


def test_server_side_web_searches_are_counted_as_their_own_usage() -> None:
    body = {
        **ANTHROPIC_MESSAGE,
        "usage": {"input_tokens": 100, "output_tokens": 50, "server_tool_use": {"web_search_requests": 3}},
    }
    found = usage_from_payload(json.dumps(body))
    assert found is not None
    assert found.usage == {"input": 100, "output": 50, "web_search": 3}


def test_a_python_literal_is_read_as_data_and_code_is_never_run() -> None:
    literal = "{'prompt_tokens': 12, 'completion_tokens': 3, 'prompt_tokens_details': D(cached_tokens=8)}"
    found = usage_from_payload(literal)
    assert found is not None and found.usage == {"input": 12, "output": 3, "cache_read": 8}
    for code in (
        "{'prompt_tokens': __import__('os').getpid(), 'completion_tokens': 1}",
        "{'prompt_tokens': 1, 'completion_tokens': open('/etc/passwd')}",
        "{'prompt_tokens': 1, 'completion_tokens': x.y}",
        "{**{'prompt_tokens': 1}, 'completion_tokens': 2}",
    ):
        assert usage_from_payload(code) is None


@pytest.mark.parametrize(
    ("payload", "parts", "may"),
    [
        (
            '{"usage": {"prompt_tokens": 9, "prompt_tokens_details": {"cached_tokens": 0}}}',
            {"cache_read"},
            False,
        ),
        (
            '{"usage": {"prompt_tokens": 9, "prompt_tokens_details": {"cached_tokens": 8}}}',
            {"cache_read"},
            True,
        ),
        (
            '{"usage": {"prompt_tokens": 9, "prompt_tokens_details": {"cached_tokens": 8}}}',
            {"reasoning"},
            False,
        ),
        ("{'prompt_tokens_details': D(cache_write_tokens=2048)}", {"cache_write"}, True),
        ('{"usageMetadata": {"thoughtsTokenCount": 480}}', {"reasoning"}, True),
        ('{"message": {"content": "no usage here"}}', {"cache_read", "reasoning"}, False),
    ],
)
def test_the_cheap_test_before_a_fill_in_looks_for_nonzero_counts_of_the_lacking_parts(
    payload: str, parts: set[str], may: bool
) -> None:
    assert may_state_parts(payload, frozenset(parts)) is may
