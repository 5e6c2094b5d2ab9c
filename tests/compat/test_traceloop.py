"""traceloop-sdk (OpenLLMetry) end to end: a ``@workflow`` with ``@task`` and ``@tool`` functions and
Anthropic calls through OpenLLMetry's instrumentation, exported to a live server and read back.

The app runs in its own process (``traceloop_app.py``). ``Traceloop.init`` can run once per process (its
``TracerWrapper`` is a singleton), has no teardown, instruments libraries process-wide, and, when a global
tracer provider already exists (this process has one, see conftest.py), adds its exporting processor to
that provider for good, so every later test's spans would also go to this test's server. In a fresh
process it creates and registers its own provider instead, as it does in a real app; there the
anthropic SDK's native spans go through that provider too, so each call is reported by two layers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.compat.expected import anthropic_cost, anthropic_usage

from conftest import LiveServer, start_server
from providers.anthropic_api import Reply, ToolUse, serve_anthropic_api
from tokentrail.store.database import Store

APP = Path(__file__).with_name("traceloop_app.py")
MODEL = "claude-haiku-4-5"
SERVED = "claude-haiku-4-5-20251001"
SESSION, USER = "tl-session-7", "rita@example.com"  # as set in traceloop_app.py
QUESTION = "Is it sunny in Lisbon?"

PLAN = Reply(
    model=SERVED,
    text="Let me check.",
    tool_uses=[ToolUse("get_weather", {"city": "Lisbon"})],
    input_tokens=15,
    cache_creation_input_tokens=2048,
    output_tokens=40,
)
ANSWER = Reply(
    model=SERVED,
    text="Yes, sunny and 24 degrees.",
    input_tokens=30,
    cache_read_input_tokens=2048,
    output_tokens=12,
)


@dataclass
class Run:
    server: LiveServer
    started_ns: int
    trace_id: str
    answer: str
    tree: dict[str, Any]

    def node(self, name: str, parent: dict[str, Any] | None = None) -> dict[str, Any]:
        (found,) = self.nodes(name, parent)
        return found

    def nodes(self, name: str, parent: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return [
            node
            for node in self.tree["spans"]
            if node["name"] == name and (parent is None or node["parent_span_id"] == parent["span_id"])
        ]

    def row(self) -> dict[str, Any]:
        (row,) = self.server.get("/api/v1/traces").json()["traces"]
        return row


@pytest.fixture(scope="module")
def run(chdb_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """The app's one turn, run once for the module against its own database and server."""
    store = Store(chdb_url, "test_traceloop")
    try:
        for server in start_server(store, tmp_path_factory.mktemp("traceloop")):
            with serve_anthropic_api() as api:
                api.reply(PLAN, ANSWER)
                started = time.time_ns()
                done = subprocess.run(
                    [sys.executable, str(APP), server.url, api.url, MODEL],
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
            assert done.returncode == 0, done.stderr[-3000:]
            result = json.loads(done.stdout.strip().splitlines()[-1])
            response = server.get(f"/api/v1/traces/{result['trace_id']}")
            assert response.status_code == 200, response.text
            yield Run(server, started, result["trace_id"], result["answer"], response.json())
    finally:
        store.client().command(f"DROP DATABASE IF EXISTS {store.database}")
        store.close()


_usage = anthropic_usage


def _cost(reply: Reply, when_ns: int) -> Decimal:
    return anthropic_cost(MODEL, reply, when_ns)


def test_the_turn_arrives_as_one_tree_of_workflow_tasks_tool_and_llm_calls(run: Run) -> None:
    workflow = run.node("weather_turn.workflow")
    plan, answer = run.node("plan.task", workflow), run.node("answer.task", workflow)
    assert run.tree["root_span_ids"] == [workflow["span_id"]]
    assert run.tree["span_count"] == 8
    assert [node["name"] for node in run.tree["spans"] if node["parent_span_id"] == workflow["span_id"]] == [
        "plan.task",
        "get_weather.tool",
        "answer.task",
    ]
    for task in (plan, answer):
        assert {node["name"] for node in run.tree["spans"] if node["parent_span_id"] == task["span_id"]} == {
            "anthropic.chat",
            "anthropic.messages.create",
        }
    assert all(node["service"] == "weather-app" for node in run.tree["spans"])


def test_workflow_and_tasks_are_chains_and_the_tool_is_a_tool(run: Run) -> None:
    workflow = run.node("weather_turn.workflow")
    assert workflow["kind"] == "chain"
    assert run.node("plan.task")["kind"] == "chain"
    assert run.node("answer.task")["kind"] == "chain"
    tool = run.node("get_weather.tool")
    assert tool["kind"] == "tool"
    assert tool["cost"]["total"] in (None, "0") and not tool["usage"]


def test_entity_input_and_output_become_the_spans_input_and_output(run: Run) -> None:
    workflow = run.node("weather_turn.workflow")
    assert QUESTION in workflow["input"]
    assert run.answer == ANSWER.text
    assert ANSWER.text in workflow["output"]
    tool = run.node("get_weather.tool")
    assert "Lisbon" in tool["input"]
    assert json.loads(tool["output"]) == {"city": "Lisbon", "sky": "sunny", "temp_c": 24}


def test_association_properties_give_the_trace_its_session_and_user(run: Run) -> None:
    row = run.row()
    assert row["session_id"] == SESSION
    assert row["user_id"] == USER
    assert run.node("weather_turn.workflow")["session_id"] == SESSION
    by_session = run.server.get("/api/v1/traces", session_id=SESSION).json()["traces"]
    assert [found["trace_id"] for found in by_session] == [run.trace_id]
    session = run.server.get(f"/api/v1/sessions/{SESSION}").json()
    assert session["user_id"] == USER and session["trace_count"] == 1


def test_openllmetry_llm_spans_carry_model_provider_and_usage_with_the_cache_parts(run: Run) -> None:
    plan_call = run.node("anthropic.chat", run.node("plan.task"))
    answer_call = run.node("anthropic.chat", run.node("answer.task"))
    for node in (plan_call, answer_call):
        assert node["kind"] == "llm"
        assert node["provider"] == "anthropic"
        assert node["request_model"] == MODEL
        assert node["response_model"] == SERVED
    # gen_ai.usage.input_tokens already includes the cache parts; the write is cache_creation.input_tokens.
    assert plan_call["usage"] == _usage(PLAN)
    # Streaming, OpenLLMetry adds message_start's placeholder output count (1) to message_delta's
    # cumulative one, so it reports one output token more than the API billed. Shown as reported.
    assert answer_call["usage"] == _usage(ANSWER, output=ANSWER.output_tokens + 1)
    assert "Lisbon" in plan_call["input"] and "get_weather" in plan_call["output"]
    assert ANSWER.text in answer_call["output"]


def test_each_call_seen_by_openllmetry_and_the_sdk_is_counted_once_at_the_sdks_usage(run: Run) -> None:
    # The two layers' spans are siblings (OpenLLMetry does not make its span current around the SDK
    # call); they share gen_ai.response.id, the id of the one Message the API returned.
    for task, reply in (("plan.task", PLAN), ("answer.task", ANSWER)):
        parent = run.node(task)
        openllmetry, sdk = run.node("anthropic.chat", parent), run.node("anthropic.messages.create", parent)
        assert sdk["kind"] == "llm" and sdk["usage"] == _usage(reply)
        assert Decimal(sdk["cost"]["total"]) == _cost(reply, run.started_ns)
        assert sdk["duplicate_of"] is None
        assert openllmetry["duplicate_of"] == sdk["span_id"]
        assert openllmetry["duplicate_reason"]
        assert Decimal(parent["subtree_cost"]["total"]) == _cost(reply, run.started_ns)
    expected = _cost(PLAN, run.started_ns) + _cost(ANSWER, run.started_ns)
    assert Decimal(run.tree["cost"]) == expected
    row = run.row()
    assert Decimal(row["cost"]) == expected
    assert row["usage"] == {"input": 2063 + 2078, "output": 52, "cache_write": 2048, "cache_read": 2048}
