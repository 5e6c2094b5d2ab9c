"""The same LLM call seen twice in a trace is counted once in every total, and the trace view says why."""

from __future__ import annotations

from decimal import Decimal

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span
from prices import MTOK, per_mtok

PROTOBUF = "application/x-protobuf"


def _openinference_llm(trace_id, parent, start_ns, tokens=(1000, 100)):
    return span(
        "ChatOpenAI",
        trace_id,
        parent=parent,
        start_ns=start_ns,
        attributes={
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o-mini",
            "llm.token_count.prompt": tokens[0],
            "llm.token_count.completion": tokens[1],
        },
    )


def _genai_chat(trace_id, parent, start_ns, tokens=(1000, 100)):
    return span(
        "chat gpt-4o-mini",
        trace_id,
        parent=parent,
        start_ns=start_ns,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.usage.input_tokens": tokens[0],
            "gen_ai.usage.output_tokens": tokens[1],
        },
    )


def _call_cost():
    prices = per_mtok("gpt-4o-mini", "openai", NOW_NS)
    return (1000 * prices["input_mtok"] + 100 * prices["output_mtok"]) / MTOK


def test_two_layers_over_one_call_count_once_everywhere(server):
    trace_id = new_trace_id()
    root = span("agent", trace_id, attributes={"session.id": "s-dup"})
    framework = _openinference_llm(trace_id, root["span_id"], NOW_NS + 1)
    sdk = _genai_chat(trace_id, framework["span_id"], NOW_NS + 2)
    server.post_otlp(protobuf_request([root, framework, sdk]), PROTOBUF)

    tree = server.get(f"/api/v1/traces/{trace_id}").json()
    (row,) = server.get("/api/v1/traces").json()["traces"]
    session = server.get("/api/v1/sessions/s-dup").json()
    by_model = server.get("/api/v1/costs", group_by="model").json()

    one_call = _call_cost()
    assert Decimal(tree["cost"]) == Decimal(row["cost"]) == Decimal(session["cost"]) == one_call
    assert Decimal(by_model["total"]) == one_call
    assert row["usage"] == {"input": 1000, "output": 100}
    _, outer, inner = tree["spans"]
    assert outer["duplicate_of"] == inner["span_id"] and inner["duplicate_of"] is None
    assert "same LLM call" in outer["duplicate_reason"]
    # The outer layer still shows what it reported, but its subtree counts the call once.
    assert Decimal(outer["cost"]["total"]) == one_call
    assert Decimal(outer["subtree_cost"]["total"]) == one_call
    assert sum(group["duplicate_span_count"] for group in by_model["groups"]) == 1


def test_layers_arriving_in_separate_requests_are_still_recognised(server):
    trace_id = new_trace_id()
    framework = _openinference_llm(trace_id, "", NOW_NS)
    sdk = _genai_chat(trace_id, framework["span_id"], NOW_NS + 1)
    # A simple span processor exports the inner span first, on its own.
    server.post_otlp(protobuf_request([sdk]), PROTOBUF)
    server.post_otlp(protobuf_request([framework]), PROTOBUF)

    tree = server.get(f"/api/v1/traces/{trace_id}").json()

    assert Decimal(tree["cost"]) == _call_cost()
    assert tree["spans"][0]["duplicate_of"] == sdk["span_id"]


def test_two_separate_calls_with_equal_usage_both_count(server):
    trace_id = new_trace_id()
    root = span("agent", trace_id)
    first = _genai_chat(trace_id, root["span_id"], NOW_NS + 1)
    second = _genai_chat(trace_id, root["span_id"], NOW_NS + 2)
    server.post_otlp(protobuf_request([root, first, second]), PROTOBUF)

    tree = server.get(f"/api/v1/traces/{trace_id}").json()

    assert Decimal(tree["cost"]) == 2 * _call_cost()
    assert all(s["duplicate_of"] is None for s in tree["spans"])


def test_a_usageless_model_span_around_the_call_is_a_wrapper_never_an_unpriced_call(server):
    # LlamaIndex's OpenAI.predict around OpenAI.chat: only the inner span states usage; the inner span
    # ends first, so a simple span processor sends it first.
    trace_id = new_trace_id()
    root = span("query", trace_id, attributes={"session.id": "s-wrap"})
    predict = span(
        "OpenAI.predict",
        trace_id,
        parent=root["span_id"],
        start_ns=NOW_NS + 1,
        attributes={"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini"},
    )
    chat = _openinference_llm(trace_id, predict["span_id"], NOW_NS + 2)
    server.post_otlp(protobuf_request([chat]), PROTOBUF)
    server.post_otlp(protobuf_request([predict, root]), PROTOBUF)

    tree = server.get(f"/api/v1/traces/{trace_id}").json()
    (row,) = server.get("/api/v1/traces").json()["traces"]
    unpriced = server.get("/api/v1/costs/unpriced").json()
    session = server.get("/api/v1/sessions/s-wrap").json()

    _, wrapper, call = tree["spans"]
    assert wrapper["duplicate_of"] == call["span_id"]
    assert wrapper["duplicate_reason"].startswith("a wrapper, not a call")
    assert wrapper["cost"]["unpriced_reason"] is None
    assert row["unpriced_count"] == 0 and unpriced["span_count"] == 0
    assert Decimal(tree["cost"]) == Decimal(row["cost"]) == Decimal(session["cost"]) == _call_cost()
    page = server.get(f"/traces/{trace_id}").text
    assert '">wrapper</span>' in page and '">unpriced</span>' not in page


def test_a_wrapper_sent_before_the_call_it_wraps_is_recognised_once_the_call_arrives(server):
    trace_id = new_trace_id()
    predict = span(
        "OpenAI.predict",
        trace_id,
        start_ns=NOW_NS,
        attributes={"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini"},
    )
    chat = _openinference_llm(trace_id, predict["span_id"], NOW_NS + 1)
    server.post_otlp(protobuf_request([predict]), PROTOBUF)
    assert server.get("/api/v1/traces").json()["traces"][0]["unpriced_count"] == 1  # alone, it is a call
    server.post_otlp(protobuf_request([chat]), PROTOBUF)

    tree = server.get(f"/api/v1/traces/{trace_id}").json()
    (row,) = server.get("/api/v1/traces").json()["traces"]

    wrapper, call = tree["spans"]
    assert wrapper["duplicate_of"] == call["span_id"]
    assert row["unpriced_count"] == 0
    assert Decimal(tree["cost"]) == _call_cost()
