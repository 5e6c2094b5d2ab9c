"""OpenTelemetry GenAI conventions (``gen_ai.*``), current and deprecated names, through ``normalize``."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from raw_spans import normalized
from tokentrail.model import AttributeValue, RawEvent, SpanKind


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


@pytest.mark.parametrize(
    ("attributes", "provider"),
    [
        ({"gen_ai.system": "gemini"}, "gcp.gemini"),  # OpenTelemetry google-genai instrumentation
        ({"llm.provider": "google"}, "gcp.gemini"),  # OpenInference
        ({"gen_ai.provider.name": "google"}, "gcp.gemini"),  # pydantic-ai
        ({"gen_ai.provider.name": "google-gla"}, "gcp.gemini"),  # pydantic-ai before 1.0
        ({"gen_ai.system": "google.generative-ai.chat"}, "gcp.gemini"),  # Vercel AI SDK
        ({"gen_ai.provider.name": "gcp.gen_ai"}, "gcp.gemini"),  # backend unknown
        (
            {"gen_ai.provider.name": "gcp.gen_ai", "server.address": "generativelanguage.googleapis.com"},
            "gcp.gemini",
        ),
        (
            {"gen_ai.provider.name": "gcp.gen_ai", "server.address": "us-central1-aiplatform.googleapis.com"},
            "gcp.vertex_ai",
        ),
        ({"llm.provider": "google", "server.address": "aiplatform.googleapis.com"}, "gcp.vertex_ai"),
        ({"gen_ai.system": "vertex_ai"}, "gcp.vertex_ai"),
    ],
)
def test_the_gemini_api_has_one_provider_name_whatever_the_instrumentation_calls_it(
    attributes: dict[str, str], provider: str
) -> None:
    assert normalized(attributes).provider == provider


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


def test_the_tool_name_is_the_spans_tool_name() -> None:
    span = normalized({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather"})
    assert (span.kind, span.tool_name) == (SpanKind.TOOL, "get_weather")


def test_an_agent_name_is_no_tool_name() -> None:
    assert normalized({"gen_ai.agent.name": "Math Tutor"}).tool_name == ""


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
    assert span.response_id == "msg_01XFDUDYJgAACzvnptvVoYEL"
    assert span.attributes == {
        "gen_ai.request.max_tokens": "1024",
        "anthropic.usage.cache_creation.ephemeral_5m_input_tokens": "200",
        "server.address": "api.anthropic.com",
        "http.request.method": "POST",
        "http.response.status_code": "200",
    }


# -- usage parts ------------------------------------------------------------------------------------------


def test_audio_and_image_counts_are_parts_of_input_and_output() -> None:
    span = normalized(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o-audio-preview",
            "gen_ai.usage.input_tokens": 500,
            "gen_ai.usage.output_tokens": 300,
            "gen_ai.usage.audio.input_tokens": 200,
            "gen_ai.usage.image.input_tokens": 85,
            "gen_ai.usage.audio.output_tokens": 250,
            # Text counts are the rest of each whole: no canonical key of their own.
            "gen_ai.usage.text.input_tokens": 215,
            "gen_ai.usage.text.output_tokens": 50,
        }
    )
    # Parts are inside their wholes already: nothing is added.
    assert span.usage == {"input": 500, "output": 300, "audio_in": 200, "image_in": 85, "audio_out": 250}
    assert span.attributes == {
        "gen_ai.usage.text.input_tokens": "215",
        "gen_ai.usage.text.output_tokens": "50",
    }


@pytest.mark.parametrize(
    ("attribute", "usage_type"),
    [
        ("gen_ai.usage.audio.input_tokens", "audio_in"),
        ("gen_ai.usage.image.input_tokens", "image_in"),
        ("gen_ai.usage.audio.output_tokens", "audio_out"),
        ("anthropic.usage.cache_creation.ephemeral_1h_input_tokens", "cache_write_1h"),
    ],
)
def test_modality_and_lifetime_counts_map_to_their_parts(attribute: str, usage_type: str) -> None:
    assert normalized({attribute: 12}).usage == {usage_type: 12}


def test_parts_counted_zero_are_left_out_but_zero_wholes_stay() -> None:
    span = normalized(
        {
            "gen_ai.usage.input_tokens": 0,
            "gen_ai.usage.output_tokens": 0,
            "gen_ai.usage.cache_read.input_tokens": 0,
            "gen_ai.usage.reasoning.output_tokens": 0,
            "gen_ai.usage.audio.input_tokens": 0,
        }
    )
    assert span.usage == {"input": 0, "output": 0}


def test_one_hour_cache_writes_are_a_part_of_the_cache_write() -> None:
    span = normalized(
        {
            "gen_ai.usage.input_tokens": 2068,
            "gen_ai.usage.cache_write.input_tokens": 2048,
            "anthropic.usage.cache_creation.ephemeral_5m_input_tokens": 512,
            "anthropic.usage.cache_creation.ephemeral_1h_input_tokens": 1536,
        }
    )
    assert span.usage == {"input": 2068, "cache_write": 2048, "cache_write_1h": 1536}
    assert span.attributes == {"anthropic.usage.cache_creation.ephemeral_5m_input_tokens": "512"}


# -- tool, retrieval, memory and workflow spans ------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "result"),
    [('{"city": "Paris"}', '"sunny"'), ({"city": "Paris"}, {"sky": "sunny"})],
    ids=["json-strings", "structured"],
)
def test_tool_call_arguments_and_result_are_the_tool_spans_input_and_output(
    arguments: AttributeValue, result: AttributeValue
) -> None:
    span = normalized(
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.call.id": "call_1",
            "gen_ai.tool.type": "function",
            "gen_ai.tool.call.arguments": arguments,
            "gen_ai.tool.call.result": result,
        },
        name="execute_tool get_weather",
    )
    assert span.kind is SpanKind.TOOL
    assert json.loads(span.input) == (json.loads(arguments) if isinstance(arguments, str) else arguments)
    assert json.loads(span.output) == (json.loads(result) if isinstance(result, str) else result)
    assert span.attributes == {
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.id": "call_1",
        "gen_ai.tool.type": "function",
    }


def test_retrieval_span_query_in_documents_out() -> None:
    documents = [{"id": "doc-1", "score": 0.92, "content": "Refunds within 30 days."}]
    span = normalized(
        {
            "gen_ai.operation.name": "retrieval",
            "gen_ai.data_source.id": "kb-support",
            "gen_ai.retrieval.query.text": "refund policy",
            "gen_ai.retrieval.documents": json.dumps(documents),
        }
    )
    assert span.kind is SpanKind.RETRIEVAL
    assert (span.input, json.loads(span.output)) == ("refund policy", documents)
    assert span.attributes == {"gen_ai.data_source.id": "kb-support"}


def test_memory_search_span_query_in_records_out() -> None:
    records = [{"id": "mem-1", "content": "prefers tea"}]
    span = normalized(
        {
            "gen_ai.operation.name": "search_memory",
            "gen_ai.memory.store.id": "store-1",
            "gen_ai.memory.query.text": "drink preference",
            "gen_ai.memory.records": json.dumps(records),
        }
    )
    assert span.kind is SpanKind.RETRIEVAL
    assert (span.input, json.loads(span.output)) == ("drink preference", records)
    assert span.attributes == {"gen_ai.memory.store.id": "store-1"}


@pytest.mark.parametrize(
    "operation",
    ["create_memory", "update_memory", "delete_memory", "create_memory_store", "delete_memory_store"],
)
def test_memory_writes_are_storage_spans_with_the_records_as_output(operation: str) -> None:
    span = normalized({"gen_ai.operation.name": operation, "gen_ai.memory.records": '[{"id": "mem-1"}]'})
    assert span.kind is SpanKind.DB
    assert span.output == '[{"id": "mem-1"}]'


def test_tool_arguments_rank_above_a_retrieval_query_for_the_input() -> None:
    # Both fill the input; the rows' order in the table decides.
    span = normalized({"gen_ai.tool.call.arguments": "args", "gen_ai.retrieval.query.text": "query"})
    assert span.input == "args"


def test_workflow_name_is_the_trace_name() -> None:
    span = normalized({"gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "checkout"})
    assert (span.kind, span.trace_name) == (SpanKind.CHAIN, "checkout")


@pytest.mark.parametrize("operation", ["invoke_agent", "create_agent", "invoke_workflow", "plan"])
def test_usage_and_cost_on_agent_and_workflow_spans_are_kept_raw(operation: str) -> None:
    span = normalized(
        {
            "gen_ai.operation.name": operation,
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 900,
            "gen_ai.usage.output_tokens": 100,
            "gen_ai.usage.cost": 0.5,
        }
    )
    assert (span.usage, span.reported_cost) == ({}, {})
    assert span.request_model == "gpt-4o"
    assert span.attributes == {
        "gen_ai.usage.input_tokens": "900",
        "gen_ai.usage.output_tokens": "100",
        "gen_ai.usage.cost": "0.5",
    }


# -- the current carrier event ---------------------------------------------------------------------------

OPERATION_DETAILS = "gen_ai.client.inference.operation.details"


def _details(attributes: dict[str, AttributeValue]) -> list[RawEvent]:
    return [RawEvent(OPERATION_DETAILS, 1_767_225_601_400_000_000, attributes)]


def test_operation_details_event_carries_the_content_the_span_left_out() -> None:
    instructions = [{"type": "text", "content": "Be brief."}]
    span = normalized(
        {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"},
        events=_details(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.usage.input_tokens": 1200,
                "gen_ai.input.messages": INPUT_MESSAGES,  # structured, as the event carries it
                "gen_ai.output.messages": OUTPUT_MESSAGES,
                "gen_ai.system_instructions": instructions,
                "openai.response.service_tier": "default",
            }
        ),
    )
    assert json.loads(span.input) == [{"role": "system", "parts": instructions}, *INPUT_MESSAGES]
    assert json.loads(span.output) == OUTPUT_MESSAGES
    assert span.usage == {"input": 1200}
    assert span.attributes == {}  # what the event says and no rule reads stays in the event
    assert [event["name"] for event in json.loads(span.events)] == [OPERATION_DETAILS]


def test_the_spans_own_attributes_win_over_the_same_names_in_the_event() -> None:
    span = normalized(
        {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 7},
        events=_details({"gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 1200}),
    )
    assert (span.request_model, span.usage) == ("gpt-4o", {"input": 7})


# -- deprecated per-message events (v1.28 to v1.36) --------------------------------------------------------


def _message_events() -> list[RawEvent]:
    envelope = {"gen_ai.system": "openai"}
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
    }
    return [
        RawEvent("gen_ai.system.message", 1, {**envelope, "content": "Be brief."}),
        RawEvent("gen_ai.user.message", 2, {**envelope, "content": "Weather in Paris?"}),
        RawEvent("gen_ai.assistant.message", 3, {**envelope, "tool_calls": [call]}),
        RawEvent("gen_ai.tool.message", 4, {**envelope, "id": "call_1", "content": "sunny"}),
        RawEvent(
            "gen_ai.choice",
            5,
            {
                **envelope,
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Sunny."},
            },
        ),
    ]


def test_message_events_become_the_input_and_output_lists_in_event_order() -> None:
    span = normalized({"gen_ai.operation.name": "chat", "gen_ai.system": "openai"}, events=_message_events())
    assert json.loads(span.input) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "id": "call_1", "content": "sunny"},
    ]
    # gen_ai.system describes the event, not the message: it is dropped from each message.
    assert json.loads(span.output) == [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Sunny."}}
    ]
    assert span.provider == "openai"
    assert len(json.loads(span.events)) == 5  # the events are stored as they came


def test_a_role_the_event_states_wins_over_the_one_its_name_implies() -> None:
    span = normalized(events=[RawEvent("gen_ai.user.message", 1, {"role": "developer", "content": "Hi"})])
    assert json.loads(span.input) == [{"role": "developer", "content": "Hi"}]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"role": "user", "content": "Hi"}', {"role": "user", "content": "Hi"}),
        ('[{"type": "text", "text": "Hi"}]', {"role": "user", "content": [{"type": "text", "text": "Hi"}]}),
        ("not json", {"role": "user", "content": "not json"}),
    ],
    ids=["json-object", "json-list", "text"],
)
def test_event_content_attribute_holds_the_whole_message(content: str, message: dict[str, object]) -> None:
    # Azure AI Inference and Semantic Kernel write the message as JSON in gen_ai.event.content.
    event = RawEvent(
        "gen_ai.user.message",
        1,
        {"gen_ai.provider.name": "azure.ai.inference", "gen_ai.event.content": content},
    )
    assert json.loads(normalized(events=[event]).input) == [message]


def test_choice_event_content_is_the_output_message() -> None:
    event = RawEvent(
        "gen_ai.choice",
        2,
        {
            "gen_ai.system": "az.ai.inference",
            "gen_ai.event.content": '{"message": {"content": "Hello"}, "index": 0}',
        },
    )
    assert json.loads(normalized(events=[event]).output) == [{"message": {"content": "Hello"}, "index": 0}]


def test_input_messages_attribute_wins_over_message_events() -> None:
    span = normalized({"gen_ai.input.messages": json.dumps(INPUT_MESSAGES)}, events=_message_events())
    assert json.loads(span.input) == INPUT_MESSAGES
    assert json.loads(span.output)[0]["finish_reason"] == "stop"  # no output attribute: the choice is it


def test_the_deprecated_prompt_attribute_wins_over_message_events() -> None:
    span = normalized(
        {"gen_ai.prompt": '[{"role": "user", "content": "from the attribute"}]'}, events=_message_events()
    )
    assert json.loads(span.input) == [{"role": "user", "content": "from the attribute"}]


def test_v1_26_content_events_carry_the_deprecated_prompt_and_completion() -> None:
    span = normalized(
        events=[
            RawEvent("gen_ai.content.prompt", 1, {"gen_ai.prompt": '[{"role": "user", "content": "Q"}]'}),
            RawEvent(
                "gen_ai.content.completion",
                2,
                {"gen_ai.completion": '[{"role": "assistant", "content": "A"}]'},
            ),
        ]
    )
    assert json.loads(span.input) == [{"role": "user", "content": "Q"}]
    assert json.loads(span.output) == [{"role": "assistant", "content": "A"}]


# -- deprecated gen_ai.prompt / gen_ai.completion ---------------------------------------------------------


def test_deprecated_prompt_and_completion_are_the_payloads() -> None:
    span = normalized(
        {"gen_ai.prompt": '{"question": "Where?"}', "gen_ai.completion": '{"output": "There."}'}
    )
    assert (span.input, span.output) == ('{"question": "Where?"}', '{"output": "There."}')
    assert span.attributes == {}


def test_current_messages_win_over_the_deprecated_prompt_and_completion() -> None:
    span = normalized(
        {
            "gen_ai.prompt": "old prompt",
            "gen_ai.input.messages": json.dumps(INPUT_MESSAGES),
            "gen_ai.completion": "old completion",
            "gen_ai.output.messages": json.dumps(OUTPUT_MESSAGES),
        }
    )
    assert (json.loads(span.input), json.loads(span.output)) == (INPUT_MESSAGES, OUTPUT_MESSAGES)


@pytest.mark.parametrize(
    ("usage_metadata", "usage"),
    [
        ({"input_tokens": 100, "output_tokens": 20}, {"input": 100, "output": 20}),
        ({"input_tokens": 100, "input_token_details": {"cache_read": 60}}, {"input": 100, "cache_read": 60}),
        (
            {"input_tokens": 100, "input_token_details": {"cache_creation": 30}},
            {"input": 100, "cache_write": 30},
        ),
        ({"input_tokens": 100, "input_token_details": {"audio": 10}}, {"input": 100, "audio_in": 10}),
        ({"output_tokens": 20, "output_token_details": {"reasoning": 5}}, {"output": 20, "reasoning": 5}),
        ({"output_tokens": 20, "output_token_details": {"audio": 4}}, {"output": 20, "audio_out": 4}),
    ],
)
def test_langsmith_usage_metadata_inside_the_completion_is_read_as_usage(
    usage_metadata: dict[str, object], usage: dict[str, int]
) -> None:
    # LangChain's UsageMetadata: input includes the cached tokens, output the reasoning ones.
    completion = json.dumps({"role": "assistant", "content": "Shipped.", "usage_metadata": usage_metadata})
    span = normalized({"gen_ai.completion": completion})
    assert span.usage == usage
    assert span.output == completion
    assert span.attributes == {}


def test_langsmith_usage_metadata_costs_are_the_reported_cost() -> None:
    completion = {"usage_metadata": {"total_cost": 0.0012, "input_cost": 0.001, "output_cost": 0.0002}}
    span = normalized({"gen_ai.completion": json.dumps(completion)})
    assert span.reported_cost == {
        "total": Decimal("0.0012"),
        "input": Decimal("0.001"),
        "output": Decimal("0.0002"),
    }


def test_usage_metadata_is_read_from_a_structured_completion_too() -> None:
    span = normalized({"gen_ai.completion": {"usage_metadata": {"input_tokens": 9, "output_tokens": 2}}})
    assert span.usage == {"input": 9, "output": 2}


def test_usage_metadata_below_the_top_level_is_not_read() -> None:
    # A chain's output embeds messages that carry the model's usage; that is the model span's to report.
    completion = json.dumps({"messages": [{"usage_metadata": {"input_tokens": 99, "output_tokens": 1}}]})
    assert normalized({"gen_ai.completion": completion}).usage == {}


def test_genai_usage_attributes_win_over_usage_metadata() -> None:
    span = normalized(
        {
            "gen_ai.usage.input_tokens": 10,
            "gen_ai.completion": json.dumps({"usage_metadata": {"input_tokens": 99, "output_tokens": 7}}),
        }
    )
    assert span.usage == {"input": 10, "output": 7}
