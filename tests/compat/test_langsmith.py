"""The LangSmith SDK in OpenTelemetry mode (``Client(tracing_mode="otel")``): ``@traceable`` chain, llm and
tool runs exported as OTel spans, read back normalized.

In OTel mode the client uses the global tracer provider when one is registered (this process has one, see
conftest.py), else it builds its own exporting to ``{OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces``, by default
LangSmith's ``/otel``; both routes are tested. Runs become spans in the client's background thread, so each
test flushes the client. LangSmith's ``langsmith.trace.session_name`` is its *project*; a conversation is
``metadata.session_id`` (or ``thread_id``, ``conversation_id``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import langsmith
import pytest
from langsmith import Client, traceable
from langsmith._internal.otel._otel_client import get_otlp_tracer_provider
from tests.compat.traces import only_trace

from prices import MTOK, per_mtok

if TYPE_CHECKING:
    from tests.compat.conftest import Exported

    from conftest import LiveServer

MODEL = "claude-haiku-4-5"
THREAD = "ls-thread-42"
PROJECT = "shop-support"
QUESTION = "Where is my order A-17?"
ANSWER = "Order A-17 shipped yesterday."
USAGE_METADATA = {
    "input_tokens": 2400,  # LangChain's input_tokens counts every input token, the cache parts included
    "output_tokens": 60,
    "total_tokens": 2460,
    "input_token_details": {"cache_read": 2000, "cache_creation": 300},
}


@traceable(run_type="tool", name="lookup_order")
def lookup_order(order_id: str) -> dict[str, str]:
    return {"order_id": order_id, "status": "shipped"}


@traceable(run_type="llm", name="claude_call", metadata={"ls_provider": "anthropic", "ls_model_name": MODEL})
def claude_call(messages: list[dict[str, str]]) -> dict[str, Any]:
    return {"role": "assistant", "content": ANSWER, "usage_metadata": USAGE_METADATA}


@traceable(run_type="chain", name="support_turn")
def support_turn(question: str) -> str:
    order = lookup_order("A-17")
    return str(claude_call([{"role": "user", "content": f"{question}\n{order}"}])["content"])


def _run_turn(client: Client) -> None:
    with langsmith.tracing_context(enabled=True, client=client, project_name=PROJECT):
        answer = support_turn(QUESTION, langsmith_extra={"metadata": {"session_id": THREAD}})
    assert answer == ANSWER
    client.flush()


def _by_name(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["name"]: node for node in tree["spans"]}


def _cost(when_ns: int) -> Decimal:
    prices = per_mtok(MODEL, "anthropic", when_ns)
    return (
        100 * prices["input_mtok"]
        + 2000 * prices["cache_read_mtok"]
        + 300 * prices["cache_write_mtok"]
        + 60 * prices["output_mtok"]
    ) / MTOK


@dataclass
class Traced:
    server: LiveServer
    tree: dict[str, Any]

    def nodes(self) -> dict[str, dict[str, Any]]:
        return {node["name"]: node for node in self.tree["spans"]}


@pytest.fixture
def traced(exported: Exported) -> Iterator[Traced]:
    """The turn traced through the process's global provider (the client finds it on its own)."""
    client = Client(api_key="test", api_url=exported.server.url, tracing_mode="otel")
    _run_turn(client)
    exported.provider.force_flush()
    yield Traced(exported.server, only_trace(exported.server, spans=3))


def test_chain_llm_and_tool_runs_become_chain_llm_and_tool_spans(traced: Traced) -> None:
    nodes = traced.nodes()
    root, llm, tool = nodes["support_turn"], nodes["claude_call"], nodes["lookup_order"]
    assert traced.tree["root_span_ids"] == [root["span_id"]]
    assert root["child_span_ids"] == [tool["span_id"], llm["span_id"]]
    assert root["kind"] == "chain"
    assert llm["kind"] == "llm"
    assert tool["kind"] == "tool"


def test_llm_run_takes_model_and_provider_from_metadata_and_usage_from_usage_metadata(traced: Traced) -> None:
    llm = traced.nodes()["claude_call"]

    assert llm["provider"] == "anthropic"
    assert llm["request_model"] == MODEL
    # The cache parts arrive as str() of a Python dict in gen_ai.usage.input_token_details:
    # "{'cache_read': 2000, 'cache_creation': 300}" (not JSON).
    assert llm["usage"] == {"input": 2400, "output": 60, "cache_read": 2000, "cache_write": 300}
    assert llm["cost"]["origin"] == "inferred"
    assert Decimal(llm["cost"]["total"]) == _cost(llm["start_ns"])
    assert Decimal(traced.tree["cost"]) == _cost(llm["start_ns"])


def test_thread_metadata_is_the_session_and_the_project_is_not(traced: Traced) -> None:
    (row,) = traced.server.get("/api/v1/traces").json()["traces"]
    assert row["session_id"] == THREAD
    assert row["session_id"] != PROJECT
    session = traced.server.get(f"/api/v1/sessions/{THREAD}").json()
    assert session["trace_count"] == 1
    assert Decimal(session["cost"]) == Decimal(traced.tree["cost"])


def test_run_inputs_and_outputs_become_the_spans_input_and_output(traced: Traced) -> None:
    nodes = traced.nodes()
    assert QUESTION in nodes["support_turn"]["input"]
    assert ANSWER in nodes["support_turn"]["output"]
    assert "A-17" in nodes["lookup_order"]["input"] and "shipped" in nodes["lookup_order"]["output"]


def test_without_a_global_provider_the_sdks_own_exporter_reaches_the_langsmith_otlp_path(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the client builds when no provider is registered, pointed at tokentrail the documented way.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", server.url + "/otel")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "shop-support-bot")
    provider = get_otlp_tracer_provider()
    client = Client(api_key="test", api_url=server.url, tracing_mode="otel", otel_tracer_provider=provider)
    try:
        _run_turn(client)
        provider.force_flush()
        tree = only_trace(server, spans=3)
    finally:
        provider.shutdown()

    nodes = _by_name(tree)
    assert {node["service"] for node in tree["spans"]} == {"shop-support-bot"}
    assert nodes["claude_call"]["kind"] == "llm"
    assert nodes["claude_call"]["usage"] == {
        "input": 2400,
        "output": 60,
        "cache_read": 2000,
        "cache_write": 300,
    }
    assert Decimal(tree["cost"]) == _cost(nodes["claude_call"]["start_ns"])
