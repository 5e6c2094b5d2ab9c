"""LiteLLM's OpenTelemetry callback: the call's span with its usage object in OpenAI's shape, and the
``raw_gen_ai_request`` span below it read as the call in the provider's own words."""

from __future__ import annotations

from raw_spans import normalized
from tokentrail.model import SpanKind
from tokentrail.semconv.enrich import enrich


def test_litellms_usage_object_is_openai_shaped_whatever_the_provider() -> None:
    # Written by litellm 1.110.2's otel callback for an Anthropic call that wrote the prompt cache.
    usage_object = (
        "{'completion_tokens': 40, 'prompt_tokens': 2060, 'total_tokens': 2100, 'completion_tokens_details': "
        "{'accepted_prediction_tokens': None, 'audio_tokens': None, 'reasoning_tokens': 0, "
        "'rejected_prediction_tokens': None, 'text_tokens': 40, 'image_tokens': None}, "
        "'prompt_tokens_details': {'audio_tokens': None, 'cache_write_tokens': 2048, 'cached_tokens': 0, "
        "'text_tokens': 12, "
        "'image_tokens': None, 'cache_creation_tokens': 2048, 'cache_creation_token_details': "
        "{'ephemeral_5m_input_tokens': 2048, 'ephemeral_30m_input_tokens': None, "
        "'ephemeral_1h_input_tokens': 0, 'ephemeral_12h_input_tokens': None}}, "
        "'cache_creation_input_tokens': 2048, "
        "'cache_read_input_tokens': 0, 'iterations': None, 'inference_geo': None, 'speed': None, "
        "'service_tier': 'standard'}"
    )
    span = normalized(
        {
            "gen_ai.system": "anthropic",
            "gen_ai.request.model": "claude-haiku-4-5",
            "gen_ai.usage.input_tokens": 2060,
            "gen_ai.usage.output_tokens": 40,
            "metadata.usage_object": usage_object,
        },
        scope_name="litellm",
    )
    enrich(span)
    assert span.usage == {"input": 2060, "output": 40, "cache_write": 2048}
    assert span.usage_source["cache_write"] == "payload"
    assert span.usage_parser == "tokentrail:usage+genai-prices:openai/chat"


def test_litellms_raw_request_span_is_the_call_in_the_providers_own_words() -> None:
    span = normalized(
        {
            "llm.anthropic.model": "claude-haiku-4-5-20251001",
            "llm.anthropic.id": "msg_01",
            "llm.anthropic.max_tokens": 256,
            "llm.anthropic.usage": (
                "{'input_tokens': 7, 'cache_creation_input_tokens': 0, 'cache_read_input_tokens': 2048, "
                "'cache_creation': {'ephemeral_5m_input_tokens': 0, 'ephemeral_1h_input_tokens': 0}, "
                "'output_tokens': 30, 'service_tier': 'standard'}"
            ),
        },
        name="raw_gen_ai_request",
        scope_name="litellm",
    )
    enrich(span)
    assert span.kind is SpanKind.LLM
    assert (span.provider, span.response_model) == ("anthropic", "claude-haiku-4-5-20251001")
    assert span.usage == {"input": 2055, "output": 30, "cache_read": 2048}
    assert span.usage_parser == "tokentrail:usage+genai-prices:anthropic/default"
