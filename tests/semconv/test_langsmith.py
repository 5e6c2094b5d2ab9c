"""LangSmith's OpenTelemetry attributes (``langsmith.*``), as the LangSmith SDK 0.15.1 exports runs in OTel
mode, through ``normalize``.

The exporter writes ``langsmith.*`` beside GenAI names: ``gen_ai.system`` and ``gen_ai.usage.*`` (input
including cached tokens), token details as Python ``str(dict)`` values, and the run's whole inputs and
outputs in ``gen_ai.prompt`` / ``gen_ai.completion``. ``langsmith.trace.session_id`` and ``session_name``
name a LangSmith project, not a conversation.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from raw_spans import normalized
from tokentrail.model import RawEvent, SpanKind, Status


@pytest.mark.parametrize(
    ("run_type", "kind"),
    [
        ("llm", SpanKind.LLM),
        ("chain", SpanKind.CHAIN),
        ("tool", SpanKind.TOOL),
        ("retriever", SpanKind.RETRIEVAL),
        ("embedding", SpanKind.EMBEDDING),
        ("prompt", SpanKind.CHAIN),
        ("parser", SpanKind.CHAIN),
        ("LLM", SpanKind.LLM),  # the LangSmith docs' example writes it upper-case
    ],
)
def test_run_type_sets_the_kind(run_type: str, kind: SpanKind) -> None:
    span = normalized({"langsmith.span.kind": run_type})
    assert span.kind is kind
    assert span.attributes == {}


USAGE_METADATA = {
    "input_tokens": 2400,
    "output_tokens": 60,
    "total_tokens": 2460,
    "input_token_details": {"cache_read": 2000, "cache_creation": 300},
}


def test_llm_run_as_langsmith_0_15_exports_it() -> None:
    span = normalized(
        {
            "langsmith.span.kind": "llm",
            "langsmith.trace.name": "claude_call",
            "langsmith.trace.session_id": "7c1a2b5e-0d7f-4c1e-9a57-3f0e6c2b9d41",
            "langsmith.trace.session_name": "shop-support",
            "langsmith.span.id": "1f0e6c2b-9d41-4c1e-9a57-7c1a2b5e0d7f",
            "gen_ai.operation.name": "chat",
            "gen_ai.system": "anthropic",
            "gen_ai.request.model": "claude-haiku-4-5",
            "gen_ai.usage.input_tokens": 2400,
            "gen_ai.usage.output_tokens": 60,
            "gen_ai.usage.total_tokens": 2460,
            "gen_ai.usage.input_token_details": "{'cache_read': 2000, 'cache_creation': 300}",
            "langsmith.metadata.ls_provider": "anthropic",
            "langsmith.metadata.ls_model_name": "claude-haiku-4-5",
            "langsmith.metadata.usage_metadata": json.dumps(USAGE_METADATA),
            "langsmith.metadata.session_id": "ls-thread-42",
            "gen_ai.prompt": '{"messages": [{"role": "user", "content": "Where is my order A-17?"}]}',
            "gen_ai.completion": json.dumps(
                {
                    "role": "assistant",
                    "content": "Order A-17 shipped yesterday.",
                    "usage_metadata": USAGE_METADATA,
                }
            ),
        },
        name="claude_call",
        scope_name="langsmith",
    )
    assert span.kind is SpanKind.LLM
    assert span.provider == "anthropic"
    assert (span.request_model, span.response_model) == ("claude-haiku-4-5", "")
    # LangChain's input_tokens already counts the cache parts: nothing is added.
    assert span.usage == {"input": 2400, "output": 60, "cache_read": 2000, "cache_write": 300}
    assert span.reported_cost == {}
    assert span.session_id == "ls-thread-42"
    assert span.user_id == ""
    assert span.trace_name == "claude_call"
    assert span.metadata == {}  # usage_metadata in the metadata is read as usage (the runs API sends it so)
    assert json.loads(span.input) == {"messages": [{"role": "user", "content": "Where is my order A-17?"}]}
    assert json.loads(span.output)["content"] == "Order A-17 shipped yesterday."
    assert span.attributes == {
        "langsmith.trace.session_id": "7c1a2b5e-0d7f-4c1e-9a57-3f0e6c2b9d41",
        "langsmith.trace.session_name": "shop-support",
        "langsmith.span.id": "1f0e6c2b-9d41-4c1e-9a57-7c1a2b5e0d7f",
        "gen_ai.usage.total_tokens": "2460",
        "gen_ai.usage.input_token_details": "{'cache_read': 2000, 'cache_creation': 300}",
        "langsmith.metadata.usage_metadata": json.dumps(USAGE_METADATA),  # an object read is kept raw too
    }


def test_chain_run_as_langsmith_0_15_exports_it() -> None:
    span = normalized(
        {
            "langsmith.span.kind": "chain",
            "langsmith.trace.name": "support_turn",
            "langsmith.trace.session_name": "shop-support",
            "langsmith.span.tags": "beta, eu",
            "gen_ai.operation.name": "chain",
            "gen_ai.system": "langchain",
            "langsmith.metadata.session_id": "ls-thread-42",
            "langsmith.metadata.tenant": "acme",
            "gen_ai.prompt": '{"question": "Where is my order A-17?"}',
            "gen_ai.completion": '{"output": "Order A-17 shipped yesterday."}',
        },
        name="support_turn",
    )
    assert span.kind is SpanKind.CHAIN
    assert span.provider == ""  # "langchain" names the framework, not a provider
    assert (span.session_id, span.trace_name, span.tags) == ("ls-thread-42", "support_turn", ["beta", "eu"])
    assert span.metadata == {"tenant": "acme"}
    assert (span.input, span.output) == (
        '{"question": "Where is my order A-17?"}',
        '{"output": "Order A-17 shipped yesterday."}',
    )
    # "chain" is no gen_ai.operation.name value: it is kept as written.
    assert span.attributes == {
        "langsmith.trace.session_name": "shop-support",
        "gen_ai.operation.name": "chain",
    }


def test_tool_run_as_langsmith_0_15_exports_it() -> None:
    span = normalized(
        {
            "langsmith.span.kind": "tool",
            "langsmith.trace.name": "lookup_order",
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.system": "langchain",
            "gen_ai.tool.name": "lookup_order",
            "gen_ai.prompt": '{"order_id": "A-17"}',
            "gen_ai.completion": '{"order_id": "A-17", "status": "shipped"}',
        }
    )
    assert span.kind is SpanKind.TOOL
    assert (span.input, span.output) == ('{"order_id": "A-17"}', '{"order_id": "A-17", "status": "shipped"}')
    assert span.attributes == {"gen_ai.tool.name": "lookup_order"}


def test_the_project_is_not_a_session() -> None:
    span = normalized(
        {"langsmith.trace.session_id": "7c1a2b5e", "langsmith.trace.session_name": "shop-support"}
    )
    assert span.session_id == ""
    assert span.attributes == {
        "langsmith.trace.session_id": "7c1a2b5e",
        "langsmith.trace.session_name": "shop-support",
    }


@pytest.mark.parametrize(
    "key", ["session_id", "sessionId", "thread_id", "threadId", "conversation_id", "conversationId"]
)
def test_thread_metadata_keys_name_the_session(key: str) -> None:
    span = normalized({f"langsmith.metadata.{key}": "thread-1"})
    assert span.session_id == "thread-1"
    assert span.metadata == {}


def test_the_first_listed_thread_key_wins_when_several_are_set() -> None:
    span = normalized({"langsmith.metadata.thread_id": "t", "langsmith.metadata.session_id": "s"})
    assert span.session_id == "s"


@pytest.mark.parametrize("key", ["user_id", "userId"])
def test_user_metadata_keys_name_the_user(key: str) -> None:
    assert normalized({f"langsmith.metadata.{key}": "u-7"}).user_id == "u-7"


def test_other_metadata_keys_are_metadata_with_non_strings_as_json() -> None:
    span = normalized(
        {
            "langsmith.metadata.tenant": "acme",
            "langsmith.metadata.retries": 2,
            "langsmith.metadata.beta": True,
            "langsmith.metadata.ls_temperature": 0.2,
        }
    )
    assert span.metadata == {"tenant": "acme", "retries": "2", "beta": "true", "ls_temperature": "0.2"}


def test_standard_metadata_names_the_provider_and_model() -> None:
    span = normalized(
        {"langsmith.metadata.ls_provider": "openai", "langsmith.metadata.ls_model_name": "gpt-4o-mini"}
    )
    assert (span.provider, span.request_model) == ("openai", "gpt-4o-mini")
    assert span.metadata == {}


@pytest.mark.parametrize(
    ("tags", "expected"),
    [("beta, eu", ["beta", "eu"]), ("solo", ["solo"]), (" a ,, b ", ["a", "b"]), (["x", "y"], ["x", "y"])],
)
def test_span_tags_are_a_comma_joined_string(tags: Any, expected: list[str]) -> None:
    assert normalized({"langsmith.span.tags": tags}).tags == expected


# -- token details: Python literals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "value", "usage"),
    [
        ("gen_ai.usage.input_token_details", "{'cache_read': 5}", {"cache_read": 5}),
        ("gen_ai.usage.input_token_details", "{'cache_creation': 2}", {"cache_write": 2}),
        ("gen_ai.usage.input_token_details", "{'audio': 3}", {"audio_in": 3}),
        ("gen_ai.usage.output_token_details", "{'reasoning': 7}", {"reasoning": 7}),
        ("gen_ai.usage.output_token_details", "{'audio': 4}", {"audio_out": 4}),
        ("gen_ai.usage.input_token_details", '{"cache_read": 5}', {"cache_read": 5}),  # JSON is a literal too
        ("gen_ai.usage.output_token_details", {"reasoning": 7}, {"reasoning": 7}),  # structured
    ],
)
def test_token_details_are_read_as_python_literals(attribute: str, value: Any, usage: dict[str, int]) -> None:
    span = normalized({attribute: value})
    assert span.usage == usage
    assert attribute in span.attributes  # the object is kept as sent


@pytest.mark.parametrize(
    "value",
    [
        "{'cache_read': __import__('os').getpid()}",  # never evaluated
        "{'cache_read': 5",
        "not a dict",
        "{'cache_read': " + "1" * 5000 + "}",  # longer than any real literal
    ],
)
def test_token_details_that_are_not_a_literal_dict_are_kept_raw(value: str) -> None:
    span = normalized({"gen_ai.usage.input_token_details": value})
    assert span.usage == {}
    assert span.attributes == {"gen_ai.usage.input_token_details": value}


def test_zero_details_say_nothing() -> None:
    span = normalized(
        {
            "gen_ai.usage.input_tokens": 100,
            "gen_ai.usage.input_token_details": "{'audio': 0, 'cache_read': 0, 'cache_creation': 0}",
        }
    )
    assert span.usage == {"input": 100}


# -- errors ------------------------------------------------------------------------------------------------


def test_a_failed_run_is_an_error_span_with_the_recorded_exception() -> None:
    # The exporter sets status ERROR and records Exception(run.error).
    span = normalized(
        {"langsmith.span.kind": "llm"},
        status_code=2,
        events=[
            RawEvent(
                "exception",
                1_767_225_601_000_000_000,
                {"exception.type": "Exception", "exception.message": "RateLimitError('429')"},
            )
        ],
    )
    assert span.status is Status.ERROR
    assert (span.error_type, span.error_message) == ("Exception", "RateLimitError('429')")


# -- LangSmith beside GenAI --------------------------------------------------------------------------------


def test_langsmith_wins_over_genai_on_one_span_field_by_field() -> None:
    span = normalized(
        {
            "langsmith.span.kind": "retriever",
            "gen_ai.operation.name": "embeddings",  # what the exporter writes for a retriever run
            "langsmith.metadata.ls_provider": "openai",
            "gen_ai.system": "anthropic",
            "langsmith.metadata.ls_model_name": "gpt-4o-mini",
            "gen_ai.request.model": "gpt-4o",
            "langsmith.metadata.thread_id": "ls-thread",
            "gen_ai.conversation.id": "genai-conversation",
            "langsmith.trace.name": "find_docs",
            "gen_ai.workflow.name": "genai-workflow",
            "gen_ai.usage.input_token_details": "{'cache_read': 2000}",
            "gen_ai.usage.cache_read.input_tokens": 5,
        }
    )
    assert span.kind is SpanKind.RETRIEVAL
    assert (span.provider, span.request_model) == ("openai", "gpt-4o-mini")
    assert (span.session_id, span.trace_name) == ("ls-thread", "find_docs")
    assert span.usage == {"cache_read": 2000}


def test_genai_usage_counts_win_over_the_usage_metadata_echoed_in_the_completion() -> None:
    # gen_ai.usage.* are the exporter's own reading; usage_metadata in gen_ai.completion is a fallback.
    span = normalized(
        {
            "langsmith.span.kind": "llm",
            "gen_ai.usage.input_tokens": 2400,
            "gen_ai.usage.output_tokens": 60,
            "gen_ai.completion": json.dumps({"usage_metadata": {"input_tokens": 1, "output_tokens": 1}}),
        }
    )
    assert span.usage == {"input": 2400, "output": 60}
