"""A span whose emitter is known to drop usage counts says so, in the API and on the trace page."""

from __future__ import annotations

from otlp_builders import new_trace_id, protobuf_request, span

PROTOBUF = "application/x-protobuf"


def test_an_invoke_model_anthropic_call_through_botocore_is_shown_as_incomplete(server):
    trace_id = new_trace_id()
    call = span(
        "chat us.anthropic.claude-haiku-4-5-20251001-v1:0",
        trace_id,
        attributes={
            "rpc.system": "aws-api",
            "rpc.method": "InvokeModel",
            "gen_ai.system": "aws.bedrock",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "us.anthropic.claude-haiku-4-5-20251001-v1:0",
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.usage.output_tokens": 40,
        },
    )
    scope = "opentelemetry.instrumentation.botocore.bedrock-runtime"
    server.post_otlp(protobuf_request([call], scope=scope), PROTOBUF)

    (node,) = server.get(f"/api/v1/traces/{trace_id}").json()["spans"]
    (light,) = server.get(f"/api/v1/traces/{trace_id}", payloads="false").json()["spans"]
    page = server.get(f"/traces/{trace_id}").text

    assert node["usage_incomplete"].startswith("opentelemetry-instrumentation-botocore drops the cache")
    assert light["usage_incomplete"] == node["usage_incomplete"]
    assert node["cost"]["unpriced_reason"] is None  # priced on what it says, and said to be too low
    assert ">usage incomplete</span>" in page and "Usage incomplete, so the price is too low" in page
