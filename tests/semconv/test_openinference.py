"""OpenInference conventions (``openinference.span.kind``, ``llm.*``, ``input.value``) via ``normalize``."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from raw_spans import normalized
from tokentrail.model import AttributeValue, SpanKind


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("LLM", SpanKind.LLM),
        ("EMBEDDING", SpanKind.EMBEDDING),
        ("CHAIN", SpanKind.CHAIN),
        ("RETRIEVER", SpanKind.RETRIEVAL),
        ("RERANKER", SpanKind.RERANK),
        ("TOOL", SpanKind.TOOL),
        ("AGENT", SpanKind.AGENT),
        ("GUARDRAIL", SpanKind.GUARDRAIL),
        ("EVALUATOR", SpanKind.EVALUATOR),
        ("PROMPT", SpanKind.CHAIN),
        ("DECISION", SpanKind.LLM),
        ("UNKNOWN", SpanKind.OTHER),
        ("llm", SpanKind.LLM),  # the LangSmith docs write kinds in lower case
    ],
)
def test_span_kind_values_map_to_kinds(value: str, kind: SpanKind) -> None:
    span = normalized({"openinference.span.kind": value})
    assert span.kind is kind
    assert "openinference.span.kind" not in span.attributes


def test_unknown_span_kind_does_not_outrank_a_genai_operation() -> None:
    span = normalized({"openinference.span.kind": "UNKNOWN", "gen_ai.operation.name": "chat"})
    assert span.kind is SpanKind.LLM


def test_unmapped_span_kind_is_keptraw_span() -> None:
    span = normalized({"openinference.span.kind": "SOMETHING_NEW"})
    assert span.kind is SpanKind.OTHER
    assert span.attributes == {"openinference.span.kind": "SOMETHING_NEW"}


@pytest.mark.parametrize(
    ("attribute", "usage_type"),
    [
        ("llm.token_count.prompt", "input"),
        ("llm.token_count.completion", "output"),
        ("llm.token_count.prompt_details.cache_read", "cache_read"),
        ("llm.token_count.prompt_details.cache_write", "cache_write"),
        ("llm.token_count.prompt_details.audio", "audio_in"),
        ("llm.token_count.completion_details.reasoning", "reasoning"),
        ("llm.token_count.completion_details.audio", "audio_out"),
    ],
)
def test_token_counts_map_to_canonical_usage(attribute: str, usage_type: str) -> None:
    span = normalized({attribute: 7})
    assert span.usage == {usage_type: 7}
    assert span.usage_source == {usage_type: "attribute"}


def test_total_token_count_has_no_canonical_key_and_staysraw_span() -> None:
    span = normalized({"llm.token_count.total": 30})
    assert span.usage == {}
    assert span.attributes == {"llm.token_count.total": "30"}


@pytest.mark.parametrize(
    ("attribute", "cost_type"),
    [
        ("llm.cost.prompt", "input"),
        ("llm.cost.completion", "output"),
        ("llm.cost.total", "total"),
        ("llm.cost.prompt_details.cache_read", "cache_read"),
        ("llm.cost.prompt_details.cache_write", "cache_write"),
        ("llm.cost.prompt_details.audio", "audio_in"),
        ("llm.cost.completion_details.reasoning", "reasoning"),
        ("llm.cost.completion_details.audio", "audio_out"),
    ],
)
def test_costs_map_to_reported_cost(attribute: str, cost_type: str) -> None:
    span = normalized({attribute: 0.0003})
    assert span.reported_cost == {cost_type: Decimal("0.0003")}


def test_float_cost_keeps_its_decimal_spelling() -> None:
    assert normalized({"llm.cost.total": 0.1}).reported_cost == {"total": Decimal("0.1")}


def test_model_name_is_the_response_model() -> None:
    span = normalized({"llm.model_name": "gpt-4o-2024-08-06"})
    assert (span.request_model, span.response_model) == ("", "gpt-4o-2024-08-06")


def test_explicit_response_model_name_wins_over_model_name() -> None:
    span = normalized(
        {
            "llm.model_name": "gpt-4o",
            "llm.request.model_name": "gpt-4o",
            "llm.response.model_name": "gpt-4o-2024-08-06",
        }
    )
    assert (span.request_model, span.response_model) == ("gpt-4o", "gpt-4o-2024-08-06")


def test_embedding_model_name_is_the_model() -> None:
    span = normalized(
        {"openinference.span.kind": "EMBEDDING", "embedding.model_name": "text-embedding-3-small"}
    )
    assert span.model == "text-embedding-3-small"


@pytest.mark.parametrize(
    ("attribute", "value", "provider"),
    [
        ("llm.provider", "openai", "openai"),
        ("llm.provider", "google", "gcp.gemini"),
        ("llm.provider", "aws", "aws.bedrock"),
        ("llm.provider", "azure", "azure.ai.openai"),
        ("llm.provider", "mistralai", "mistral_ai"),
        ("llm.provider", "xai", "x_ai"),
        ("llm.provider", "groq", "groq"),
        ("llm.provider", "Fireworks", "fireworks"),
        ("llm.system", "vertexai", "gcp.vertex_ai"),
        ("llm.system", "amazon", "aws.bedrock"),
        ("llm.system", "anthropic", "anthropic"),
    ],
)
def test_provider_values_are_aliased_to_genai_provider_names(
    attribute: str, value: str, provider: str
) -> None:
    assert normalized({attribute: value}).provider == provider


def test_provider_wins_over_system_for_azure_openai() -> None:
    # Azure OpenAI: OpenInference says llm.provider=azure (who served it), llm.system=openai (the models).
    assert normalized({"llm.system": "openai", "llm.provider": "azure"}).provider == "azure.ai.openai"


def test_session_user_tags_and_metadata() -> None:
    span = normalized(
        {
            "session.id": "session-1",
            "user.id": "user-7",
            "tag.tags": ["beta", "eu"],
            "metadata": json.dumps({"tenant": "acme", "retries": 2, "flags": {"a": True}}),
        }
    )
    assert (span.session_id, span.user_id) == ("session-1", "user-7")
    assert span.tags == ["beta", "eu"]
    assert span.metadata == {"tenant": "acme", "retries": "2", "flags": '{"a":true}'}
    assert span.attributes == {}


def test_metadata_that_is_not_a_json_object_is_keptraw_span() -> None:
    span = normalized({"metadata": "not json"})
    assert span.metadata == {}
    assert span.attributes == {"metadata": "not json"}


def test_input_and_output_values_are_the_payloads() -> None:
    span = normalized({"input.value": "What is 2+2?", "output.value": "4", "input.mime_type": "text/plain"})
    assert (span.input, span.output) == ("What is 2+2?", "4")
    assert span.attributes == {"input.mime_type": "text/plain"}


FLATTENED_MESSAGES: dict[str, AttributeValue] = {
    "llm.input_messages.0.message.role": "system",
    "llm.input_messages.0.message.content": "Be brief.",
    "llm.input_messages.1.message.role": "user",
    "llm.input_messages.1.message.contents.0.message_content.type": "text",
    "llm.input_messages.1.message.contents.0.message_content.text": "What is in this image?",
    "llm.input_messages.1.message.contents.1.message_content.type": "image",
    "llm.input_messages.1.message.contents.1.message_content.image.image.url": "https://example.com/cat.png",
    "llm.output_messages.0.message.role": "assistant",
    "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "describe",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"detail": "high"}',
}


def test_flattened_messages_are_rebuilt_into_message_lists() -> None:
    span = normalized(FLATTENED_MESSAGES)
    assert json.loads(span.input) == [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "contents": [
                {"type": "text", "text": "What is in this image?"},
                {"type": "image", "image": {"image": {"url": "https://example.com/cat.png"}}},
            ],
        },
    ]
    assert json.loads(span.output) == [
        {
            "role": "assistant",
            "tool_calls": [
                {"id": "call_1", "function": {"name": "describe", "arguments": '{"detail": "high"}'}}
            ],
        }
    ]
    assert span.attributes == {}


def test_messages_are_ordered_by_index_not_by_arrival() -> None:
    span = normalized(
        {
            "llm.input_messages.10.message.content": "eleventh",
            "llm.input_messages.2.message.content": "third",
        }
    )
    assert json.loads(span.input) == [{"content": "third"}, {"content": "eleventh"}]


def test_input_value_wins_over_flattened_messages() -> None:
    span = normalized({**FLATTENED_MESSAGES, "input.value": '{"messages": []}'})
    assert span.input == '{"messages": []}'
    assert json.loads(span.output)[0]["role"] == "assistant"
    assert not any(name.startswith("llm.input_messages.") for name in span.attributes)


def test_flattened_messages_that_do_not_form_a_list_are_keptraw_span() -> None:
    attributes: dict[str, AttributeValue] = {
        "llm.input_messages.0.message.content": "text",
        "llm.input_messages.0.message.content.extra": "clashes with the text above",
    }
    span = normalized(attributes)
    assert span.input == ""
    assert span.attributes == attributes


def test_tool_name_alone_makes_a_tool_span() -> None:
    span = normalized({"tool.name": "search", "tool.parameters": '{"q": "string"}'})
    assert span.kind is SpanKind.TOOL
    assert span.attributes["tool.name"] == "search"


def test_the_tool_name_is_the_spans_tool_name() -> None:
    span = normalized({"openinference.span.kind": "TOOL", "tool.name": "web_search"})
    assert (span.kind, span.tool_name) == (SpanKind.TOOL, "web_search")


def test_openai_instrumentor_llm_span() -> None:
    # An OpenInference OpenAI chat completion span, as openinference-instrumentation-openai records it.
    span = normalized(
        {
            "openinference.span.kind": "LLM",
            "llm.provider": "openai",
            "llm.system": "openai",
            "llm.model_name": "gpt-4o-mini-2024-07-18",
            "llm.invocation_parameters": '{"model": "gpt-4o-mini", "temperature": 0}',
            "input.value": '{"messages": [{"role": "user", "content": "Hi"}], "model": "gpt-4o-mini"}',
            "input.mime_type": "application/json",
            "output.value": '{"id": "chatcmpl-1", "choices": []}',
            "output.mime_type": "application/json",
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "Hi",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "Hello!",
            "llm.token_count.prompt": 1200,
            "llm.token_count.completion": 40,
            "llm.token_count.total": 1240,
            "llm.token_count.prompt_details.cache_read": 1024,
            "llm.token_count.completion_details.reasoning": 0,
        }
    )
    assert span.kind is SpanKind.LLM
    assert span.provider == "openai"
    assert span.model == "gpt-4o-mini-2024-07-18"
    assert span.usage == {"input": 1200, "output": 40, "cache_read": 1024}  # a part counted zero says nothing
    assert span.input.startswith('{"messages"')
    assert span.attributes == {
        "llm.invocation_parameters": '{"model": "gpt-4o-mini", "temperature": 0}',
        "input.mime_type": "application/json",
        "output.mime_type": "application/json",
        "llm.token_count.total": "1240",
    }


# -- spans as the instrumentors record them ---------------------------------------------------------------

WEATHER_TOOL_SCHEMA = (
    '{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city", '
    '"parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}'
)
TOOL_CALL_OUTPUT = (
    '{"id":"chatcmpl-000000000000000000000006","choices":[{"finish_reason":"tool_calls","index":0,'
    '"message":{"content":null,"role":"assistant","tool_calls":[{"id":"call_000000000000000000000005",'
    '"function":{"arguments":"{\\"city\\": \\"Paris\\"}","name":"get_weather"},"type":"function"}]}}],'
    '"model":"gpt-4o-mini-2024-07-18","object":"chat.completion"}'
)
TOOL_CALL_SPAN: dict[str, AttributeValue] = {
    "openinference.span.kind": "LLM",
    "llm.system": "openai",
    "llm.model_name": "gpt-4o-mini-2024-07-18",
    "llm.invocation_parameters": '{"model": "gpt-4o-mini"}',
    "llm.finish_reason": "tool_calls",
    "input.mime_type": "application/json",
    "input.value": '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Weather in Paris?"}]}',
    "output.mime_type": "application/json",
    "output.value": TOOL_CALL_OUTPUT,
    "llm.input_messages.0.message.role": "user",
    "llm.input_messages.0.message.content": "Weather in Paris?",
    "llm.output_messages.0.message.role": "assistant",
    "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_000000000000000000000005",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"city": "Paris"}',
    "llm.tools.0.tool.json_schema": WEATHER_TOOL_SCHEMA,
    "llm.token_count.prompt": 150,
    "llm.token_count.completion": 20,
    "llm.token_count.total": 170,
    "llm.token_count.prompt_details.cache_read": 0,
    "llm.token_count.prompt_details.audio": 0,
    "llm.token_count.completion_details.reasoning": 0,
    "llm.token_count.completion_details.audio": 0,
}


def test_tool_call_span_as_openinference_openai_0_1_66_records_it() -> None:
    span = normalized(
        TOOL_CALL_SPAN, name="ChatCompletion", scope_name="openinference.instrumentation.openai"
    )
    assert span.kind is SpanKind.LLM
    assert (span.provider, span.request_model, span.response_model) == (
        "openai",
        "",
        "gpt-4o-mini-2024-07-18",
    )
    assert span.usage == {"input": 150, "output": 20}
    # input.value and output.value rank above the flattened messages, which are then dropped.
    assert json.loads(span.input)["messages"] == [{"role": "user", "content": "Weather in Paris?"}]
    assert span.output == TOOL_CALL_OUTPUT
    assert span.attributes == {
        "llm.invocation_parameters": '{"model": "gpt-4o-mini"}',
        "llm.finish_reason": "tool_calls",
        "input.mime_type": "application/json",
        "output.mime_type": "application/json",
        "llm.tools.0.tool.json_schema": WEATHER_TOOL_SCHEMA,
        "llm.token_count.total": "170",
    }


def test_tool_calls_in_output_messages_are_the_output_when_output_value_is_absent() -> None:
    attributes = {name: value for name, value in TOOL_CALL_SPAN.items() if name != "output.value"}
    span = normalized(attributes)
    assert json.loads(span.output) == [
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_000000000000000000000005",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        }
    ]


def test_a_tool_result_message_keeps_its_tool_call_id() -> None:
    span = normalized(
        {
            "llm.input_messages.0.message.role": "assistant",
            "llm.input_messages.0.message.tool_calls.0.tool_call.id": "call_1",
            "llm.input_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
            "llm.input_messages.1.message.role": "tool",
            "llm.input_messages.1.message.name": "get_weather",
            "llm.input_messages.1.message.tool_call_id": "call_1",
            "llm.input_messages.1.message.content": "sunny",
        }
    )
    assert json.loads(span.input) == [
        {"role": "assistant", "tool_calls": [{"id": "call_1", "function": {"name": "get_weather"}}]},
        {"role": "tool", "name": "get_weather", "tool_call_id": "call_1", "content": "sunny"},
    ]


def test_responses_api_span_as_openinference_openai_0_1_66_records_it() -> None:
    span = normalized(
        {
            "openinference.span.kind": "LLM",
            "llm.system": "openai",
            "llm.model_name": "o4-mini-2025-04-16",
            "input.value": '{"model": "o4-mini", "input": "Use the Responses API."}',
            "output.value": '{"id":"resp_000000000000000000000013","object":"response","output":[]}',
            "llm.output_messages.0.message.contents.0.message_content.type": "reasoning",
            "llm.output_messages.0.message.role": "assistant",
            "llm.token_count.prompt": 2000,
            "llm.token_count.completion": 300,
            "llm.token_count.total": 2300,
            "llm.token_count.prompt_details.cache_read": 1500,
            "llm.token_count.prompt_details.cache_write": 0,
            "llm.token_count.completion_details.reasoning": 200,
        },
        name="Response",
    )
    assert span.model == "o4-mini-2025-04-16"
    assert span.usage == {"input": 2000, "output": 300, "cache_read": 1500, "reasoning": 200}
    assert span.response_id == ""  # not an attribute; tokentrail.semconv.enrich reads it from the output
    assert span.attributes == {"llm.token_count.total": "2300"}


EMBEDDING_PARAMETERS = '{"model": "text-embedding-3-small", "encoding_format": "base64"}'


def test_embedding_span_as_openinference_openai_0_1_66_records_it() -> None:
    span = normalized(
        {
            "openinference.span.kind": "EMBEDDING",
            "embedding.model_name": "text-embedding-3-small",
            "embedding.invocation_parameters": EMBEDDING_PARAMETERS,
            "embedding.embeddings.0.embedding.text": "tokentrail embeds",
            "llm.system": "openai",
            "llm.token_count.prompt": 6,
            "llm.token_count.total": 6,
            "input.value": '{"model": "text-embedding-3-small", "input": "tokentrail embeds"}',
            "input.mime_type": "application/json",
        },
        name="CreateEmbeddings",
    )
    assert span.kind is SpanKind.EMBEDDING
    assert (span.provider, span.model, span.usage) == ("openai", "text-embedding-3-small", {"input": 6})
    assert json.loads(span.input)["input"] == "tokentrail embeds"
    assert span.attributes == {
        "embedding.invocation_parameters": EMBEDDING_PARAMETERS,
        "embedding.embeddings.0.embedding.text": "tokentrail embeds",
        "llm.token_count.total": "6",
        "input.mime_type": "application/json",
    }


LANGCHAIN_METADATA = (
    '{"ls_provider": "openai", "ls_model_name": "gpt-4o-mini", "ls_model_type": "chat", '
    '"ls_temperature": null, '
    '"lc_versions": {"langchain-core": "1.8.3", "langchain-openai": "1.7.4"}}'
)


def test_langchain_model_span_carries_the_runs_metadata() -> None:
    span = normalized(
        {
            "openinference.span.kind": "LLM",
            "llm.provider": "openai",
            "llm.system": "openai",
            "llm.model_name": "gpt-4o-mini-2024-07-18",
            "llm.token_count.prompt": 1200,
            "llm.token_count.completion": 20,
            "llm.token_count.prompt_details.cache_read": 1024,
            "metadata": LANGCHAIN_METADATA,
        },
        name="ChatOpenAI",
        scope_name="openinference.instrumentation.langchain",
    )
    assert span.usage == {"input": 1200, "output": 20, "cache_read": 1024}
    # Metadata is flat: strings as they are, anything else (null, objects) as compact JSON.
    assert span.metadata == {
        "ls_provider": "openai",
        "ls_model_name": "gpt-4o-mini",
        "ls_model_type": "chat",
        "ls_temperature": "null",
        "lc_versions": '{"langchain-core":"1.8.3","langchain-openai":"1.7.4"}',
    }


def test_langchain_prompt_template_span_is_a_chain_step() -> None:
    span = normalized(
        {
            "openinference.span.kind": "PROMPT",
            "llm.prompt_template.template": "You answer weather questions.",
            "input.value": '{"history": []}',
            "output.value": '{"messages": [{"content": "You answer weather questions.", "type": "system"}]}',
        },
        name="ChatPromptTemplate",
    )
    assert span.kind is SpanKind.CHAIN
    assert span.attributes == {"llm.prompt_template.template": "You answer weather questions."}


# -- kinds ------------------------------------------------------------------------------------------------


def test_unknown_kind_leaves_a_span_with_a_model_and_usage_an_llm_call() -> None:
    span = normalized(
        {"openinference.span.kind": "UNKNOWN", "llm.model_name": "gpt-4o", "llm.token_count.prompt": 3}
    )
    assert span.kind is SpanKind.LLM
    assert span.usage == {"input": 3}


def test_agent_name_alone_makes_an_agent_span_and_stays_an_attribute() -> None:
    span = normalized({"agent.name": "planner"})
    assert span.kind is SpanKind.AGENT
    assert span.attributes == {"agent.name": "planner"}


@pytest.mark.parametrize("kind", ["AGENT", "CHAIN", "PROMPT"])
def test_usage_and_cost_summed_on_an_agent_or_chain_span_are_kept_raw(kind: str) -> None:
    span = normalized(
        {
            "openinference.span.kind": kind,
            "llm.model_name": "gpt-4o",
            "llm.token_count.prompt": 2450,
            "llm.token_count.completion": 32,
            "llm.token_count.prompt_details.cache_read": 2048,
            "llm.cost.total": 0.00041,
            "input.value": "plan a trip",
            "output.value": "done",
        }
    )
    assert (span.usage, span.reported_cost) == ({}, {})
    assert (span.input, span.output) == ("plan a trip", "done")
    assert span.attributes == {
        "llm.token_count.prompt": "2450",
        "llm.token_count.completion": "32",
        "llm.token_count.prompt_details.cache_read": "2048",
        "llm.cost.total": "0.00041",
    }


def test_a_custom_cost_on_an_agent_span_is_the_agents_own() -> None:
    span = normalized({"openinference.span.kind": "AGENT", "tokentrail.cost.usd": "0.01"})
    assert span.reported_cost == {"agent": Decimal("0.01")}


@pytest.mark.parametrize(
    ("attribute", "field", "value", "expected"),
    [
        ("decision.provider", "provider", "openai", "openai"),
        ("decision.system", "provider", "anthropic", "anthropic"),
        ("decision.request.model_name", "request_model", "dm-1", "dm-1"),
        ("decision.response.model_name", "response_model", "dm-1-0801", "dm-1-0801"),
        ("decision.model_name", "response_model", "dm-1-0801", "dm-1-0801"),
    ],
)
def test_decision_spans_mirror_the_llm_names(attribute: str, field: str, value: str, expected: str) -> None:
    span = normalized({"openinference.span.kind": "DECISION", attribute: value})
    assert span.kind is SpanKind.LLM
    assert getattr(span, field) == expected


def test_decision_token_counts_are_usage() -> None:
    span = normalized(
        {
            "openinference.span.kind": "DECISION",
            "decision.model_name": "dm-1",
            "decision.token_count.input": 50,
            "decision.token_count.output": 2,
        }
    )
    assert span.usage == {"input": 50, "output": 2}


def test_llm_token_counts_win_over_decision_token_counts() -> None:
    span = normalized({"llm.token_count.prompt": 10, "decision.token_count.input": 50})
    assert span.usage == {"input": 10}


# -- reported cost: disjoint types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("costs", "reported"),
    [
        pytest.param(
            {
                "llm.cost.prompt": 0.0011,
                "llm.cost.prompt_details.cache_read": 0.0004,
                "llm.cost.prompt_details.cache_write": 0.0006,
            },
            {"input": "0.0001", "cache_read": "0.0004", "cache_write": "0.0006"},
            id="prompt-includes-the-cache",
        ),
        pytest.param(
            {"llm.cost.prompt": 0.0005, "llm.cost.prompt_details.audio": 0.0002},
            {"input": "0.0003", "audio_in": "0.0002"},
            id="prompt-includes-audio",
        ),
        pytest.param(
            {
                "llm.cost.completion": 0.002,
                "llm.cost.completion_details.reasoning": 0.0015,
                "llm.cost.completion_details.audio": 0.0001,
            },
            {"output": "0.0004", "reasoning": "0.0015", "audio_out": "0.0001"},
            id="completion-includes-reasoning-and-audio",
        ),
        pytest.param(
            {
                "llm.cost.prompt": 0.0011,
                "llm.cost.prompt_details.input": 0.0001,
                "llm.cost.prompt_details.cache_read": 0.0004,
            },
            {"input": "0.0001", "cache_read": "0.0004"},
            id="prompt-details-input-is-already-uncached",
        ),
        pytest.param(
            {"llm.cost.completion": 0.002, "llm.cost.completion_details.output": 0.0005},
            {"output": "0.0005"},
            id="completion-details-output-is-already-disjoint",
        ),
        pytest.param(
            {"llm.cost.prompt": 0.0001, "llm.cost.prompt_details.cache_read": 0.0004},
            {"input": "0.0001", "cache_read": "0.0004"},
            id="parts-larger-than-the-whole-are-left-as-stated",
        ),
        pytest.param(
            {
                "llm.cost.total": 0.0031,
                "llm.cost.prompt": 0.0011,
                "llm.cost.prompt_details.cache_read": 0.0004,
            },
            {"total": "0.0031", "input": "0.0007", "cache_read": "0.0004"},
            id="the-total-is-never-adjusted",
        ),
    ],
)
def test_reported_cost_types_are_disjoint(costs: dict[str, AttributeValue], reported: dict[str, str]) -> None:
    span = normalized({"openinference.span.kind": "LLM", **costs})
    assert span.reported_cost == {key: Decimal(amount) for key, amount in reported.items()}
    assert span.attributes == {}


@pytest.mark.parametrize(
    "attribute", ["llm.cost.prompt_details.cache_input", "llm.token_count.prompt_details.cache_input"]
)
def test_cache_input_names_overlap_both_cache_types_and_stay_raw(attribute: str) -> None:
    span = normalized({attribute: 5})
    assert (span.usage, span.reported_cost) == ({}, {})
    assert span.attributes == {attribute: "5"}


# -- retrieval and reranking ------------------------------------------------------------------------------


def test_retriever_documents_are_the_output() -> None:
    span = normalized(
        {
            "openinference.span.kind": "RETRIEVER",
            "input.value": "refund policy",
            "retrieval.documents.0.document.id": "doc-1",
            "retrieval.documents.0.document.score": 0.92,
            "retrieval.documents.0.document.content": "Refunds within 30 days.",
            "retrieval.documents.0.document.metadata": '{"source": "faq.md"}',
            "retrieval.documents.1.document.id": "doc-2",
            "retrieval.documents.1.document.score": 0.71,
            "retrieval.documents.1.document.content": "Shipping is free.",
        }
    )
    assert span.kind is SpanKind.RETRIEVAL
    assert span.input == "refund policy"
    assert json.loads(span.output) == [
        {
            "id": "doc-1",
            "score": 0.92,
            "content": "Refunds within 30 days.",
            "metadata": '{"source": "faq.md"}',
        },
        {"id": "doc-2", "score": 0.71, "content": "Shipping is free."},
    ]
    assert span.attributes == {}


def test_output_value_wins_over_the_retrieved_documents() -> None:
    span = normalized({"output.value": '{"documents": []}', "retrieval.documents.0.document.id": "doc-1"})
    assert span.output == '{"documents": []}'
    assert span.attributes == {}


def test_reranker_query_in_reranked_documents_out() -> None:
    span = normalized(
        {
            "openinference.span.kind": "RERANKER",
            "reranker.model_name": "cross-encoder/ms-marco-MiniLM-L-6-v2",
            "reranker.query": "refund policy",
            "reranker.top_k": 1,
            "reranker.input_documents.0.document.id": "doc-1",
            "reranker.input_documents.1.document.id": "doc-2",
            "reranker.output_documents.0.document.id": "doc-2",
            "reranker.output_documents.0.document.score": 0.98,
        }
    )
    assert span.kind is SpanKind.RERANK
    assert span.model == "cross-encoder/ms-marco-MiniLM-L-6-v2"
    assert span.input == "refund policy"  # the query ranks above the candidate documents ...
    assert json.loads(span.output) == [{"id": "doc-2", "score": 0.98}]
    assert span.attributes == {  # ... which are kept, not dropped: they are not a copy of the query
        "reranker.top_k": "1",
        "reranker.input_documents.0.document.id": "doc-1",
        "reranker.input_documents.1.document.id": "doc-2",
    }


def test_reranker_input_documents_are_the_input_without_a_query() -> None:
    span = normalized({"reranker.input_documents.0.document.id": "doc-1"})
    assert json.loads(span.input) == [{"id": "doc-1"}]


def test_completions_api_prompts_and_choices_are_the_payloads() -> None:
    span = normalized(
        {
            "openinference.span.kind": "LLM",
            "llm.prompts.0.prompt.text": "Once upon",
            "llm.choices.0.completion.text": " a time",
        }
    )
    assert (json.loads(span.input), json.loads(span.output)) == (
        [{"text": "Once upon"}],
        [{"text": " a time"}],
    )


# -- tags and metadata ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "tags"),
    [
        (["beta", "eu"], ["beta", "eu"]),
        ('["beta", "eu"]', ["beta", "eu"]),  # a list JSON-encoded into one string
        ("solo", ["solo"]),
        (["beta", "", "eu"], ["beta", "eu"]),
    ],
)
def test_tag_tags_is_a_list_of_strings(value: AttributeValue, tags: list[str]) -> None:
    assert normalized({"tag.tags": value}).tags == tags


@pytest.mark.parametrize("value", [[], "", [""]])
def test_empty_tags_are_kept_raw(value: AttributeValue) -> None:
    span = normalized({"tag.tags": value})
    assert span.tags == []
    assert "tag.tags" in span.attributes


def test_structured_metadata_is_read_like_its_json() -> None:
    assert normalized({"metadata": {"tenant": "acme", "retries": 2}}).metadata == {
        "tenant": "acme",
        "retries": "2",
    }
