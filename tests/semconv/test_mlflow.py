"""MLflow tracing's span attributes (``mlflow.*``, mlflow-tracing 3.17) through ``normalize``.

Every ``mlflow.*`` value is JSON-encoded: ``mlflow.spanType`` arrives as ``"\\"LLM\\""``. Token usage is one
JSON object whose ``input_tokens`` already counts cached tokens; session and user are the plain
``session.id`` / ``user.id`` on the root span.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from raw_spans import normalized
from tokentrail.model import SpanKind


@pytest.mark.parametrize(
    ("span_type", "kind"),
    [
        ("LLM", SpanKind.LLM),
        ("CHAT_MODEL", SpanKind.LLM),
        ("EMBEDDING", SpanKind.EMBEDDING),
        ("RERANKER", SpanKind.RERANK),
        ("RETRIEVER", SpanKind.RETRIEVAL),
        ("TOOL", SpanKind.TOOL),
        ("AGENT", SpanKind.AGENT),
        ("CHAIN", SpanKind.CHAIN),
        ("PARSER", SpanKind.CHAIN),
        ("WORKFLOW", SpanKind.CHAIN),
        ("TASK", SpanKind.CHAIN),
        ("MEMORY", SpanKind.DB),
        ("GUARDRAIL", SpanKind.GUARDRAIL),
        ("EVALUATOR", SpanKind.EVALUATOR),
        ("UNKNOWN", SpanKind.OTHER),
    ],
)
def test_span_type_sets_the_kind(span_type: str, kind: SpanKind) -> None:
    span = normalized({"mlflow.spanType": json.dumps(span_type)})
    assert span.kind is kind
    assert span.attributes == {}


def test_a_span_type_written_without_json_quotes_is_read_too() -> None:
    assert normalized({"mlflow.spanType": "CHAT_MODEL"}).kind is SpanKind.LLM


@pytest.mark.parametrize("value", ['"LLM', '"NOT_A_TYPE"'])
def test_an_unreadable_span_type_is_kept_raw(value: str) -> None:
    span = normalized({"mlflow.spanType": value})
    assert span.kind is SpanKind.OTHER
    assert span.attributes == {"mlflow.spanType": value}


TOKEN_USAGE = (
    '{"input_tokens": 1200, "output_tokens": 80, "total_tokens": 1280, "cache_read_input_tokens": 1000}'
)
COST = '{"input_cost": 0.000102, "output_cost": 0.000048, "total_cost": 0.00015}'


def test_openai_autolog_chat_span_as_mlflow_3_17_exports_it() -> None:
    span = normalized(
        {
            "mlflow.traceRequestId": '"tr-4e5b0c2d8f"',
            "mlflow.spanType": '"CHAT_MODEL"',
            "mlflow.spanFunctionName": '"create"',
            "mlflow.spanInputs": '{"messages": [{"role": "user", "content": "Hi"}], "model": "gpt-4o-mini"}',
            "mlflow.spanOutputs": json.dumps(
                {"id": "chatcmpl-1", "choices": [{"message": {"role": "assistant", "content": "Hello"}}]}
            ),
            "mlflow.chat.tokenUsage": TOKEN_USAGE,
            "mlflow.llm.model": '"gpt-4o-mini"',
            "mlflow.llm.provider": '"openai"',
            "mlflow.llm.cost": COST,
        },
        name="Completions",
        scope_name="mlflow.tracing",
    )
    assert span.kind is SpanKind.LLM
    # mlflow.llm.model names the model the response names (else the one requested): the one that served;
    # the requested one is the call's "model" argument.
    assert (span.provider, span.request_model) == ("openai", "gpt-4o-mini")
    assert span.response_model == "gpt-4o-mini"
    assert span.usage == {"input": 1200, "output": 80, "cache_read": 1000}
    assert span.reported_cost == {
        "input": Decimal("0.000102"),
        "output": Decimal("0.000048"),
        "total": Decimal("0.00015"),
    }
    assert json.loads(span.input)["messages"] == [{"role": "user", "content": "Hi"}]
    assert json.loads(span.output)["id"] == "chatcmpl-1"
    # The objects are read field by field and kept as sent; MLflow's own bookkeeping stays raw.
    assert span.attributes == {
        "mlflow.traceRequestId": '"tr-4e5b0c2d8f"',
        "mlflow.spanFunctionName": '"create"',
        "mlflow.chat.tokenUsage": TOKEN_USAGE,
        "mlflow.llm.cost": COST,
    }


def test_anthropic_autolog_usage_counts_the_cache_inside_input() -> None:
    usage = {
        "input_tokens": 2060,  # MLflow's Anthropic autolog adds the cache reads and writes into it
        "output_tokens": 40,
        "total_tokens": 2100,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 2048,
        "cache_creation_input_tokens_above_1hr": 1536,
    }
    span = normalized(
        {
            "mlflow.spanType": '"CHAT_MODEL"',
            "mlflow.llm.provider": '"anthropic"',
            "mlflow.llm.model": '"claude-haiku-4-5"',
            "mlflow.chat.tokenUsage": json.dumps(usage),
        }
    )
    assert (span.provider, span.model) == ("anthropic", "claude-haiku-4-5")
    assert span.usage == {"input": 2060, "output": 40, "cache_write": 2048, "cache_write_1h": 1536}


def test_root_span_carries_session_and_user_as_plain_otel_names() -> None:
    span = normalized(
        {
            "mlflow.spanType": '"CHAIN"',
            "session.id": "chat-1",
            "user.id": "u-1",
            "mlflow.spanInputs": '"What is MLflow?"',
            "mlflow.spanOutputs": '"An ML platform."',
            "mlflow.traceTag.env": '"prod"',
        }
    )
    assert span.kind is SpanKind.CHAIN
    assert (span.session_id, span.user_id) == ("chat-1", "u-1")
    # A JSON string literal is unwrapped; an object stays as written.
    assert (span.input, span.output) == ("What is MLflow?", "An ML platform.")
    assert span.attributes == {"mlflow.traceTag.env": '"prod"'}


@pytest.mark.parametrize(
    ("field", "usage_type"),
    [
        ("input_tokens", "input"),
        ("output_tokens", "output"),
        ("cache_read_input_tokens", "cache_read"),
        ("cache_creation_input_tokens", "cache_write"),
        ("cache_creation_input_tokens_above_1hr", "cache_write_1h"),
    ],
)
def test_token_usage_fields(field: str, usage_type: str) -> None:
    assert normalized({"mlflow.chat.tokenUsage": json.dumps({field: 7})}).usage == {usage_type: 7}


@pytest.mark.parametrize(
    ("field", "cost_type"), [("total_cost", "total"), ("input_cost", "input"), ("output_cost", "output")]
)
def test_cost_fields(field: str, cost_type: str) -> None:
    span = normalized({"mlflow.llm.cost": json.dumps({field: 0.0025})})
    assert span.reported_cost == {cost_type: Decimal("0.0025")}


def test_total_tokens_have_no_canonical_type() -> None:
    assert normalized({"mlflow.chat.tokenUsage": '{"total_tokens": 9}'}).usage == {}


@pytest.mark.parametrize("attribute", ["mlflow.chat.tokenUsage", "mlflow.llm.cost"])
def test_objects_that_are_not_json_are_kept_raw(attribute: str) -> None:
    span = normalized({attribute: "input_tokens=9"})
    assert (span.usage, span.reported_cost) == ({}, {})
    assert span.attributes == {attribute: "input_tokens=9"}


def test_an_input_that_is_not_valid_json_is_kept_raw() -> None:
    span = normalized({"mlflow.spanInputs": '"unterminated'})
    assert span.input == ""
    assert span.attributes == {"mlflow.spanInputs": '"unterminated'}


@pytest.mark.parametrize("span_type", ["AGENT", "CHAIN", "WORKFLOW"])
def test_usage_and_cost_on_an_agent_or_chain_span_are_kept_raw(span_type: str) -> None:
    span = normalized(
        {
            "mlflow.spanType": json.dumps(span_type),
            "mlflow.chat.tokenUsage": '{"input_tokens": 4800, "output_tokens": 120}',
            "mlflow.llm.cost": '{"total_cost": 0.004}',
        }
    )
    assert (span.usage, span.reported_cost) == ({}, {})
    assert span.attributes == {
        "mlflow.chat.tokenUsage": '{"input_tokens": 4800, "output_tokens": 120}',
        "mlflow.llm.cost": '{"total_cost": 0.004}',
    }


def test_mlflow_wins_over_genai_on_one_span() -> None:
    # MLFLOW_ENABLE_OTEL_GENAI_SEMCONV exports GenAI names; a span carrying both reads MLflow's first.
    span = normalized(
        {
            "mlflow.spanType": '"EMBEDDING"',
            "gen_ai.operation.name": "chat",
            "mlflow.llm.model": '"text-embedding-3-small"',
            "gen_ai.response.model": "other",
            "mlflow.chat.tokenUsage": '{"input_tokens": 6}',
            "gen_ai.usage.input_tokens": 9,
        }
    )
    assert (span.kind, span.response_model, span.usage) == (
        SpanKind.EMBEDDING,
        "text-embedding-3-small",
        {"input": 6},
    )


def test_session_and_user_ids_json_encoded_by_mlflow_lose_their_quote_marks() -> None:
    # Set on the root span with span.set_attributes(...): MLflow's LiveSpan JSON-encodes every value.
    span = normalized({"mlflow.spanType": '"CHAIN"', "session.id": '"chat-1"', "user.id": '"u-1"'})
    assert (span.session_id, span.user_id) == ("chat-1", "u-1")


@pytest.mark.parametrize("value", ['"', '""', 'a"b"', '"unterminated', '"\\x"'])
def test_ids_that_merely_contain_quotes_are_kept_as_written(value: str) -> None:
    assert normalized({"session.id": value}).session_id == value


@pytest.mark.parametrize(
    ("message_format", "provider"),
    [
        ('"openai"', "openai"),  # openai autolog writes no mlflow.llm.provider
        ('"anthropic"', "anthropic"),
        ('"gemini"', "gcp.gemini"),
        ('"bedrock"', "aws.bedrock"),
        ('"langchain"', ""),  # a framework's messages name no provider
        ('"some-new-framework"', ""),
    ],
)
def test_the_provider_sdk_an_autologger_traced_is_read_from_its_message_format(
    message_format: str, provider: str
) -> None:
    span = normalized({"mlflow.spanType": '"CHAT_MODEL"', "mlflow.message.format": message_format})
    assert span.provider == provider


def test_an_explicit_mlflow_provider_wins_over_the_message_format() -> None:
    span = normalized({"mlflow.llm.provider": '"azure"', "mlflow.message.format": '"openai"'})
    assert span.provider == "azure.ai.openai"
