"""Langfuse's OpenTelemetry attributes (``langfuse.*``), as the Langfuse SDK (v3+, here 5.2) exports them,
through ``normalize``.

Langfuse's usage keys are disjoint: its ``input`` leaves out the tokens read from or written to a cache, so
the canonical ``input`` adds them back. Usage and cost are JSON objects in one string each; metadata values
are JSON-encoded one key per attribute.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from raw_spans import normalized
from tokentrail.model import AttributeValue, SpanKind, Status


def _usage(details: dict[str, Any]) -> dict[str, int]:
    return normalized({"langfuse.observation.usage_details": json.dumps(details)}).usage


def _cost(details: dict[str, Any]) -> dict[str, Decimal]:
    return normalized({"langfuse.observation.cost_details": json.dumps(details)}).reported_cost


# -- kinds ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("observation_type", "kind"),
    [
        ("generation", SpanKind.LLM),
        ("embedding", SpanKind.EMBEDDING),
        ("agent", SpanKind.AGENT),
        ("tool", SpanKind.TOOL),
        ("chain", SpanKind.CHAIN),
        ("retriever", SpanKind.RETRIEVAL),
        ("evaluator", SpanKind.EVALUATOR),
        ("guardrail", SpanKind.GUARDRAIL),
        ("span", SpanKind.OTHER),
        ("event", SpanKind.OTHER),
        ("GENERATION", SpanKind.LLM),  # matched case-insensitively
    ],
)
def test_observation_type_sets_the_kind(observation_type: str, kind: SpanKind) -> None:
    span = normalized({"langfuse.observation.type": observation_type})
    assert span.kind is kind
    assert span.attributes == {}


@pytest.mark.parametrize("observation_type", ["span", "event"])
def test_span_and_event_say_nothing_so_a_lower_convention_decides_the_kind(observation_type: str) -> None:
    span = normalized(
        {"langfuse.observation.type": observation_type, "gen_ai.operation.name": "execute_tool"}
    )
    assert span.kind is SpanKind.TOOL


def test_an_unknown_observation_type_is_kept_raw() -> None:
    span = normalized({"langfuse.observation.type": "workflow"})
    assert span.kind is SpanKind.OTHER
    assert span.attributes == {"langfuse.observation.type": "workflow"}


# -- what the SDK exports ---------------------------------------------------------------------------------

USAGE_DETAILS = {
    "input": 120,
    "output": 50,
    "cache_read_input_tokens": 2048,
    "cache_creation_input_tokens": 512,
}
COST_DETAILS = {
    "input": 0.00012,
    "cache_read_input_tokens": 0.0002,
    "cache_creation_input_tokens": 0.00064,
    "output": 0.00025,
    "total": 0.00121,
}


def test_generation_as_langfuse_5_2_exports_it() -> None:
    span = normalized(
        {
            "langfuse.observation.type": "generation",
            "langfuse.observation.model.name": "claude-haiku-4-5",
            "langfuse.observation.model.parameters": '{"max_tokens": 256}',
            "langfuse.observation.usage_details": json.dumps(USAGE_DETAILS),
            "langfuse.observation.cost_details": json.dumps(COST_DETAILS),
            "langfuse.observation.input": '[{"role": "user", "content": "Will it rain in Porto tomorrow?"}]',
            "langfuse.observation.output": '{"role": "assistant", "content": "No rain is expected."}',
        },
        name="claude-call",
        scope_name="langfuse-sdk",
    )
    assert span.kind is SpanKind.LLM
    assert (span.request_model, span.response_model) == ("", "claude-haiku-4-5")
    # Langfuse's input leaves the cache out; the canonical input counts it.
    assert span.usage == {"input": 120 + 2048 + 512, "output": 50, "cache_read": 2048, "cache_write": 512}
    assert span.usage_source == dict.fromkeys(span.usage, "attribute")
    assert span.reported_cost == {
        "input": Decimal("0.00012"),
        "cache_read": Decimal("0.0002"),
        "cache_write": Decimal("0.00064"),
        "output": Decimal("0.00025"),
        "total": Decimal("0.00121"),
    }
    assert json.loads(span.input) == [{"role": "user", "content": "Will it rain in Porto tomorrow?"}]
    assert json.loads(span.output) == {"role": "assistant", "content": "No rain is expected."}
    assert span.status is Status.UNSET
    # The two objects are read field by field and kept as sent (fields no rule reads stay visible).
    assert span.attributes == {
        "langfuse.observation.model.parameters": '{"max_tokens": 256}',
        "langfuse.observation.usage_details": json.dumps(USAGE_DETAILS),
        "langfuse.observation.cost_details": json.dumps(COST_DETAILS),
    }


def test_observe_root_span_carries_the_session_user_and_metadata_of_the_trace() -> None:
    span = normalized(
        {
            "langfuse.observation.type": "span",
            "langfuse.internal.is_app_root": True,
            "session.id": "lf-session-3",
            "user.id": "joao@example.com",
            "langfuse.trace.tags": ["support", "eu"],
            "langfuse.observation.input": '{"args": ["Will it rain in Porto tomorrow?"], "kwargs": {}}',
            "langfuse.observation.output": "No rain is expected in Porto tomorrow.",
            # v5 JSON-encodes every metadata value, strings included.
            "langfuse.observation.metadata.tenant": '"acme"',
            "langfuse.observation.metadata.retries": "2",
            "langfuse.observation.metadata.flags": '{"beta":true}',
            "langfuse.trace.metadata.release": '"2026.08"',
        },
        name="support-turn",
    )
    assert span.kind is SpanKind.OTHER
    assert (span.session_id, span.user_id) == ("lf-session-3", "joao@example.com")
    assert span.tags == ["support", "eu"]
    assert span.metadata == {"tenant": "acme", "retries": "2", "flags": '{"beta":true}', "release": "2026.08"}
    assert json.loads(span.input) == {"args": ["Will it rain in Porto tomorrow?"], "kwargs": {}}
    assert span.output == "No rain is expected in Porto tomorrow."
    assert span.attributes == {"langfuse.internal.is_app_root": "true"}


def test_tool_observation() -> None:
    span = normalized(
        {
            "langfuse.observation.type": "tool",
            "langfuse.observation.input": '{"city": "Porto"}',
            "langfuse.observation.output": '{"rain_mm": 0}',
        },
        name="forecast",
    )
    assert span.kind is SpanKind.TOOL
    assert (span.input, span.output) == ('{"city": "Porto"}', '{"rain_mm": 0}')
    assert (span.usage, span.reported_cost, span.attributes) == ({}, {}, {})


# -- usage_details ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("details", "usage"),
    [
        pytest.param(
            {"input": 120, "output": 50, "input_cached_tokens": 2048, "input_cache_creation": 512},
            {"input": 2680, "output": 50, "cache_read": 2048, "cache_write": 512},
            id="langfuse-keys-input-excludes-cache",
        ),
        pytest.param(
            {"input": 100, "output": 20, "output_reasoning_tokens": 30, "output_audio_tokens": 4},
            {"input": 100, "output": 54, "reasoning": 30, "audio_out": 4},
            id="langfuse-keys-output-excludes-reasoning-and-audio",
        ),
        pytest.param(
            {"input": 100, "input_audio_tokens": 7, "input_cache_write": 3},
            {"input": 110, "cache_write": 3, "audio_in": 7},
            id="langfuse-keys-audio-and-cache-write",
        ),
        pytest.param(
            # Langfuse's LangChain handler: input minus every input_token_details entry, input_<detail>.
            {
                "input": 90,
                "output": 17,
                "total": 2417,
                "input_cache_read": 2000,
                "input_cache_creation": 300,
                "input_audio": 10,
                "output_reasoning": 5,
                "output_audio": 3,
            },
            {
                "input": 2400,
                "output": 25,
                "cache_read": 2000,
                "cache_write": 300,
                "audio_in": 10,
                "reasoning": 5,
                "audio_out": 3,
            },
            id="langchain-handler",
        ),
        pytest.param(
            # The OpenAI wrapper sends the Chat Completions usage object as is: cached tokens are inside.
            {
                "prompt_tokens": 1200,
                "completion_tokens": 80,
                "total_tokens": 1280,
                "prompt_tokens_details": {"cached_tokens": 1000, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 30, "audio_tokens": 0},
            },
            {"input": 1200, "output": 80, "cache_read": 1000, "reasoning": 30},  # zero parts say nothing
            id="openai-chat-completions",
        ),
        pytest.param(
            {
                "input_tokens": 2000,
                "output_tokens": 300,
                "total_tokens": 2300,
                "input_tokens_details": {"cached_tokens": 1500},
                "output_tokens_details": {"reasoning_tokens": 200},
            },
            {"input": 2000, "output": 300, "cache_read": 1500, "reasoning": 200},
            id="openai-responses",
        ),
        pytest.param(
            # Anthropic's raw usage: input_tokens leaves out both cache counts.
            {
                "input_tokens": 12,
                "output_tokens": 40,
                "cache_read_input_tokens": 2048,
                "cache_creation_input_tokens": 100,
            },
            {"input": 2160, "output": 40, "cache_read": 2048, "cache_write": 100},
            id="anthropic",
        ),
    ],
)
def test_usage_details_keys_map_to_canonical_usage_made_whole(
    details: dict[str, Any], usage: dict[str, int]
) -> None:
    assert _usage(details) == usage


def test_langfuse_own_keys_win_over_provider_spellings_in_the_same_object() -> None:
    assert _usage({"input": 100, "input_tokens": 999, "output": 5, "completion_tokens": 999}) == {
        "input": 100,
        "output": 5,
    }


def test_usage_details_keys_with_no_canonical_type_are_ignored_but_the_object_is_kept() -> None:
    details = json.dumps({"input": 10, "total": 10, "input_priority": 4})
    span = normalized({"langfuse.observation.usage_details": details})
    assert span.usage == {"input": 10}
    assert span.attributes == {"langfuse.observation.usage_details": details}


def test_usage_details_that_are_not_a_json_object_are_kept_raw() -> None:
    span = normalized({"langfuse.observation.usage_details": "input=120"})
    assert span.usage == {}
    assert span.attributes == {"langfuse.observation.usage_details": "input=120"}


def test_a_structured_usage_object_is_read_like_its_json() -> None:
    span = normalized({"langfuse.observation.usage_details": {"input": 120, "cache_read_input_tokens": 8}})
    assert span.usage == {"input": 128, "cache_read": 8}


def test_input_that_excludes_the_cache_gets_the_cache_another_convention_states() -> None:
    # Langfuse's input excludes any cache read; GenAI's cache_read count is that read.
    span = normalized(
        {
            "langfuse.observation.usage_details": json.dumps({"input": 120, "output": 50}),
            "gen_ai.usage.cache_read.input_tokens": 2048,
        }
    )
    assert span.usage == {"input": 2168, "output": 50, "cache_read": 2048}


def test_an_anthropic_cache_count_is_added_only_to_its_own_emitters_input() -> None:
    # cache_read_input_tokens is outside Anthropic's input_tokens, not outside GenAI's (which includes it).
    span = normalized(
        {
            "langfuse.observation.usage_details": json.dumps({"cache_read_input_tokens": 2048}),
            "gen_ai.usage.input_tokens": 2060,
        }
    )
    assert span.usage == {"input": 2060, "cache_read": 2048}


# -- cost_details -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "cost_type"),
    [
        ("total", "total"),
        ("input", "input"),
        ("output", "output"),
        ("input_cached_tokens", "cache_read"),
        ("input_cache_read", "cache_read"),
        ("cache_read_input_tokens", "cache_read"),
        ("input_cache_creation", "cache_write"),
        ("input_cache_write", "cache_write"),
        ("cache_creation_input_tokens", "cache_write"),
        ("output_reasoning_tokens", "reasoning"),
        ("output_reasoning", "reasoning"),
        ("input_audio_tokens", "audio_in"),
        ("output_audio_tokens", "audio_out"),
    ],
)
def test_cost_details_keys_map_to_reported_cost_types(key: str, cost_type: str) -> None:
    assert _cost({key: 0.00042}) == {cost_type: Decimal("0.00042")}


def test_cost_details_are_disjoint_as_sent() -> None:
    # Langfuse's cost keys mirror its usage keys: input is the uncached input alone, nothing is subtracted.
    assert _cost({"input": 0.001, "input_cache_read": 0.0004, "total": 0.0014}) == {
        "input": Decimal("0.001"),
        "cache_read": Decimal("0.0004"),
        "total": Decimal("0.0014"),
    }


# -- level and status -------------------------------------------------------------------------------------


def test_level_error_fails_an_unset_span_with_the_status_message() -> None:
    span = normalized(
        {
            "langfuse.observation.type": "generation",
            "langfuse.observation.level": "ERROR",
            "langfuse.observation.status_message": "rate limited by provider",
        }
    )
    assert span.status is Status.ERROR
    assert (span.error_type, span.error_message) == ("", "rate limited by provider")
    assert span.attributes == {
        "langfuse.observation.level": "ERROR",
        "langfuse.observation.status_message": "rate limited by provider",
    }


@pytest.mark.parametrize("level", ["DEBUG", "DEFAULT", "WARNING"])
def test_other_levels_do_not_fail_the_span_and_are_kept(level: str) -> None:
    span = normalized({"langfuse.observation.level": level, "langfuse.observation.status_message": "note"})
    assert span.status is Status.UNSET
    assert (span.error_type, span.error_message) == ("", "")
    assert span.attributes == {
        "langfuse.observation.level": level,
        "langfuse.observation.status_message": "note",
    }


def test_level_error_does_not_override_an_ok_status() -> None:
    span = normalized({"langfuse.observation.level": "ERROR"}, status_code=1)
    assert span.status is Status.OK


def test_the_otlp_status_message_wins_over_the_langfuse_status_message() -> None:
    span = normalized(
        {"langfuse.observation.level": "ERROR", "langfuse.observation.status_message": "langfuse says"},
        status_code=2,
        status_message="otel says",
    )
    assert (span.status, span.error_message) == (Status.ERROR, "otel says")


# -- trace fields, metadata -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "value", "field", "expected"),
    [
        ("langfuse.trace.name", "support-turn", "trace_name", "support-turn"),
        ("langfuse.user.id", "joao@example.com", "user_id", "joao@example.com"),
        ("langfuse.session.id", "lf-session-3", "session_id", "lf-session-3"),
        ("langfuse.trace.tags", ["a", "b"], "tags", ["a", "b"]),
        ("langfuse.tags", ["a"], "tags", ["a"]),
        ("langfuse.trace.input", '{"q": 1}', "input", '{"q": 1}'),
        ("langfuse.trace.output", '{"a": 2}', "output", '{"a": 2}'),
    ],
)
def test_trace_attributes_fill_the_trace_fields(
    attribute: str, value: AttributeValue, field: str, expected: Any
) -> None:
    span = normalized({attribute: value})
    assert getattr(span, field) == expected
    assert span.attributes == {}


def test_langfuse_ids_win_over_the_plain_otel_ids_the_sdk_also_writes() -> None:
    span = normalized(
        {
            "langfuse.session.id": "lf-session",
            "session.id": "otel-session",
            "langfuse.user.id": "lf-user",
            "user.id": "otel-user",
        }
    )
    assert (span.session_id, span.user_id) == ("lf-session", "lf-user")


def test_trace_tags_win_over_the_legacy_tags_attribute() -> None:
    assert normalized({"langfuse.tags": ["legacy"], "langfuse.trace.tags": ["trace"]}).tags == ["trace"]


def test_the_observations_own_input_and_output_win_over_the_traces() -> None:
    span = normalized(
        {
            "langfuse.trace.input": "trace in",
            "langfuse.observation.input": "observation in",
            "langfuse.trace.output": "trace out",
            "langfuse.observation.output": "observation out",
        }
    )
    assert (span.input, span.output) == ("observation in", "observation out")
    assert span.attributes == {}


@pytest.mark.parametrize(
    "prefix", ["langfuse.observation.metadata.", "langfuse.trace.metadata.", "langfuse.metadata."]
)
@pytest.mark.parametrize(
    ("value", "text"),
    [('"acme"', "acme"), ("42", "42"), ("true", "true"), ('{"a":1}', '{"a":1}'), ('["x","y"]', '["x","y"]')],
)
def test_metadata_values_are_json_decoded_strings_unwrapped(prefix: str, value: str, text: str) -> None:
    span = normalized({prefix + "tenant": value})
    assert span.metadata == {"tenant": text}
    assert span.attributes == {}


def test_observation_metadata_wins_over_trace_metadata_key_by_key() -> None:
    span = normalized(
        {
            "langfuse.trace.metadata.tenant": '"from-trace"',
            "langfuse.observation.metadata.tenant": '"from-observation"',
            "langfuse.trace.metadata.region": '"eu"',
        }
    )
    assert span.metadata == {"tenant": "from-observation", "region": "eu"}


def test_a_metadata_value_that_is_not_json_is_kept_raw() -> None:
    span = normalized({"langfuse.observation.metadata.note": '"unterminated'})
    assert span.metadata == {}
    assert span.attributes == {"langfuse.observation.metadata.note": '"unterminated'}


@pytest.mark.parametrize("prefix", ["langfuse.observation.metadata.", "langfuse.trace.metadata."])
def test_metadata_keys_the_langfuse_server_reads_as_trace_fields(prefix: str) -> None:
    span = normalized(
        {
            prefix + "langfuse_session_id": '"s-1"',
            prefix + "langfuse_user_id": '"u-1"',
            prefix + "langfuse_tags": '["vip","eu"]',
            prefix + "tenant": '"acme"',
        }
    )
    assert (span.session_id, span.user_id, span.tags) == ("s-1", "u-1", ["vip", "eu"])
    assert span.metadata == {"tenant": "acme"}
    assert span.attributes == {}


def test_a_non_dict_metadata_value_under_the_bare_name_is_kept_raw() -> None:
    # The SDK writes metadata that is not a dict under the prefix itself; it names no key.
    span = normalized({"langfuse.observation.metadata": '"just a note"'})
    assert span.metadata == {}
    assert span.attributes == {"langfuse.observation.metadata": '"just a note"'}


# -- aggregate observations -------------------------------------------------------------------------------


@pytest.mark.parametrize("observation_type", ["agent", "chain"])
def test_usage_and_cost_stated_on_an_agent_or_chain_observation_are_kept_raw(observation_type: str) -> None:
    usage, cost = json.dumps({"input": 900, "output": 100}), json.dumps({"total": 0.01})
    span = normalized(
        {
            "langfuse.observation.type": observation_type,
            "langfuse.observation.usage_details": usage,
            "langfuse.observation.cost_details": cost,
        }
    )
    assert (span.usage, span.reported_cost) == ({}, {})
    assert span.attributes == {
        "langfuse.observation.usage_details": usage,
        "langfuse.observation.cost_details": cost,
    }


# -- Langfuse beside GenAI --------------------------------------------------------------------------------


def test_langfuse_wins_over_genai_on_one_span_field_by_field() -> None:
    span = normalized(
        {
            "langfuse.observation.type": "generation",
            "langfuse.observation.model.name": "claude-haiku-4-5",
            "langfuse.observation.usage_details": json.dumps({"input": 120, "output": 50}),
            "langfuse.observation.cost_details": json.dumps({"total": 0.00121}),
            "langfuse.observation.input": "langfuse input",
            "langfuse.session.id": "lf-session",
            "gen_ai.operation.name": "embeddings",
            "gen_ai.response.model": "claude-haiku-4-5-20251001",
            "gen_ai.usage.input_tokens": 9999,
            "gen_ai.usage.output_tokens": 9999,
            "gen_ai.usage.cache_read.input_tokens": 2048,
            "gen_ai.usage.cost": 0.5,
            "gen_ai.input.messages": '[{"role": "user", "parts": []}]',
            "gen_ai.conversation.id": "genai-conversation",
        }
    )
    assert span.kind is SpanKind.LLM
    assert span.response_model == "claude-haiku-4-5"
    # input and output from Langfuse; GenAI alone states the cache read, which Langfuse's input leaves out.
    assert span.usage == {"input": 120 + 2048, "output": 50, "cache_read": 2048}
    assert span.reported_cost == {"total": Decimal("0.00121")}
    assert span.input == "langfuse input"
    assert span.session_id == "lf-session"
