"""The "What filled the prompt" section in a real browser: on the trace page a bar per source with its
tokens, cost and share, and how it was counted; on the session page each call's prompt split into history
and new; on the costs page, the same sources over the range."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import Page, expect

from otlp_builders import new_trace_id, protobuf_request, span
from ui.conftest import screenshot

pytestmark = pytest.mark.browser

QUESTIONS = ["Where should I go in May?", "Is Lisbon warm then?", "And what about the evenings there?"]
ANSWERS = ["Lisbon is lovely in May.", "Yes, around 22 degrees by day."]


def _messages(turn: int) -> list[dict]:
    messages = [{"role": "system", "content": "You are a travel assistant."}]
    for index in range(turn - 1):
        messages.append({"role": "user", "content": QUESTIONS[index]})
        call = {"id": f"call_{index}", "type": "function"}
        call["function"] = {"name": "web_search", "arguments": '{"q": "Lisbon"}'}
        messages += [
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {
                "role": "tool",
                "tool_call_id": f"call_{index}",
                "content": "Lisbon: 22 C by day, 14 C at night.",
            },
            {"role": "assistant", "content": ANSWERS[index]},
        ]
    return [*messages, {"role": "user", "content": QUESTIONS[turn - 1]}]


def _send_session(server) -> list[str]:
    trace_ids = []
    start = time.time_ns() - 60 * 10**9
    for turn, tokens in enumerate([120, 260, 400], start=1):
        trace_id = new_trace_id()
        root = span("turn", trace_id, start_ns=start + turn * 10**9, attributes={"session.id": "trip"})
        llm = span(
            "chat gpt-4o-mini",
            trace_id,
            parent=root["span_id"],
            start_ns=start + turn * 10**9 + 1,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.usage.input_tokens": tokens,
                "gen_ai.usage.output_tokens": 20,
                "gen_ai.input.messages": json.dumps(_messages(turn)),
            },
        )
        server.post_otlp(protobuf_request([root, llm]), "application/x-protobuf")
        trace_ids.append(trace_id)
    server.settle()
    return trace_ids


def test_the_trace_page_shows_what_filled_its_prompt_by_source(page: Page, server):
    trace_id = _send_session(server)[-1]
    report = server.get(f"/api/v1/traces/{trace_id}/prompt-sources").json()

    page.goto(f"{server.url}/traces/{trace_id}")

    section = page.get_by_role("region", name="What filled the prompt")
    expect(section).to_be_visible()
    rows = section.get_by_role("table", name="Prompt tokens by source").locator("tbody tr")
    expect(rows).to_have_count(len(report["sources"]))
    tool = section.locator('tr[data-source="tool:web_search"]')
    expect(tool).to_contain_text("results of web_search")
    expect(tool).to_contain_text(
        str(next(s["tokens"] for s in report["sources"] if s["source"] == "tool:web_search"))
    )
    expect(section).to_contain_text("tokenizer:o200k_base")
    expect(section).to_contain_text("Results of web_search cost")
    screenshot(page, "trace-prompt-sources")


def test_the_session_page_splits_each_call_s_prompt_into_history_and_new(page: Page, server):
    _send_session(server)

    page.goto(f"{server.url}/sessions/trip")

    section = page.get_by_role("region", name="What filled the prompt")
    turns = section.get_by_role("table", name="Prompt tokens per call, history and new").locator("tbody tr")
    expect(turns).to_have_count(3)
    expect(section).to_contain_text("makes the last call's prompt 3.3")
    screenshot(page, "session-prompt-sources")


def test_the_costs_page_loads_the_sources_of_the_range_as_a_panel(page: Page, server):
    _send_session(server)

    page.goto(f"{server.url}/costs")

    section = page.get_by_role("region", name="What filled the prompt")
    expect(section.locator('tr[data-source="system"]')).to_be_visible()
    expect(section).to_contain_text("780 prompt tokens")
