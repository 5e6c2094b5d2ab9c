"""OpenTelemetry GenAI conventions (``gen_ai.*``), current and deprecated names, through ``normalize``."""

from __future__ import annotations

import json

import pytest

from raw_spans import normalized
from tokentrail.model import SpanKind


@pytest.mark.parametrize(
    ("attribute", "usage_type"),
    [
        ("gen_ai.usage.input_tokens", "input"),
        ("gen_ai.usage.output_tokens", "output"),
        ("gen_ai.usage.cache_read.input_tokens", "cache_read"),
        ("gen_ai.usage.cache_write.input_tokens", "cache_write"),
        ("gen_ai.usage.cache_creation.input_tokens", "cache_write"),
        ("gen_ai.usage.reasoning.output_tokens", "reasoning"),
        ("gen_ai.usage.prompt_tokens", "input"),
        ("gen_ai.usage.completion_tokens", "output"),
        ("gen_ai.usage.cache_read_input_tokens", "cache_read"),
        ("gen_ai.usage.cache_creation_input_tokens", "cache_write"),
        ("gen_ai.usage.reasoning_tokens", "reasoning"),
    ],
)
def test_every_usage_spelling_maps_to_its_canonical_key(attribute: str, usage_type: str) -> None:
    span = normalized({attribute: 42})
    assert span.usage == {usage_type: 42}
    assert span.usage_source == {usage_type: "attribute"}
    assert attribute not in span.attributes


def test_deprecated_prompt_tokens_map_to_input() -> None:
    span = normalized({"gen_ai.usage.prompt_tokens": 10, "gen_ai.usage.completion_tokens": 3})
    assert span.usage == {"input": 10, "output": 3}


def test_current_input_tokens_win_over_deprecated_prompt_tokens() -> None:
    span = normalized({"gen_ai.usage.prompt_tokens": 10, "gen_ai.usage.input_tokens": 12})
    assert span.usage == {"input": 12}


def test_cache_write_wins_over_cache_creation_spellings() -> None:
    span = normalized(
        {
            "gen_ai.usage.cache_creation_input_tokens": 1,
            "gen_ai.usage.cache_creation.input_tokens": 2,
            "gen_ai.usage.cache_write.input_tokens": 3,
        }
    )
    assert span.usage == {"cache_write": 3}


@pytest.mark.parametrize(
    ("operation", "kind"),
    [
        ("chat", SpanKind.LLM),
        ("text_completion", SpanKind.LLM),
        ("generate_content", SpanKind.LLM),
        ("embeddings", SpanKind.EMBEDDING),
        ("execute_tool", SpanKind.TOOL),
        ("invoke_agent", SpanKind.AGENT),
        ("create_agent", SpanKind.AGENT),
        ("retrieval", SpanKind.RETRIEVAL),
        ("invoke_workflow", SpanKind.CHAIN),
        ("plan", SpanKind.CHAIN),
        ("search_memory", SpanKind.RETRIEVAL),
        ("upsert_memory", SpanKind.DB),
        ("execute_task", SpanKind.CHAIN),
    ],
)
def test_operation_name_sets_the_kind(operation: str, kind: SpanKind) -> None:
    span = normalized({"gen_ai.operation.name": operation})
    assert span.kind is kind
    assert "gen_ai.operation.name" not in span.attributes


def test_unknown_operation_name_is_kept_raw_and_kind_is_other() -> None:
    span = normalized({"gen_ai.operation.name": "summon_familiar"})
    assert span.kind is SpanKind.OTHER
    assert span.attributes == {"gen_ai.operation.name": "summon_familiar"}


def test_model_and_usage_without_an_operation_make_an_llm_span() -> None:
    span = normalized({"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 5})
    assert span.kind is SpanKind.LLM


def test_model_without_usage_does_not_make_an_llm_span() -> None:
    assert normalized({"gen_ai.request.model": "gpt-4o"}).kind is SpanKind.OTHER


def test_request_and_response_models_are_kept_apart() -> None:
    span = normalized({"gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06"})
    assert (span.request_model, span.response_model) == ("gpt-4o", "gpt-4o-2024-08-06")


@pytest.mark.parametrize(
    ("value", "provider"),
    [
        ("openai", "openai"),
        ("gcp.gemini", "gcp.gemini"),
        ("vertex_ai", "gcp.vertex_ai"),
        ("gemini", "gcp.gemini"),
        ("az.ai.openai", "azure.ai.openai"),
        ("az.ai.inference", "azure.ai.inference"),
        ("xai", "x_ai"),
        ("Anthropic", "anthropic"),  # OpenLLMetry < 0.53.4 capitalized its names
        ("MistralAI", "mistral_ai"),
        ("Watsonx", "ibm.watsonx.ai"),
        ("TogetherAI", "together_ai"),
        ("AWS", "aws.bedrock"),
        ("SomeNewVendor", "somenewvendor"),  # unknown values pass through lower-cased
    ],
)
def test_deprecated_gen_ai_system_values_are_aliased_to_provider_names(value: str, provider: str) -> None:
    assert normalized({"gen_ai.system": value}).provider == provider


def test_openllmetry_azure_spelling_in_provider_name_is_aliased() -> None:
    assert normalized({"gen_ai.provider.name": "az.ai.openai"}).provider == "azure.ai.openai"


def test_provider_name_wins_over_deprecated_system() -> None:
    span = normalized({"gen_ai.system": "openai", "gen_ai.provider.name": "azure.ai.openai"})
    assert span.provider == "azure.ai.openai"


def test_conversation_id_is_the_session() -> None:
    assert normalized({"gen_ai.conversation.id": "conv_5j66UpCpwteGg4YSxUnt7lPY"}).session_id == (
        "conv_5j66UpCpwteGg4YSxUnt7lPY"
    )


INPUT_MESSAGES = [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]
OUTPUT_MESSAGES = [
    {
        "role": "assistant",
        "parts": [
            {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}
        ],
        "finish_reason": "tool_call",
    }
]


def test_input_and_output_messages_are_the_payloads() -> None:
    span = normalized(
        {
            "gen_ai.input.messages": json.dumps(INPUT_MESSAGES),
            "gen_ai.output.messages": json.dumps(OUTPUT_MESSAGES),
        }
    )
    assert json.loads(span.input) == INPUT_MESSAGES
    assert json.loads(span.output) == OUTPUT_MESSAGES
    assert span.attributes == {}


def test_structured_messages_are_encoded_as_json() -> None:
    span = normalized({"gen_ai.input.messages": INPUT_MESSAGES})
    assert json.loads(span.input) == INPUT_MESSAGES


def test_system_instructions_become_the_first_input_message() -> None:
    instructions = [{"type": "text", "content": "You are a helpful bot"}]
    span = normalized(
        {
            "gen_ai.system_instructions": json.dumps(instructions),
            "gen_ai.input.messages": json.dumps(INPUT_MESSAGES),
        }
    )
    assert json.loads(span.input) == [{"role": "system", "parts": instructions}, *INPUT_MESSAGES]
    assert "gen_ai.system_instructions" not in span.attributes


def test_system_instructions_alone_are_the_input() -> None:
    span = normalized({"gen_ai.system_instructions": "Be brief."})
    assert json.loads(span.input) == [{"role": "system", "parts": [{"type": "text", "content": "Be brief."}]}]


def test_system_instructions_are_kept_raw_when_input_messages_are_not_a_list() -> None:
    span = normalized({"gen_ai.system_instructions": "Be brief.", "gen_ai.input.messages": "plain text"})
    assert span.input == "plain text"
    assert span.attributes == {"gen_ai.system_instructions": "Be brief."}


def test_tool_name_alone_makes_a_tool_span_and_stays_an_attribute() -> None:
    span = normalized({"gen_ai.tool.name": "get_weather"})
    assert span.kind is SpanKind.TOOL
    assert span.attributes == {"gen_ai.tool.name": "get_weather"}


def test_agent_name_alone_makes_an_agent_span() -> None:
    assert normalized({"gen_ai.agent.name": "Math Tutor"}).kind is SpanKind.AGENT


def test_operation_name_outranks_a_tool_name_hint() -> None:
    span = normalized({"gen_ai.tool.name": "get_weather", "gen_ai.operation.name": "chat"})
    assert span.kind is SpanKind.LLM


def test_anthropic_sdk_messages_create_span() -> None:
    # The attribute set the anthropic Python SDK 2.x emits on `anthropic.messages.create`.
    span = normalized(
        {
            "gen_ai.provider.name": "anthropic",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "claude-sonnet-4-5",
            "gen_ai.request.max_tokens": 1024,
            "gen_ai.response.id": "msg_01XFDUDYJgAACzvnptvVoYEL",
            "gen_ai.response.model": "claude-sonnet-4-5-20250929",
            "gen_ai.usage.input_tokens": 2095,
            "gen_ai.usage.output_tokens": 503,
            "gen_ai.usage.cache_read.input_tokens": 1800,
            "gen_ai.usage.cache_write.input_tokens": 200,
            "gen_ai.usage.reasoning.output_tokens": 120,
            "anthropic.usage.cache_creation.ephemeral_5m_input_tokens": 200,
            "server.address": "api.anthropic.com",
            "http.request.method": "POST",
            "http.response.status_code": 200,
        }
    )
    assert span.kind is SpanKind.LLM
    assert span.provider == "anthropic"
    assert span.model == "claude-sonnet-4-5-20250929"
    assert span.usage == {
        "input": 2095,
        "output": 503,
        "cache_read": 1800,
        "cache_write": 200,
        "reasoning": 120,
    }
    assert span.attributes == {
        "gen_ai.request.max_tokens": "1024",
        "gen_ai.response.id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "anthropic.usage.cache_creation.ephemeral_5m_input_tokens": "200",
        "server.address": "api.anthropic.com",
        "http.request.method": "POST",
        "http.response.status_code": "200",
    }
