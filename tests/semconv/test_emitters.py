"""What one emitter's usage counts mean: Bedrock's input without its cached tokens is made whole, and
counts an instrumentation is known to drop are said on the span."""

from __future__ import annotations

import json

from raw_spans import normalized
from tokentrail.model import Span
from tokentrail.semconv.emitters import INCOMPLETE_USAGE
from tokentrail.semconv.enrich import enrich

BOTOCORE = "opentelemetry.instrumentation.botocore.bedrock-runtime"
CLAUDE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


def _read(attributes: dict[str, object], scope: str = "", name: str = "chat") -> Span:
    span = normalized(attributes, scope_name=scope, name=name)
    enrich(span)
    return span


def _bedrock(method: str, model: str = CLAUDE, **usage: int) -> dict[str, object]:
    return {
        "rpc.system": "aws-api",
        "rpc.service": "Bedrock Runtime",
        "rpc.method": method,
        "gen_ai.system": "aws.bedrock",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        **{f"gen_ai.usage.{name}": count for name, count in usage.items()},
    }


def test_converse_input_is_made_whole_with_the_cache_counts_it_leaves_out() -> None:
    attributes = _bedrock(
        "Converse",
        input_tokens=12,
        output_tokens=40,
        **{"cache_read.input_tokens": 2048, "cache_creation.input_tokens": 100},
    )
    span = _read(attributes, BOTOCORE)
    assert span.usage == {"input": 2160, "output": 40, "cache_read": 2048, "cache_write": 100}
    assert span.usage_source["input"] == "derived"
    assert INCOMPLETE_USAGE not in span.attributes


def test_invoke_model_with_an_anthropic_body_is_marked_incomplete_and_left_as_stated() -> None:
    span = _read(_bedrock("InvokeModel", input_tokens=12, output_tokens=40), BOTOCORE)
    assert span.usage == {"input": 12, "output": 40}
    assert "drops the cache read and cache write counts" in span.attributes[INCOMPLETE_USAGE]


def test_invoke_model_of_another_family_and_other_emitters_are_read_as_named() -> None:
    nova = normalized(
        _bedrock("InvokeModel", "amazon.nova-lite-v1:0", input_tokens=5, output_tokens=2), scope_name=BOTOCORE
    )
    same_names_elsewhere = _read(
        _bedrock("Converse", input_tokens=12, output_tokens=40, **{"cache_read.input_tokens": 8}),
        "my.own.instrumentation",
    )
    assert INCOMPLETE_USAGE not in nova.attributes
    assert same_names_elsewhere.usage == {"input": 12, "output": 40, "cache_read": 8}


def test_invoke_model_cache_counts_a_response_hook_put_back_are_outside_its_input() -> None:
    hooked = _bedrock("InvokeModel", input_tokens=7, output_tokens=30, **{"cache_read.input_tokens": 2048})
    raw_usage = _bedrock("InvokeModel", input_tokens=12, output_tokens=40)
    raw_usage["gen_ai.usage.raw"] = json.dumps(
        {"input_tokens": 12, "output_tokens": 40, "cache_creation_input_tokens": 2048}
    )

    from_attributes, from_payload = _read(hooked, BOTOCORE), _read(raw_usage, BOTOCORE)

    assert from_attributes.usage == {"input": 2055, "output": 30, "cache_read": 2048}
    assert from_payload.usage == {"input": 2060, "output": 40, "cache_write": 2048}
    assert from_payload.usage_source == {
        "input": "derived",
        "output": "attribute",
        "cache_write": "payload",
    }
    assert INCOMPLETE_USAGE not in from_attributes.attributes | from_payload.attributes


def test_an_agents_sdk_chat_completions_generation_says_its_breakdown_is_missing() -> None:
    attributes = {
        "openinference.span.kind": "LLM",
        "llm.system": "openai",
        "llm.model_name": "gpt-5-mini",
        "llm.token_count.prompt": 1800,
        "llm.token_count.completion": 220,
    }
    scope = "openinference.instrumentation.openai_agents"

    generation, response = _read(attributes, scope, "generation"), _read(attributes, scope, "response")

    assert "drops the cache and reasoning breakdown" in generation.attributes[INCOMPLETE_USAGE]
    assert INCOMPLETE_USAGE not in response.attributes


def test_google_genai_spans_of_an_automatic_function_calling_loop_say_they_miss_requests() -> None:
    attributes = {
        "openinference.span.kind": "LLM",
        "llm.provider": "google",
        "llm.model_name": "gemini-2.5-flash",
        "llm.token_count.prompt": 360,
        "llm.token_count.completion": 20,
        "message.tool_calls.0.tool_call.function.name": "get_weather",
    }
    scope = "openinference.instrumentation.google_genai"
    loop = _read(attributes, scope, "GenerateContent")
    single = _read(
        {k: v for k, v in attributes.items() if not k.startswith("message.")}, scope, "GenerateContent"
    )
    assert "automatic function calling" in loop.attributes[INCOMPLETE_USAGE]
    assert INCOMPLETE_USAGE not in single.attributes


def test_a_gemini_built_in_tool_through_util_genai_is_said_to_miss_its_prompt() -> None:
    def call(provider: str, tools: str) -> Span:
        attributes = {
            "gen_ai.operation.name": "generate_content",
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": "gemini-2.5-flash",
            "gen_ai.usage.input_tokens": 150,
            "gen_ai.usage.output_tokens": 46,
            "gen_ai.tool.definitions": tools,
        }
        return _read(attributes, "opentelemetry.util.genai.handler")

    code = '[{"name": "code_execution", "type": "code_execution"}]'
    function = '[{"name": "get_weather", "type": "function", "parameters": null}]'
    assert "toolUsePromptTokenCount" in call("gemini", code).attributes[INCOMPLETE_USAGE]
    assert INCOMPLETE_USAGE not in call("gemini", function).attributes
    assert INCOMPLETE_USAGE not in call("openai", code).attributes  # the scope openai-v2 shares
