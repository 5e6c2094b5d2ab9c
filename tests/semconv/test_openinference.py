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
        ("llm.provider", "google", "gcp.gen_ai"),
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
    assert span.usage == {"input": 1200, "output": 40, "cache_read": 1024, "reasoning": 0}
    assert span.input.startswith('{"messages"')
    assert span.attributes == {
        "llm.invocation_parameters": '{"model": "gpt-4o-mini", "temperature": 0}',
        "input.mime_type": "application/json",
        "output.mime_type": "application/json",
        "llm.token_count.total": "1240",
    }
