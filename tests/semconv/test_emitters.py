"""What one emitter's usage counts mean: Bedrock's input without its cached tokens is made whole, and
counts an instrumentation is known to drop are said on the span."""

from __future__ import annotations

from raw_spans import normalized
from tokentrail.semconv.emitters import INCOMPLETE_USAGE

BOTOCORE = "opentelemetry.instrumentation.botocore.bedrock-runtime"
CLAUDE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


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
    span = normalized(attributes, scope_name=BOTOCORE)
    assert span.usage == {"input": 2160, "output": 40, "cache_read": 2048, "cache_write": 100}
    assert span.usage_source["input"] == "derived"
    assert INCOMPLETE_USAGE not in span.attributes


def test_invoke_model_with_an_anthropic_body_is_marked_incomplete_and_left_as_stated() -> None:
    span = normalized(_bedrock("InvokeModel", input_tokens=12, output_tokens=40), scope_name=BOTOCORE)
    assert span.usage == {"input": 12, "output": 40}
    assert "drops the cache read and cache write counts" in span.attributes[INCOMPLETE_USAGE]


def test_invoke_model_of_another_family_and_other_emitters_are_read_as_named() -> None:
    nova = normalized(
        _bedrock("InvokeModel", "amazon.nova-lite-v1:0", input_tokens=5, output_tokens=2), scope_name=BOTOCORE
    )
    same_names_elsewhere = normalized(
        _bedrock("Converse", input_tokens=12, output_tokens=40, **{"cache_read.input_tokens": 8}),
        scope_name="my.own.instrumentation",
    )
    assert INCOMPLETE_USAGE not in nova.attributes
    assert same_names_elsewhere.usage == {"input": 12, "output": 40, "cache_read": 8}
