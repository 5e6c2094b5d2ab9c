"""OpenLLMetry / Traceloop (``traceloop.*``, ``llm.*``, flattened ``gen_ai.prompt.N.*``) through
``normalize``: the traceloop-sdk 0.62.4 decorators and instrumentations, and the spellings of releases
before 0.54.

Input tokens include cached ones (the Anthropic instrumentation sums them), so no count is adjusted.
"""

from __future__ import annotations

import json

import pytest

from raw_spans import normalized
from tokentrail.model import AttributeValue, SpanKind

SESSION, USER = "tl-session-7", "rita@example.com"
ASSOCIATION = {
    "traceloop.association.properties.session_id": SESSION,
    "traceloop.association.properties.user_id": USER,
}


@pytest.mark.parametrize(
    ("span_kind", "kind"),
    [
        ("workflow", SpanKind.CHAIN),
        ("task", SpanKind.CHAIN),
        ("agent", SpanKind.AGENT),
        ("tool", SpanKind.TOOL),
        ("unknown", SpanKind.OTHER),
    ],
)
def test_traceloop_span_kind_sets_the_kind(span_kind: str, kind: SpanKind) -> None:
    span = normalized({"traceloop.span.kind": span_kind})
    assert span.kind is kind
    assert span.attributes == {}


@pytest.mark.parametrize(
    ("request_type", "kind"),
    [
        ("chat", SpanKind.LLM),
        ("completion", SpanKind.LLM),
        ("embedding", SpanKind.EMBEDDING),
        ("rerank", SpanKind.RERANK),
        ("unknown", SpanKind.OTHER),
    ],
)
def test_llm_request_type_sets_the_kind(request_type: str, kind: SpanKind) -> None:
    span = normalized({"llm.request.type": request_type})
    assert span.kind is kind
    assert span.attributes == {}


# -- the decorators (traceloop-sdk 0.62.4) ---------------------------------------------------------------


def test_workflow_span_as_traceloop_sdk_0_62_exports_it() -> None:
    span = normalized(
        {
            "traceloop.span.kind": "workflow",
            "traceloop.entity.name": "weather_turn",
            "traceloop.workflow.name": "weather_turn",
            "traceloop.entity.input": '{"args": ["Is it sunny in Lisbon?"], "kwargs": {}}',
            "traceloop.entity.output": '"Yes, sunny."',
            **ASSOCIATION,
        },
        name="weather_turn.workflow",
        scope_name="traceloop.tracer",
    )
    assert span.kind is SpanKind.CHAIN
    assert (span.session_id, span.user_id, span.trace_name) == (SESSION, USER, "weather_turn")
    assert span.metadata == {}
    assert json.loads(span.input) == {"args": ["Is it sunny in Lisbon?"], "kwargs": {}}
    assert span.output == '"Yes, sunny."'
    assert span.attributes == {"traceloop.entity.name": "weather_turn"}


def test_task_span_as_traceloop_sdk_0_62_exports_it() -> None:
    span = normalized(
        {
            "traceloop.span.kind": "task",
            "traceloop.entity.name": "plan",
            "traceloop.workflow.name": "weather_turn",
            "traceloop.entity.path": "",
            "traceloop.entity.input": '{"args": ["Is it sunny in Lisbon?"], "kwargs": {}}',
            "traceloop.entity.output": '{"city": "Lisbon"}',
            **ASSOCIATION,
        },
        name="plan.task",
    )
    assert span.kind is SpanKind.CHAIN
    assert (span.session_id, span.user_id, span.trace_name) == (SESSION, USER, "weather_turn")
    assert span.output == '{"city": "Lisbon"}'
    assert span.attributes == {"traceloop.entity.name": "plan", "traceloop.entity.path": ""}


def test_tool_span_as_traceloop_sdk_0_62_exports_it() -> None:
    span = normalized(
        {
            "traceloop.span.kind": "tool",
            "traceloop.entity.name": "get_weather",
            "gen_ai.tool.name": "get_weather",
            "traceloop.workflow.name": "weather_turn",
            "traceloop.entity.path": "",
            "traceloop.entity.input": '{"args": ["Lisbon"], "kwargs": {}}',
            "traceloop.entity.output": '{"city": "Lisbon", "sky": "sunny", "temp_c": 24}',
            **ASSOCIATION,
        },
        name="get_weather.tool",
    )
    assert span.kind is SpanKind.TOOL
    assert json.loads(span.output) == {"city": "Lisbon", "sky": "sunny", "temp_c": 24}
    assert (span.usage, span.reported_cost) == ({}, {})
    assert span.attributes == {
        "traceloop.entity.name": "get_weather",
        "gen_ai.tool.name": "get_weather",
        "traceloop.entity.path": "",
    }


@pytest.mark.parametrize(("kind", "expected"), [("tool", SpanKind.TOOL), ("task", SpanKind.CHAIN)])
def test_the_entity_name_is_the_spans_tool_name_whatever_its_kind(kind, expected) -> None:
    # A per-call price rule matches a decorated task by its name as it matches a tool.
    span = normalized({"traceloop.span.kind": kind, "traceloop.entity.name": "get_weather"})
    assert (span.kind, span.tool_name) == (expected, "get_weather")


def test_an_entity_name_alone_implies_no_kind() -> None:
    span = normalized({"traceloop.entity.name": "plan"})
    assert (span.kind, span.tool_name) == (SpanKind.OTHER, "plan")


INPUT_MESSAGES = [{"role": "user", "parts": [{"type": "text", "content": "Is it sunny in Lisbon?"}]}]
OUTPUT_MESSAGES = [
    {
        "role": "assistant",
        "parts": [
            {"type": "text", "content": "Let me check."},
            {"type": "tool_call", "id": "toolu_01", "name": "get_weather", "arguments": {"city": "Lisbon"}},
        ],
        "finish_reason": "tool_use",
    }
]
INSTRUCTIONS = [{"type": "text", "content": "You answer questions about the weather."}]


def test_anthropic_chat_span_as_openllmetry_0_62_exports_it() -> None:
    span = normalized(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": "claude-haiku-4-5",
            "gen_ai.request.max_tokens": 256,
            "gen_ai.response.model": "claude-haiku-4-5-20251001",
            "gen_ai.response.id": "msg_01XFDUDYJgAACzvnptvVoYEL",
            "gen_ai.usage.input_tokens": 2063,  # 15 + 2048 written to the cache
            "gen_ai.usage.output_tokens": 40,
            "gen_ai.usage.total_tokens": 2103,
            "gen_ai.usage.cache_creation.input_tokens": 2048,
            "gen_ai.usage.cache_read.input_tokens": 0,
            "gen_ai.input.messages": json.dumps(INPUT_MESSAGES),
            "gen_ai.output.messages": json.dumps(OUTPUT_MESSAGES),
            "gen_ai.system_instructions": json.dumps(INSTRUCTIONS),
            "traceloop.workflow.name": "weather_turn",
            "traceloop.entity.path": "plan",
            **ASSOCIATION,
        },
        name="anthropic.chat",
        scope_name="opentelemetry.instrumentation.anthropic",
    )
    assert span.kind is SpanKind.LLM
    assert span.provider == "anthropic"
    assert (span.request_model, span.response_model) == ("claude-haiku-4-5", "claude-haiku-4-5-20251001")
    assert span.response_id == "msg_01XFDUDYJgAACzvnptvVoYEL"
    assert span.usage == {"input": 2063, "output": 40, "cache_write": 2048}
    assert (span.session_id, span.user_id, span.trace_name) == (SESSION, USER, "weather_turn")
    assert json.loads(span.input) == [{"role": "system", "parts": INSTRUCTIONS}, *INPUT_MESSAGES]
    assert json.loads(span.output) == OUTPUT_MESSAGES
    assert span.attributes == {
        "gen_ai.request.max_tokens": "256",
        "gen_ai.usage.total_tokens": "2103",
        "traceloop.entity.path": "plan",
    }


# -- association properties -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("session_id", "session_id"),
        ("sessionId", "session_id"),
        ("thread_id", "session_id"),
        ("conversation_id", "session_id"),
        ("user_id", "user_id"),
        ("userId", "user_id"),
    ],
)
def test_association_properties_that_name_the_session_or_user(key: str, field: str) -> None:
    span = normalized({f"traceloop.association.properties.{key}": "id-1"})
    assert getattr(span, field) == "id-1"
    assert (span.metadata, span.attributes) == ({}, {})


def test_other_association_properties_are_metadata() -> None:
    span = normalized(
        {
            "traceloop.association.properties.customer_id": "cust-9",
            "traceloop.association.properties.chat_turn": 3,
        }
    )
    assert span.metadata == {"customer_id": "cust-9", "chat_turn": "3"}
    assert span.attributes == {}


def test_an_association_id_that_is_not_text_is_kept_raw() -> None:
    span = normalized({"traceloop.association.properties.session_id": True})
    assert span.session_id == ""
    assert span.attributes == {"traceloop.association.properties.session_id": "true"}


@pytest.mark.parametrize("attribute", ["gen_ai.user", "llm.user"])
def test_the_end_user_passed_to_the_provider_is_the_user(attribute: str) -> None:
    assert normalized({attribute: "u-42"}).user_id == "u-42"


# -- before 0.54: flattened messages, older usage spellings -------------------------------------------------

FLATTENED: dict[str, AttributeValue] = {
    "gen_ai.prompt.0.role": "system",
    "gen_ai.prompt.0.content": "You answer questions about the weather.",
    "gen_ai.prompt.1.role": "user",
    "gen_ai.prompt.1.content": "Is it sunny in Lisbon?",
    "gen_ai.completion.0.role": "assistant",
    "gen_ai.completion.0.content": "Let me check.",
    "gen_ai.completion.0.finish_reason": "tool_use",
    "gen_ai.completion.0.tool_calls.0.id": "toolu_01",
    "gen_ai.completion.0.tool_calls.0.name": "get_weather",
    "gen_ai.completion.0.tool_calls.0.arguments": '{"city": "Lisbon"}',
}


def test_anthropic_chat_span_as_openllmetry_0_47_exported_it() -> None:
    span = normalized(
        {
            "llm.request.type": "chat",
            "gen_ai.system": "Anthropic",
            "gen_ai.request.model": "claude-3-5-haiku-latest",
            "gen_ai.response.model": "claude-3-5-haiku-20241022",
            "gen_ai.usage.prompt_tokens": 2063,
            "gen_ai.usage.completion_tokens": 40,
            "llm.usage.total_tokens": 2103,
            "gen_ai.usage.cache_creation_input_tokens": 2048,
            "gen_ai.usage.cache_read_input_tokens": 0,
            **FLATTENED,
        },
        name="anthropic.chat",
    )
    assert span.kind is SpanKind.LLM
    assert span.provider == "anthropic"  # capitalized before 0.53.4
    assert span.usage == {"input": 2063, "output": 40, "cache_write": 2048}
    assert json.loads(span.input) == [
        {"role": "system", "content": "You answer questions about the weather."},
        {"role": "user", "content": "Is it sunny in Lisbon?"},
    ]
    assert json.loads(span.output) == [
        {
            "role": "assistant",
            "content": "Let me check.",
            "finish_reason": "tool_use",
            "tool_calls": [{"id": "toolu_01", "name": "get_weather", "arguments": '{"city": "Lisbon"}'}],
        }
    ]
    assert span.attributes == {"llm.usage.total_tokens": "2103"}


@pytest.mark.parametrize(
    ("attribute", "usage_type"),
    [
        ("llm.usage.reasoning_tokens", "reasoning"),  # 0.52-0.53.3
        ("gen_ai.usage.reasoning_tokens", "reasoning"),  # since 0.53.4
        ("gen_ai.usage.cache_read_input_tokens", "cache_read"),  # before 0.53.4
        ("gen_ai.usage.cache_creation_input_tokens", "cache_write"),  # before 0.53.4
        ("gen_ai.usage.cache_read.input_tokens", "cache_read"),  # since 0.53.4
        ("gen_ai.usage.cache_creation.input_tokens", "cache_write"),  # since 0.53.4
    ],
)
def test_openllmetry_usage_spellings_across_releases(attribute: str, usage_type: str) -> None:
    assert normalized({attribute: 9}).usage == {usage_type: 9}


def test_total_token_counts_have_no_canonical_key_and_stay_raw() -> None:
    span = normalized({"llm.usage.total_tokens": 55, "gen_ai.usage.total_tokens": 55})
    assert span.usage == {}
    assert span.attributes == {"llm.usage.total_tokens": "55", "gen_ai.usage.total_tokens": "55"}


def test_flattened_names_without_an_index_are_not_messages() -> None:
    span = normalized({"gen_ai.prompt.template": "Hello {name}", "gen_ai.completion.summary": "x"})
    assert (span.input, span.output) == ("", "")
    assert span.attributes == {"gen_ai.prompt.template": "Hello {name}", "gen_ai.completion.summary": "x"}


def test_flattened_messages_that_clash_are_kept_raw() -> None:
    attributes: dict[str, AttributeValue] = {
        "gen_ai.prompt.0.content": "text",
        "gen_ai.prompt.0.content.0.text": "clashes with the text above",
    }
    span = normalized(attributes)
    assert span.input == ""
    assert span.attributes == attributes


def test_flattened_messages_are_ordered_by_index() -> None:
    span = normalized({"gen_ai.prompt.10.content": "eleventh", "gen_ai.prompt.9.content": "tenth"})
    assert json.loads(span.input) == [{"content": "tenth"}, {"content": "eleventh"}]


# -- aggregate spans ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("span_kind", ["workflow", "task", "agent"])
def test_usage_on_a_workflow_task_or_agent_span_is_kept_raw(span_kind: str) -> None:
    span = normalized(
        {
            "traceloop.span.kind": span_kind,
            "gen_ai.request.model": "claude-haiku-4-5",
            "gen_ai.usage.input_tokens": 4141,
            "gen_ai.usage.output_tokens": 52,
        }
    )
    assert span.usage == {}
    assert span.attributes == {"gen_ai.usage.input_tokens": "4141", "gen_ai.usage.output_tokens": "52"}


# -- OpenLLMetry beside GenAI -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span_kind", "operation", "kind"),
    [
        ("task", "execute_task", SpanKind.CHAIN),  # they agree
        ("tool", "chat", SpanKind.TOOL),  # traceloop.span.kind ranks above gen_ai.operation.name
        ("workflow", "invoke_agent", SpanKind.CHAIN),
        ("unknown", "chat", SpanKind.LLM),  # unknown says nothing, so GenAI decides
    ],
)
def test_traceloop_span_kind_outranks_the_genai_operation_name(
    span_kind: str, operation: str, kind: SpanKind
) -> None:
    span = normalized({"traceloop.span.kind": span_kind, "gen_ai.operation.name": operation})
    assert span.kind is kind
    assert span.attributes == {}


def test_llm_request_type_outranks_the_genai_operation_name() -> None:
    assert normalized({"llm.request.type": "embedding", "gen_ai.operation.name": "chat"}).kind is (
        SpanKind.EMBEDDING
    )


def test_entity_input_and_output_outrank_the_genai_messages() -> None:
    span = normalized(
        {
            "traceloop.entity.input": '{"args": [], "kwargs": {"q": 1}}',
            "gen_ai.input.messages": json.dumps(INPUT_MESSAGES),
            "traceloop.entity.output": '"done"',
            "gen_ai.output.messages": json.dumps(OUTPUT_MESSAGES),
        }
    )
    assert (span.input, span.output) == ('{"args": [], "kwargs": {"q": 1}}', '"done"')
    assert span.attributes == {}


def test_workflow_name_outranks_the_genai_workflow_name() -> None:
    span = normalized({"traceloop.workflow.name": "weather_turn", "gen_ai.workflow.name": "other"})
    assert span.trace_name == "weather_turn"


def test_association_session_outranks_the_genai_conversation_id() -> None:
    span = normalized(
        {"traceloop.association.properties.session_id": SESSION, "gen_ai.conversation.id": "conv-1"}
    )
    assert span.session_id == SESSION
