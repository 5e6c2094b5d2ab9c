"""What filled the prompts, over the API: each LLM call's prompt tokens by source, counted with the model's
tokenizer and made to add up to what the provider reported, with their cost split exactly; rolled up over
a trace, a session and a time window; the documents of a retriever recognised in the prompts that quote
them whichever request brought them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span
from prices import MTOK, per_mtok
from tiktoken_reference import reference_count

PROTOBUF = "application/x-protobuf"
MODEL = "gpt-4o-mini"
SYSTEM = "You are a travel assistant. Answer in one sentence."
QUESTIONS = ["Where should I go in May?", "Is Lisbon warm then?", "And what about the evenings there?"]
ANSWERS = ["Lisbon is lovely in May.", "Yes, around 22 degrees by day."]
GUIDE = "Lisbon in May: days near 22 C, evenings cool near 14 C, little rain, long light."
SEARCH_ARGUMENTS = '{"query": "Lisbon weather May"}'
SEARCH_RESULT = "Lisbon, May: average high 22 C, low 14 C."


def _llm(trace_id: str, parent: str, start_ns: int, messages: list[dict[str, Any]], prompt_tokens: int):
    return span(
        "chat",
        trace_id,
        parent=parent,
        start_ns=start_ns,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": MODEL,
            "gen_ai.usage.input_tokens": prompt_tokens,
            "gen_ai.usage.output_tokens": 10,
            "gen_ai.input.messages": json.dumps(messages),
        },
    )


def _conversation(turns: int) -> list[dict[str, Any]]:
    """The messages of turn ``turns`` (1-based): the system prompt, every earlier question and answer (the
    second answered after a web search), then the new question."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}]
    for index in range(turns - 1):
        messages.append({"role": "user", "content": QUESTIONS[index]})
        if index == 1:
            call = {"id": "call_1", "type": "function"}
            call["function"] = {"name": "web_search", "arguments": SEARCH_ARGUMENTS}
            messages += [
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "call_1", "content": SEARCH_RESULT},
            ]
        messages.append({"role": "assistant", "content": ANSWERS[index]})
    return [*messages, {"role": "user", "content": QUESTIONS[turns - 1]}]


def _send_session(server, prompt_tokens: list[int]) -> list[str]:
    trace_ids = []
    for turn, tokens in enumerate(prompt_tokens, start=1):
        trace_id = new_trace_id()
        start = NOW_NS + turn * 10**9
        root = span("turn", trace_id, start_ns=start, attributes={"session.id": "trip"})
        llm = _llm(trace_id, root["span_id"], start + 1, _conversation(turn), tokens)
        server.post_otlp(protobuf_request([root, llm]), PROTOBUF)
        trace_ids.append(trace_id)
    return trace_ids


def _prompt_price(tokens: int) -> Decimal:
    return tokens * per_mtok(MODEL, "openai", NOW_NS)["input_mtok"] / MTOK


def _sources(report: dict[str, Any]) -> dict[str, int]:
    return {row["source"]: row["tokens"] for row in report["sources"]}


def test_each_call_s_sources_are_its_messages_counted_by_tiktoken_and_the_rest_unattributed(server):
    trace_id = _send_session(server, [400, 500, 700])[-1]

    report = server.get(f"/api/v1/traces/{trace_id}/prompt-sources").json()

    search = reference_count("web_search" + SEARCH_ARGUMENTS)
    expected = {
        "system": reference_count(SYSTEM),
        "user": sum(reference_count(question) for question in QUESTIONS),
        "assistant": sum(reference_count(answer) for answer in ANSWERS) + search,
        "tool:web_search": reference_count(SEARCH_RESULT),
    }
    expected["unattributed"] = 700 - sum(expected.values())
    assert _sources(report) == expected
    assert report["tokens"] == 700 and report["methods"] == ["tokenizer:o200k_base"]
    assert Decimal(report["cost"]) == _prompt_price(700)
    assert sum(Decimal(row["cost"]) for row in report["sources"]) == Decimal(report["cost"])
    (turn,) = report["turns"]
    new_question = reference_count(QUESTIONS[2])
    assert turn["history_tokens"] == 700 - expected["system"] - new_question - expected["unattributed"]


def test_a_session_s_history_grows_turn_by_turn_and_its_sources_add_up_to_its_prompt_cost(server):
    _send_session(server, [60, 90, 150])

    report = server.get("/api/v1/sessions/trip/prompt-sources").json()

    turns = report["turns"]
    assert [turn["tokens"] for turn in turns] == [60, 90, 150]
    assert turns[0]["history_tokens"] == 0
    assert 0 < turns[1]["history_tokens"] < turns[2]["history_tokens"]
    for turn in turns:
        assert sum(turn["sources"].values()) == turn["tokens"]
        proportional = _prompt_price(turn["tokens"]) * turn["history_tokens"] / turn["tokens"]
        assert abs(Decimal(turn["history_cost"]) - proportional) < Decimal("1e-18")
    assert report["growth"] == 2.5
    assert report["tokens"] == 300
    assert Decimal(report["cost"]) == _prompt_price(300)
    assert sum(Decimal(row["cost"]) for row in report["sources"]) == Decimal(report["cost"])
    assert {row["source"]: row["calls"] for row in report["sources"]}["tool:web_search"] == 1


def test_a_window_counts_the_calls_that_started_in_it(server):
    _send_session(server, [60, 90, 150])  # the calls start at 1 s, 2 s and 3 s past midnight

    report = server.get(
        "/api/v1/costs/prompt-sources", start="2026-01-01T00:00:01.5Z", end="2026-01-01T00:00:02.5Z"
    ).json()

    assert report["tokens"] == 90 and report["turns"] == []
    assert Decimal(report["cost"]) == _prompt_price(90)
    assert sum(_sources(report).values()) == 90


def test_when_the_messages_count_more_than_was_reported_every_source_is_scaled_down_to_it(server):
    trace_id = _send_session(server, [20, 20, 20])[-1]

    report = server.get(f"/api/v1/traces/{trace_id}/prompt-sources").json()

    assert report["methods"] == ["tokenizer:o200k_base+scaled"]
    assert report["tokens"] == 20 and "unattributed" not in _sources(report)


@pytest.mark.parametrize("retrieval_first", [True, False], ids=["retrieval-first", "call-first"])
def test_a_retriever_s_documents_quoted_in_a_prompt_are_the_retriever_s_whichever_request_came_first(
    server, retrieval_first
):
    trace_id = new_trace_id()
    root = span("turn", trace_id)
    retriever = span(
        "guide-search",
        trace_id,
        parent=root["span_id"],
        start_ns=NOW_NS + 1,
        attributes={
            "openinference.span.kind": "RETRIEVER",
            "retrieval.documents.0.document.content": GUIDE,
        },
    )
    prompt = f"Context:\n{GUIDE}\n\nQuestion: {QUESTIONS[1]}"
    llm = _llm(trace_id, root["span_id"], NOW_NS + 2, [{"role": "user", "content": prompt}], 300)
    requests = [[root, retriever], [llm]] if retrieval_first else [[root, llm], [retriever]]
    for spans in requests:
        server.post_otlp(protobuf_request(spans), PROTOBUF)
        server.settle()

    report = server.get(f"/api/v1/traces/{trace_id}/prompt-sources").json()

    sources = _sources(report)
    assert sources["retrieval:guide-search"] == reference_count(GUIDE)
    assert sources["user"] == reference_count("Context:\n") + reference_count(f"\n\nQuestion: {QUESTIONS[1]}")
    assert sum(sources.values()) == 300


def test_an_unknown_trace_or_a_call_without_captured_messages_has_no_sources(server):
    trace_id = new_trace_id()
    llm = span(
        "chat",
        trace_id,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": MODEL,
            "gen_ai.usage.input_tokens": 50,
        },
    )
    server.post_otlp(protobuf_request([llm]), PROTOBUF)

    for path in (f"/api/v1/traces/{trace_id}/prompt-sources", "/api/v1/traces/feed/prompt-sources"):
        report = server.get(path).json()
        assert (report["sources"], report["tokens"], report["cost"]) == ([], 0, "0")
