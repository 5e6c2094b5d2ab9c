"""Claude on Amazon Bedrock through ``boto3``, traced by ``opentelemetry-instrumentation-botocore`` 0.66b1,
against the stand-in Bedrock Runtime API, exported over OTLP to a live server (the app runs as a
subprocess: ``apps/bedrock_app.py``).

Bedrock counts input the way Anthropic does, in both of its APIs: Converse's ``inputTokens`` and an
InvokeModel Anthropic body's ``input_tokens`` leave out the tokens read from and written to the prompt
cache. The instrumentation copies that count into ``gen_ai.usage.input_tokens``, which by definition
includes them. For Converse it writes the two cache counts beside it, so the whole input can be made up
again; for InvokeModel and InvokeModelWithResponseStream it drops them, so the usage is known to be
incomplete and must say so, unless the app's response hook puts them back. The spans' instrumentation
scope is ``opentelemetry.instrumentation.botocore.bedrock-runtime`` and ``rpc.method`` names the
operation; the model is the request's ``modelId`` (no response model), the provider ``aws.bedrock``.

The model is Claude Haiku 4.5 through its US cross-region inference profile, which genai-prices prices
at Bedrock's regional rates (10% over the global profile's).
"""

# ruff: noqa: F811 (the stand-in's pytest fixture is imported, then named by the tests that use it)
from __future__ import annotations

import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from tests.compat.expected import nonzero
from tests.compat.isolated import run_app

from prices import MTOK, per_mtok
from providers.bedrock_api import BedrockAPI, Reply, ToolUse, bedrock_api  # noqa: F401

if TYPE_CHECKING:
    from conftest import LiveServer

MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
PROVIDER = "aws.bedrock"
PRICE_SOURCE = "genai-prices:aws/regional.anthropic.claude-haiku-4-5-20251001-v1:0"
SCOPE = "opentelemetry.instrumentation.botocore.bedrock-runtime"
CALL = f"chat {MODEL}"
USER = "ana@example.com"

# A tool turn over Converse: the first call writes the system prompt to the cache, thinks and asks for the
# tool; the second reads the cache and answers. Thinking is billed inside outputTokens (Bedrock states no
# reasoning count).
ASK = Reply(
    text="Let me check the weather.",
    reasoning="The user asks about Lisbon; get_weather answers that.",
    tool_uses=[ToolUse("get_weather", {"city": "Lisbon"})],
    input_tokens=24,
    cache_write_input_tokens=2048,
    output_tokens=96,
)
ANSWER = Reply(
    text="Yes, it is sunny in Lisbon.", input_tokens=180, cache_read_input_tokens=2048, output_tokens=14
)
# More new input than cached: counts that fit both readings of "input", so only the emitter's semantics
# tell that the 5,000 are the uncached part.
LONG_READ = Reply(
    text="Streamed, block by block.", input_tokens=5000, cache_read_input_tokens=2048, output_tokens=300
)
# InvokeModel with an Anthropic body: a cache write, then a cache read.
WRITE = Reply(input_tokens=12, cache_write_input_tokens=2048, output_tokens=40)
READ = Reply(input_tokens=7, cache_read_input_tokens=2048, output_tokens=30)
# A cache read with a long new document after the cached prefix: more uncached input than cached.
DOCUMENT_READ = Reply(input_tokens=3000, cache_read_input_tokens=2048, output_tokens=30)


def _usage(reply: Reply) -> dict[str, int]:
    """The canonical usage of a Bedrock reply: input counts every input token, the cache parts included."""
    return nonzero(
        {
            "input": reply.input_tokens + reply.cache_read_input_tokens + reply.cache_write_input_tokens,
            "output": reply.output_tokens,
            "cache_read": reply.cache_read_input_tokens,
            "cache_write": reply.cache_write_input_tokens,
        }
    )


def _prices(when_ns: int) -> dict[str, Decimal]:
    return per_mtok(MODEL, PROVIDER, when_ns)


def _cost_by_type(reply: Reply, when_ns: int) -> dict[str, Decimal]:
    """Bedrock's bill for ``reply``: uncached input, cache writes, cache reads and output, each at its
    rate."""
    prices = _prices(when_ns)
    tokens = {
        "input": reply.input_tokens,
        "cache_write": reply.cache_write_input_tokens,
        "cache_read": reply.cache_read_input_tokens,
        "output": reply.output_tokens,
    }
    return {kind: count * prices[f"{kind}_mtok"] / MTOK for kind, count in tokens.items() if count}


def _cost(reply: Reply, when_ns: int) -> Decimal:
    return sum(_cost_by_type(reply, when_ns).values(), Decimal(0))


def _run(
    server: LiveServer,
    bedrock_api: BedrockAPI,
    scenario: str,
    *replies: Reply,
    session: str,
    spans: int,
    **env: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the app's ``scenario`` against the stand-in answering ``replies``; what the app reported, and its
    trace tree once the server holds ``spans`` spans of it."""
    bedrock_api.reply(*replies)
    settings = {
        "BEDROCK_SCENARIO": scenario,
        "BEDROCK_MODEL": MODEL,
        "BEDROCK_SESSION": session,
        "BEDROCK_USER": USER,
        **env,
    }
    facts = run_app("bedrock_app.py", server_url=server.url, stand_in_url=bedrock_api.url, env=settings)
    assert bedrock_api.pending == 0
    deadline = time.monotonic() + 20
    while True:
        response = server.get(f"/api/v1/traces/{facts['trace_id']}")
        if response.status_code == 200 and response.json()["span_count"] >= spans:
            return facts, response.json()
        assert time.monotonic() < deadline, response.text[:500]
        time.sleep(0.05)


def _trace_row(server: LiveServer, trace_id: str) -> dict[str, Any]:
    (row,) = [row for row in server.get("/api/v1/traces").json()["traces"] if row["trace_id"] == trace_id]
    return row


def _money(amounts: dict[str, str]) -> dict[str, Decimal]:
    return {key: Decimal(value) for key, value in amounts.items()}


def _assert_bedrock_call(
    node: dict[str, Any], reply: Reply, operation: str, *, parent: dict[str, Any]
) -> None:
    """``node`` is the span of one Bedrock call answered by ``reply``: its whole usage, priced by hand."""
    assert node["name"] == CALL
    assert node["parent_span_id"] == parent["span_id"]
    assert node["scope"] == SCOPE
    assert node["attributes"]["rpc.method"] == operation
    assert node["kind"] == "llm"
    assert node["provider"] == PROVIDER
    assert (node["request_model"], node["response_model"]) == (MODEL, None)
    assert node["usage"] == _usage(reply)
    assert node["usage_incomplete"] is None
    assert _money(node["cost"]["by_type"]) == _cost_by_type(reply, node["start_ns"])
    assert Decimal(node["cost"]["total"]) == _cost(reply, node["start_ns"])
    assert (node["cost"]["origin"], node["cost"]["price_source"]) == ("inferred", PRICE_SOURCE)
    assert node["cost"]["unpriced_reason"] is None
    assert node["duplicate_of"] is None


def _assert_session(server: LiveServer, session: str, trace_id: str, cost: Decimal) -> None:
    """The trace belongs to ``session`` and the app's user, and is the session's only trace."""
    row = _trace_row(server, trace_id)
    assert (row["session_id"], row["user_id"]) == (session, USER)
    assert Decimal(row["cost"]) == cost
    assert row["models"] == [MODEL]
    totals = server.get(f"/api/v1/sessions/{session}").json()
    assert (totals["trace_count"], totals["user_id"]) == (1, USER)
    assert Decimal(totals["cost"]) == cost


def test_genai_prices_prices_the_us_haiku_4_5_profile_at_regional_rates_with_cache_prices() -> None:
    prices = _prices(time.time_ns())
    assert prices == {
        "input_mtok": Decimal("1.1"),
        "cache_write_mtok": Decimal("1.375"),
        "cache_write_1h_mtok": Decimal("2.2"),
        "cache_read_mtok": Decimal("0.11"),
        "output_mtok": Decimal("5.5"),
    }


def test_converse_tool_turn_counts_cache_writes_and_reads_inside_input_and_prices_each_part(
    server: LiveServer, bedrock_api: BedrockAPI
) -> None:
    facts, tree = _run(server, bedrock_api, "tool_turn", ASK, ANSWER, session="s-bedrock-tools", spans=4)

    # What the API answered reached the app whole: Bedrock's inputTokens excludes the cache.
    asked, answered = facts["calls"]
    assert asked["usage"] == {
        "inputTokens": 24,
        "outputTokens": 96,
        "totalTokens": 2168,
        "cacheReadInputTokens": 0,
        "cacheWriteInputTokens": 2048,
        "cacheDetails": [{"ttl": "5m", "inputTokens": 2048}],
    }
    assert (asked["stop_reason"], answered["text"]) == ("tool_use", "Yes, it is sunny in Lisbon.")
    root, ask, tool, answer = tree["spans"]
    assert root["name"] == "support turn" and root["parent_span_id"] is None
    assert (root["session_id"], root["user_id"]) == ("s-bedrock-tools", USER)
    _assert_bedrock_call(ask, ASK, "Converse", parent=root)
    _assert_bedrock_call(answer, ANSWER, "Converse", parent=root)
    assert ask["usage"] == {"input": 2072, "output": 96, "cache_write": 2048}  # thinking is inside output
    assert answer["usage"] == {"input": 2228, "output": 14, "cache_read": 2048}
    assert (ask["usage_source"]["cache_write"], answer["usage_source"]["cache_read"]) == (
        "attribute",
        "attribute",
    )
    # The span states the instrumentation's own attributes: the request, the finish reason, the AWS call.
    assert ask["attributes"]["gen_ai.request.max_tokens"] == "2048"
    assert ask["attributes"]["gen_ai.response.finish_reasons"] == '["tool_use"]'
    assert (ask["attributes"]["rpc.system"], ask["attributes"]["cloud.region"]) == ("aws-api", "us-east-1")
    assert ask["attributes"]["aws.request_id"].startswith("req-")
    assert tool["name"] == "execute_tool get_weather" and tool["kind"] == "tool"
    assert tool["parent_span_id"] == root["span_id"]
    assert tool["attributes"]["gen_ai.tool.call.id"] == ASK.tool_uses[0].id
    assert ask["start_ns"] < tool["start_ns"] < answer["start_ns"]
    total = _cost(ASK, ask["start_ns"]) + _cost(ANSWER, answer["start_ns"])
    assert Decimal(tree["cost"]) == Decimal(root["subtree_cost"]["total"]) == total
    assert nonzero(root["subtree_usage"]) == {
        "input": 4300,
        "output": 110,
        "cache_write": 2048,
        "cache_read": 2048,
    }
    _assert_session(server, "s-bedrock-tools", tree["trace_id"], total)


def test_converse_stream_with_more_new_input_than_cached_is_priced_as_uncached_input_plus_cache_reads(
    server: LiveServer, bedrock_api: BedrockAPI
) -> None:
    facts, tree = _run(server, bedrock_api, "stream", LONG_READ, session="s-bedrock-stream", spans=2)

    (streamed,) = facts["calls"]
    assert streamed["text"] == "Streamed, block by block."
    assert streamed["usage"]["inputTokens"] == 5000 and streamed["usage"]["cacheReadInputTokens"] == 2048
    root, call = tree["spans"]
    _assert_bedrock_call(call, LONG_READ, "ConverseStream", parent=root)
    # 5,000 uncached tokens at the input rate and 2,048 at the cache-read rate; reading the 5,000 as the whole
    # input (2,952 uncached) would price the call 30% too low.
    assert call["usage"] == {"input": 7048, "output": 300, "cache_read": 2048}
    prices = _prices(call["start_ns"])
    assert Decimal(call["cost"]["by_type"]["input"]) == 5000 * prices["input_mtok"] / MTOK
    assert call["attributes"]["gen_ai.request.temperature"] == "0.2"
    assert Decimal(tree["cost"]) == _cost(LONG_READ, call["start_ns"])
    _assert_session(server, "s-bedrock-stream", tree["trace_id"], Decimal(tree["cost"]))


def test_invoke_model_with_an_anthropic_body_says_its_usage_is_incomplete(
    server: LiveServer, bedrock_api: BedrockAPI
) -> None:
    facts, tree = _run(server, bedrock_api, "invoke", WRITE, READ, session="s-bedrock-invoke", spans=3)

    assert [call["usage"]["cache_creation_input_tokens"] for call in facts["calls"]] == [2048, 0]
    root, writer, reader = tree["spans"]
    for node, reply in ((writer, WRITE), (reader, READ)):
        assert node["name"] == CALL and node["parent_span_id"] == root["span_id"]
        assert node["attributes"]["rpc.method"] == "InvokeModel"
        assert (node["kind"], node["provider"], node["request_model"]) == ("llm", PROVIDER, MODEL)
        # The instrumentation wrote the body's input_tokens (the uncached part) and output_tokens; the cache
        # counts never reach the span. The usage is what was stated, and says it is incomplete.
        assert node["attributes"].get("gen_ai.usage.cache_read.input_tokens") is None
        assert node["usage"] == {"input": reply.input_tokens, "output": reply.output_tokens}
        assert "cache" in node["usage_incomplete"]
        prices = _prices(node["start_ns"])
        stated = (
            reply.input_tokens * prices["input_mtok"] + reply.output_tokens * prices["output_mtok"]
        ) / MTOK
        assert Decimal(node["cost"]["total"]) == stated < _cost(reply, node["start_ns"])
    # Without the cache counts the trace costs 12% of the bill (0.0004059 of 0.00344718 USD): the cache
    # write is priced 92% too low, the cache read 57%.
    assert Decimal(tree["cost"]) == Decimal("0.0004059")
    assert _cost(WRITE, writer["start_ns"]) + _cost(READ, reader["start_ns"]) == Decimal("0.00344718")
    _assert_session(server, "s-bedrock-invoke", tree["trace_id"], Decimal("0.0004059"))


def test_invoke_model_with_response_stream_says_its_usage_is_incomplete(
    server: LiveServer, bedrock_api: BedrockAPI
) -> None:
    facts, tree = _run(server, bedrock_api, "invoke_stream", READ, session="s-bedrock-invoke-stream", spans=2)

    (streamed,) = facts["calls"]
    assert (streamed["text"], streamed["usage"]["cache_read_input_tokens"]) == (READ.text, 2048)
    root, call = tree["spans"]
    assert (call["name"], call["parent_span_id"]) == (CALL, root["span_id"])
    assert call["attributes"]["rpc.method"] == "InvokeModelWithResponseStream"
    assert (call["kind"], call["provider"], call["request_model"]) == ("llm", PROVIDER, MODEL)
    # The instrumentation reads only the invocation metrics of the last chunk (inputTokenCount,
    # outputTokenCount); message_start's cache counts never reach the span.
    assert call["usage"] == {"input": 7, "output": 30}
    assert "cache" in call["usage_incomplete"]
    prices = _prices(call["start_ns"])
    assert Decimal(call["cost"]["total"]) == (7 * prices["input_mtok"] + 30 * prices["output_mtok"]) / MTOK
    _assert_session(server, "s-bedrock-invoke-stream", tree["trace_id"], Decimal(call["cost"]["total"]))


@pytest.mark.parametrize("hook", ["attributes", "raw"])
def test_invoke_model_with_a_response_hook_stating_the_cache_counts_is_priced_whole(
    server: LiveServer, bedrock_api: BedrockAPI, hook: str
) -> None:
    # The user's fix: the instrumentor's response_hook puts the body's cache counts on the span, as the
    # GenAI cache attributes or as the raw usage object (gen_ai.usage.raw). The input_tokens the
    # instrumentation wrote is still Anthropic's, without the cache, also where it is larger than the cache
    # counts (the second call: 3,000 uncached tokens and 2,048 read).
    session = f"s-bedrock-hook-{hook}"
    _, tree = _run(
        server, bedrock_api, "invoke", WRITE, DOCUMENT_READ, session=session, spans=3, BEDROCK_HOOK=hook
    )

    root, writer, reader = tree["spans"]
    _assert_bedrock_call(writer, WRITE, "InvokeModel", parent=root)
    _assert_bedrock_call(reader, DOCUMENT_READ, "InvokeModel", parent=root)
    assert reader["usage"] == {"input": 5048, "output": 30, "cache_read": 2048}
    total = _cost(WRITE, writer["start_ns"]) + _cost(DOCUMENT_READ, reader["start_ns"])
    assert Decimal(tree["cost"]) == total == Decimal("0.00673948")
    _assert_session(server, session, tree["trace_id"], total)


def test_message_content_is_never_on_the_span_even_when_capture_is_on(
    server: LiveServer, bedrock_api: BedrockAPI
) -> None:
    # OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true puts the messages in log records
    # (gen_ai.user.message, gen_ai.choice), which an OTLP traces endpoint never receives.
    _, tree = _run(
        server,
        bedrock_api,
        "stream",
        Reply(),
        session="s-bedrock-content",
        spans=2,
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="true",
    )

    _, call = tree["spans"]
    assert (call["input"], call["output"], call["events"]) == ("", "", [])
    assert not [name for name in call["attributes"] if name.startswith(("gen_ai.input", "gen_ai.output"))]


def test_a_refused_call_is_a_failed_call_with_no_billed_usage(
    server: LiveServer, bedrock_api: BedrockAPI
) -> None:
    facts, tree = _run(server, bedrock_api, "refused", session="s-bedrock-refused", spans=2)

    assert facts["calls"] == [
        {"error": "ValidationException", "message": "no scripted reply left for this request"}
    ]
    _, call = tree["spans"]
    assert (call["name"], call["kind"], call["status"]) == (CALL, "llm", "error")
    # The exception event's type; the instrumentation's own error.type ("ValidationException") is kept raw.
    assert call["error"]["type"] == "botocore.errorfactory.ValidationException"
    assert call["error"]["message"].endswith("no scripted reply left for this request")
    assert "_make_api_call" in call["error"]["stack"]
    assert call["attributes"]["error.type"] == "ValidationException"
    assert call["attributes"]["http.status_code"] == "400"
    assert call["usage"] == {}
    assert call["cost"]["total"] == "0"
    assert (call["cost"]["price_source"], call["cost"]["unpriced_reason"]) == ("failed_call", None)
    assert Decimal(tree["cost"]) == 0 and tree["error_count"] == 1
