"""The Vercel AI SDK's own attributes (``ai.*``, v3 to v7 "legacy") through ``normalize``.

Each SDK call records an outer span (``ai.generateText``, usage summed over its steps) and one inner span
per provider call (``ai.generateText.doGenerate``); the inner spans are the LLM calls, the outer one is an
agent whose summed usage stays raw. Attribute sets follow vercel/ai ``60-telemetry.mdx``.
"""

from __future__ import annotations

import json

import pytest

from raw_spans import normalized
from tokentrail.model import AttributeValue, SpanKind
from tokentrail.semconv.enrich import enrich


@pytest.mark.parametrize(
    ("operation", "kind"),
    [
        ("ai.generateText", SpanKind.AGENT),
        ("ai.streamText", SpanKind.AGENT),
        ("ai.generateObject", SpanKind.AGENT),
        ("ai.streamObject", SpanKind.AGENT),
        ("ai.generateText.doGenerate", SpanKind.LLM),
        ("ai.streamText.doStream", SpanKind.LLM),
        ("ai.generateObject.doGenerate", SpanKind.LLM),
        ("ai.streamObject.doStream", SpanKind.LLM),
        ("ai.toolCall", SpanKind.TOOL),
        ("ai.embed", SpanKind.CHAIN),
        ("ai.embedMany", SpanKind.CHAIN),
        ("ai.embed.doEmbed", SpanKind.EMBEDDING),
        ("ai.embedMany.doEmbed", SpanKind.EMBEDDING),
        ("ai.rerank", SpanKind.CHAIN),
        ("ai.rerank.doRerank", SpanKind.RERANK),
    ],
)
def test_operation_id_sets_the_kind(operation: str, kind: SpanKind) -> None:
    span = normalized({"ai.operationId": operation})
    assert span.kind is kind
    assert span.attributes == {}


def test_an_unknown_operation_id_is_kept_raw() -> None:
    span = normalized({"ai.operationId": "ai.transcribe"})
    assert span.kind is SpanKind.OTHER
    assert span.attributes == {"ai.operationId": "ai.transcribe"}


DO_GENERATE: dict[str, AttributeValue] = {
    "operation.name": "ai.generateText.doGenerate weather-agent",
    "resource.name": "weather-agent",
    "ai.operationId": "ai.generateText.doGenerate",
    "ai.model.provider": "openai.chat",
    "ai.model.id": "gpt-4o-mini",
    "ai.settings.maxRetries": 2,
    "ai.telemetry.functionId": "weather-agent",
    "ai.telemetry.metadata.userId": "u-9",
    "ai.telemetry.metadata.sessionId": "s-9",
    "ai.telemetry.metadata.tenant": "acme",
    "ai.prompt.messages": '[{"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]}]',
    "ai.response.text": "It is sunny in Paris.",
    "ai.response.finishReason": "stop",
    "ai.response.id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    "ai.response.model": "gpt-4o-mini-2024-07-18",
    "ai.response.timestamp": "2026-01-01T00:00:01.000Z",
    "ai.usage.inputTokens": 1200,
    "ai.usage.outputTokens": 80,
    "ai.usage.totalTokens": 1280,
    "ai.usage.cachedInputTokens": 1000,
    "ai.usage.reasoningTokens": 0,
    "gen_ai.system": "openai.chat",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.finish_reasons": ["stop"],
    "gen_ai.response.id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.usage.input_tokens": 1200,
    "gen_ai.usage.output_tokens": 80,
}


def test_do_generate_span_as_ai_5_exports_it() -> None:
    span = normalized(DO_GENERATE, name="ai.generateText.doGenerate", scope_name="ai")
    assert span.kind is SpanKind.LLM
    assert span.provider == "openai"  # "openai.chat": the provider id, then the API
    assert (span.request_model, span.response_model) == ("gpt-4o-mini", "gpt-4o-mini-2024-07-18")
    assert span.response_id == "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"
    assert span.usage == {"input": 1200, "output": 80, "cache_read": 1000}
    assert (span.session_id, span.user_id, span.trace_name) == ("s-9", "u-9", "weather-agent")
    assert span.metadata == {"tenant": "acme"}
    assert json.loads(span.input) == [
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]}
    ]
    assert span.output == "It is sunny in Paris."
    assert span.attributes == {
        "operation.name": "ai.generateText.doGenerate weather-agent",
        "resource.name": "weather-agent",
        "ai.settings.maxRetries": "2",
        "ai.response.finishReason": "stop",
        "ai.response.timestamp": "2026-01-01T00:00:01.000Z",
        "ai.usage.totalTokens": "1280",
        "gen_ai.response.finish_reasons": '["stop"]',
    }


def test_outer_generate_text_span_is_an_agent_whose_summed_usage_stays_raw() -> None:
    span = normalized(
        {
            "ai.operationId": "ai.generateText",
            "ai.model.provider": "openai.chat",
            "ai.model.id": "gpt-4o-mini",
            "ai.prompt": '{"prompt":"Weather in Paris?"}',
            "ai.response.text": "It is sunny in Paris.",
            "ai.usage.inputTokens": 2400,
            "ai.usage.outputTokens": 160,
        }
    )
    assert span.kind is SpanKind.AGENT
    assert span.usage == {}
    assert (span.input, span.output) == ('{"prompt":"Weather in Paris?"}', "It is sunny in Paris.")
    assert span.attributes == {"ai.usage.inputTokens": "2400", "ai.usage.outputTokens": "160"}


# -- usage across SDK versions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "usage"),
    [
        pytest.param(
            {"ai.usage.promptTokens": 10, "ai.usage.completionTokens": 5},
            {"input": 10, "output": 5},
            id="v4-and-generateObject",
        ),
        pytest.param(
            {
                "ai.usage.inputTokens": 1200,
                "ai.usage.outputTokens": 900,
                "ai.usage.cachedInputTokens": 1000,
                "ai.usage.reasoningTokens": 768,
            },
            {"input": 1200, "output": 900, "cache_read": 1000, "reasoning": 768},
            id="v5",
        ),
        pytest.param(
            {
                "ai.usage.inputTokens": 3000,
                "ai.usage.outputTokens": 500,
                "ai.usage.inputTokenDetails.noCacheTokens": 1000,
                "ai.usage.inputTokenDetails.cacheReadTokens": 1500,
                "ai.usage.inputTokenDetails.cacheWriteTokens": 500,
                "ai.usage.outputTokenDetails.textTokens": 100,
                "ai.usage.outputTokenDetails.reasoningTokens": 400,
            },
            {"input": 3000, "output": 500, "cache_read": 1500, "cache_write": 500, "reasoning": 400},
            id="v6-input-is-the-total",
        ),
        pytest.param({"ai.usage.tokens": 4}, {"input": 4}, id="embeddings"),
    ],
)
def test_usage_names_of_each_sdk_version(
    attributes: dict[str, AttributeValue], usage: dict[str, int]
) -> None:
    span = normalized({"ai.operationId": "ai.generateText.doGenerate", **attributes})
    assert span.usage == usage


def test_v6_detail_names_win_over_the_deprecated_v5_ones() -> None:
    span = normalized(
        {
            "ai.usage.inputTokenDetails.cacheReadTokens": 1500,
            "ai.usage.cachedInputTokens": 1,
            "ai.usage.outputTokenDetails.reasoningTokens": 400,
            "ai.usage.reasoningTokens": 1,
        }
    )
    assert span.usage == {"cache_read": 1500, "reasoning": 400}


def test_v5_names_win_over_v4_names() -> None:
    span = normalized(
        {
            "ai.usage.inputTokens": 12,
            "ai.usage.promptTokens": 1,
            "ai.usage.outputTokens": 3,
            "ai.usage.completionTokens": 1,
        }
    )
    assert span.usage == {"input": 12, "output": 3}


def test_v6_breakdown_names_with_no_canonical_type_stay_raw() -> None:
    span = normalized(
        {"ai.usage.inputTokenDetails.noCacheTokens": 1000, "ai.usage.outputTokenDetails.textTokens": 100}
    )
    assert span.attributes == {
        "ai.usage.inputTokenDetails.noCacheTokens": "1000",
        "ai.usage.outputTokenDetails.textTokens": "100",
    }


# -- inputs and outputs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "expected_input"),
    [
        ({"ai.prompt.messages": "[1]", "ai.prompt": "[2]"}, "[1]"),
        ({"ai.prompt": '{"prompt":"hi"}', "ai.values": ["x"]}, '{"prompt":"hi"}'),
        ({"ai.values": ['"sunny day"', '"rainy day"']}, '["\\"sunny day\\"","\\"rainy day\\""]'),
        ({"ai.value": '"sunny day"'}, '"sunny day"'),
        ({"ai.toolCall.args": '{"city":"Paris"}'}, '{"city":"Paris"}'),
    ],
)
def test_input_is_the_provider_messages_else_the_prompt_else_what_was_embedded(
    attributes: dict[str, AttributeValue], expected_input: str
) -> None:
    assert normalized(attributes).input == expected_input


def test_output_is_the_text_and_tool_calls_beside_it_are_kept_raw() -> None:
    calls = '[{"toolCallType":"function","toolCallId":"call_1","toolName":"weather","args":"{}"}]'
    span = normalized({"ai.response.text": "Let me check.", "ai.response.toolCalls": calls})
    assert span.output == "Let me check."
    assert span.attributes == {"ai.response.toolCalls": calls}


def test_tool_calls_alone_are_the_output_and_are_kept_raw_too() -> None:
    calls = '[{"toolCallType":"function","toolCallId":"call_1","toolName":"weather","args":"{}"}]'
    span = normalized({"ai.response.toolCalls": calls})
    assert span.output == calls
    assert span.attributes == {"ai.response.toolCalls": calls}


def test_generate_object_output_is_the_object() -> None:
    span = normalized(
        {"ai.operationId": "ai.generateObject.doGenerate", "ai.response.object": '{"city":"Paris"}'}
    )
    assert span.output == '{"city":"Paris"}'


def test_v3_result_names() -> None:
    span = normalized({"ai.result.text": "Hi", "ai.result.toolCalls": "[]"})
    assert span.output == "Hi"
    assert span.attributes == {"ai.result.toolCalls": "[]"}
    assert normalized({"ai.result.object": '{"a":1}'}).output == '{"a":1}'


def test_v5_response_names_win_over_v3_result_names() -> None:
    assert normalized({"ai.result.text": "old", "ai.response.text": "new"}).output == "new"


def test_tool_call_span() -> None:
    span = normalized(
        {
            "operation.name": "ai.toolCall weather-agent",
            "ai.operationId": "ai.toolCall",
            "ai.toolCall.name": "weather",
            "ai.toolCall.id": "call_1",
            "ai.toolCall.args": '{"city":"Paris"}',
            "ai.toolCall.result": '{"sky":"sunny"}',
        },
        name="ai.toolCall",
    )
    assert span.kind is SpanKind.TOOL
    assert (span.input, span.output) == ('{"city":"Paris"}', '{"sky":"sunny"}')
    assert span.attributes == {
        "operation.name": "ai.toolCall weather-agent",
        "ai.toolCall.name": "weather",
        "ai.toolCall.id": "call_1",
    }


def test_a_tool_call_name_alone_suggests_a_tool_span() -> None:
    span = normalized({"ai.toolCall.name": "weather"})
    assert span.kind is SpanKind.TOOL
    assert span.attributes == {"ai.toolCall.name": "weather"}


def test_the_tool_call_name_is_the_spans_tool_name() -> None:
    span = normalized({"ai.operationId": "ai.toolCall", "ai.toolCall.name": "weather"}, name="ai.toolCall")
    assert (span.kind, span.tool_name) == (SpanKind.TOOL, "weather")


def test_embedding_span_as_ai_5_exports_it() -> None:
    span = normalized(
        {
            "ai.operationId": "ai.embedMany.doEmbed",
            "ai.model.provider": "openai.embedding",
            "ai.model.id": "text-embedding-3-small",
            "ai.values": ['"sunny day"'],
            "ai.embeddings": ["[0.1,0.2]"],
            "ai.usage.tokens": 4,
        }
    )
    assert span.kind is SpanKind.EMBEDDING
    assert (span.provider, span.model) == ("openai", "text-embedding-3-small")
    assert span.usage == {"input": 4}
    assert span.attributes == {"ai.embeddings": '["[0.1,0.2]"]'}


def test_outer_embed_many_span_keeps_its_summed_tokens_raw() -> None:
    span = normalized({"ai.operationId": "ai.embedMany", "ai.values": ['"a"', '"b"'], "ai.usage.tokens": 8})
    assert span.kind is SpanKind.CHAIN
    assert span.usage == {}
    assert span.attributes == {"ai.usage.tokens": "8"}


# -- telemetry metadata, providers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "field", "expected"),
    [
        ("userId", "u-1", "user_id", "u-1"),
        ("user_id", "u-1", "user_id", "u-1"),
        ("sessionId", "s-1", "session_id", "s-1"),
        ("session_id", "s-1", "session_id", "s-1"),
        ("threadId", "t-1", "session_id", "t-1"),
        ("conversationId", "c-1", "session_id", "c-1"),
        ("tags", ["beta", "eu"], "tags", ["beta", "eu"]),
        ("tags", '["beta","eu"]', "tags", ["beta", "eu"]),
    ],
)
def test_telemetry_metadata_keys_that_name_user_session_and_tags(
    key: str, value: AttributeValue, field: str, expected: object
) -> None:
    span = normalized({f"ai.telemetry.metadata.{key}": value})
    assert getattr(span, field) == expected
    assert (span.metadata, span.attributes) == ({}, {})


def test_other_telemetry_metadata_keys_are_metadata() -> None:
    span = normalized({"ai.telemetry.metadata.tenant": "acme", "ai.telemetry.metadata.attempt": 2})
    assert span.metadata == {"tenant": "acme", "attempt": "2"}


@pytest.mark.parametrize(
    ("value", "provider"),
    [
        ("openai.chat", "openai"),
        ("openai.responses", "openai"),
        ("anthropic.messages", "anthropic"),
        ("google.vertex.chat", "gcp.vertex_ai"),
        ("google.generative-ai", "gcp.gemini"),
        ("amazon-bedrock", "aws.bedrock"),
        ("azure-openai.chat", "azure.ai.openai"),
        ("mistral.chat", "mistral_ai"),
        ("xai.chat", "x_ai"),
        ("groq.chat", "groq"),
        ("some-gateway.chat", "some-gateway.chat"),  # unknown ids pass through lower-cased
    ],
)
def test_model_provider_ids_are_aliased_to_genai_provider_names(value: str, provider: str) -> None:
    assert normalized({"ai.model.provider": value}).provider == provider


# -- ai.* beside gen_ai.* on the same span -----------------------------------------------------------------


def test_ai_names_win_over_the_gen_ai_names_on_a_do_generate_span() -> None:
    span = normalized(
        {
            **DO_GENERATE,
            # What the same span says in GenAI names, made to disagree.
            "gen_ai.system": "anthropic",
            "gen_ai.request.model": "genai-request",
            "gen_ai.response.model": "genai-response",
            "gen_ai.response.id": "chatcmpl-genai",
            "gen_ai.usage.input_tokens": 9999,
            "gen_ai.usage.output_tokens": 9999,
            "gen_ai.operation.name": "embeddings",
        }
    )
    assert span.kind is SpanKind.LLM
    assert span.provider == "openai"
    assert (span.request_model, span.response_model) == ("gpt-4o-mini", "gpt-4o-mini-2024-07-18")
    assert span.response_id == "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"
    assert span.usage == {"input": 1200, "output": 80, "cache_read": 1000}


def test_gen_ai_names_fill_what_the_ai_names_leave_out() -> None:
    span = normalized(
        {
            "ai.operationId": "ai.generateText.doGenerate",
            "ai.usage.promptTokens": 10,
            "gen_ai.usage.cache_read.input_tokens": 4,
            "gen_ai.system": "openai.chat",
        }
    )
    assert (span.provider, span.usage) == ("openai", {"input": 10, "cache_read": 4})


def test_v7_runtime_context_names_the_session_and_user_on_every_span() -> None:
    # ai 7 writes runtimeContext keys the call's telemetry.includeRuntimeContext lets through.
    span = normalized(
        {
            "ai.operationId": "ai.generateText",
            "ai.settings.context.sessionId": "s-vercel",
            "ai.settings.context.userId": "ana@example.com",
            "ai.settings.context.plan": "pro",
        }
    )
    assert (span.session_id, span.user_id) == ("s-vercel", "ana@example.com")
    assert span.metadata == {"plan": "pro"}


def test_a_v7_agent_step_repeating_its_calls_reasoning_is_not_counted() -> None:
    span = normalized(
        {
            "gen_ai.operation.name": "agent_step",
            "ai.usage.outputTokenDetails.reasoningTokens": 768,
            "ai.usage.inputTokenDetails.noCacheTokens": 200,
        }
    )
    assert span.kind is SpanKind.CHAIN
    assert span.usage == {}


def test_anthropics_one_hour_cache_writes_are_read_from_the_provider_metadata() -> None:
    provider_metadata = {
        "anthropic": {
            "usage": {
                "input_tokens": 20,
                "output_tokens": 25,
                "cache_creation_input_tokens": 2048,
                "cache_read_input_tokens": 0,
                "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 2048},
            }
        }
    }
    span = normalized(
        {
            "ai.operationId": "ai.generateText.doGenerate",
            "ai.model.provider": "anthropic.messages",
            "ai.model.id": "claude-haiku-4-5",
            "ai.usage.inputTokens": 2068,
            "ai.usage.outputTokens": 25,
            "ai.usage.inputTokenDetails.cacheWriteTokens": 2048,
            "ai.response.providerMetadata": json.dumps(provider_metadata),
        }
    )
    enrich(span)
    assert span.usage == {"input": 2068, "output": 25, "cache_write": 2048, "cache_write_1h": 2048}
    assert span.usage_source["cache_write_1h"] == "payload"
