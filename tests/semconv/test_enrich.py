"""Enrichment: usage and the response id read from a span's provider payload when attributes lack them."""

from __future__ import annotations

import json

from raw_spans import normalized
from tokentrail.model import SpanKind
from tokentrail.semconv.enrich import enrich

RESPONSE = {
    "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    "object": "chat.completion",
    "model": "gpt-4o-2024-08-06",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}}],
    "usage": {
        "prompt_tokens": 1200,
        "completion_tokens": 80,
        "total_tokens": 1280,
        "prompt_tokens_details": {"cached_tokens": 1000},
    },
}


def test_an_llm_span_without_usage_attributes_gets_usage_from_its_output() -> None:
    span = normalized({"openinference.span.kind": "LLM", "output.value": json.dumps(RESPONSE)})
    enrich(span)
    assert span.usage == {"input": 1200, "output": 80, "cache_read": 1000}
    assert span.usage_source == {"input": "payload", "output": "payload", "cache_read": "payload"}
    assert span.usage_parser == "genai-prices:openai/chat"
    assert span.response_model == "gpt-4o-2024-08-06"  # the payload names the model the span did not
    assert span.response_id == "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"


def test_usage_attributes_win_over_the_payload() -> None:
    span = normalized(
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o",
            "llm.token_count.prompt": 7,
            "llm.token_count.completion": 3,
            "output.value": json.dumps(RESPONSE),
        }
    )
    enrich(span)
    assert span.usage == {"input": 7, "output": 3}
    assert span.usage_source == {"input": "attribute", "output": "attribute"}
    assert span.usage_parser == ""
    assert span.response_id == "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"  # the id is still read


def test_a_span_with_a_model_and_a_provider_response_is_recognised_as_an_llm_call() -> None:
    span = normalized({"gen_ai.request.model": "gpt-4o", "output.value": json.dumps(RESPONSE)})
    assert span.kind is SpanKind.OTHER
    enrich(span)
    assert span.kind is SpanKind.LLM
    assert span.usage["input"] == 1200


def test_logfires_raw_usage_attribute_is_read_when_the_output_has_none() -> None:
    span = normalized(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "claude-haiku-4-5",
            "gen_ai.provider.name": "anthropic",
            "gen_ai.usage.raw": json.dumps(
                {"input_tokens": 20, "output_tokens": 5, "cache_read_input_tokens": 80}
            ),
        }
    )
    enrich(span)
    assert span.usage == {"input": 100, "output": 5, "cache_read": 80}
    assert span.usage_parser == "tokentrail:usage+genai-prices:anthropic/default"


def test_chains_and_tools_are_left_alone_even_when_their_output_repeats_a_response() -> None:
    for kind in ("CHAIN", "TOOL", "AGENT"):
        span = normalized({"openinference.span.kind": kind, "output.value": json.dumps(RESPONSE)})
        enrich(span)
        assert (span.usage, span.response_id) == ({}, "")


def test_the_response_id_is_the_providers_not_a_tool_call_or_framework_id() -> None:
    wrapped = {
        "generations": [[{"message": {"id": "run-4e1c", "tool_calls": [{"id": "call_Xyz123456"}]}}]],
        "llm_output": {"id": "msg_01XFDUDYJgAACzvnptvVoYEL"},
    }
    span = normalized({"openinference.span.kind": "LLM", "output.value": json.dumps(wrapped)})
    enrich(span)
    assert span.response_id == "msg_01XFDUDYJgAACzvnptvVoYEL"


def test_the_response_id_attribute_wins_over_the_payload() -> None:
    span = normalized(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.response.id": "chatcmpl-fromattribute",
            "gen_ai.output.messages": json.dumps(RESPONSE),
        }
    )
    enrich(span)
    assert span.response_id == "chatcmpl-fromattribute"


def test_text_is_never_turned_into_an_estimate() -> None:
    span = normalized({"openinference.span.kind": "LLM", "output.value": "Here are 500 tokens of prose."})
    enrich(span)
    assert (span.usage, span.usage_source, span.usage_parser) == ({}, {}, "")


def test_parts_the_attributes_leave_out_are_filled_in_from_the_payload_and_marked() -> None:
    # LiteLLM, MLflow and the botocore instrumentation state input and output only; the response has more.
    usage = {**RESPONSE["usage"], "completion_tokens_details": {"reasoning_tokens": 64}}
    response = {**RESPONSE, "usage": usage}
    span = normalized(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 1200,
            "gen_ai.usage.output_tokens": 80,
            "output.value": json.dumps(response),
        }
    )
    enrich(span)
    assert span.usage == {"input": 1200, "output": 80, "cache_read": 1000, "reasoning": 64}
    assert span.usage_source == {
        "input": "attribute",
        "output": "attribute",
        "cache_read": "payload",
        "reasoning": "payload",
    }
    assert span.usage_parser == "genai-prices:openai/chat"


def test_a_python_literal_usage_object_is_a_side_channel_too() -> None:
    # LiteLLM writes its Usage with str(), SDK objects and all.
    usage_object = (
        "{'completion_tokens': 40, 'prompt_tokens': 2060, 'total_tokens': 2100, "
        "'completion_tokens_details': CompletionTokensDetailsWrapper(reasoning_tokens=None, text_tokens=40), "
        "'prompt_tokens_details': PromptTokensDetailsWrapper(audio_tokens=None, cached_tokens=2048)}"
    )
    span = normalized(
        {
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 2060,
            "gen_ai.usage.output_tokens": 40,
            "metadata.usage_object": usage_object,
        }
    )
    enrich(span)
    assert span.usage == {"input": 2060, "output": 40, "cache_read": 2048}
    assert span.usage_source["cache_read"] == "payload"


def test_a_part_larger_than_its_stated_whole_is_not_taken() -> None:
    usage = {"prompt_tokens": 500, "completion_tokens": 10, "prompt_tokens_details": {"cached_tokens": 400}}
    span = normalized(
        {
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 300,
            "gen_ai.usage.output_tokens": 10,
            "gen_ai.usage.raw": json.dumps(usage),
        }
    )
    enrich(span)
    assert span.usage == {"input": 300, "output": 10}
    assert span.usage_parser == ""
