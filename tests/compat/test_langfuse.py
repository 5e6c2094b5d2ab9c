"""The Langfuse SDK (v5) exporting to a live server at its own OTLP path: an ``@observe`` root with a
generation that states its usage and cost, and a tool, read back normalized.

Langfuse's usage keys are disjoint: ``input`` leaves out the tokens read from or written to a cache, so
the canonical input adds them back. The client gets its own tracer provider: given none, Langfuse would add
its exporting processor to this process's global provider for good (see conftest.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from langfuse import Langfuse, observe, propagate_attributes
from langfuse._client.resource_manager import LangfuseResourceManager
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from prices import MTOK, per_mtok

if TYPE_CHECKING:
    from conftest import LiveServer

MODEL = "claude-haiku-4-5"
SESSION, USER = "lf-session-3", "joao@example.com"
QUESTION = "Will it rain in Porto tomorrow?"
ANSWER = "No rain is expected in Porto tomorrow."
USAGE = {"input": 120, "output": 50, "cache_read_input_tokens": 2048, "cache_creation_input_tokens": 512}
COST = {
    "input": 0.00012,
    "cache_read_input_tokens": 0.0002,
    "cache_creation_input_tokens": 0.00064,
    "output": 0.00025,
    "total": 0.00121,
}


@dataclass
class LangfuseApp:
    client: Langfuse
    public_key: str
    provider: TracerProvider
    server: LiveServer

    def only_trace(self, *, spans: int, timeout: float = 20.0) -> dict[str, Any]:
        """The one trace the server holds, once it has ``spans`` spans."""
        self.client.flush()
        deadline = time.monotonic() + timeout
        while True:
            rows = self.server.get("/api/v1/traces").json()["traces"]
            if len(rows) == 1 and rows[0]["span_count"] >= spans:
                return self.server.get(f"/api/v1/traces/{rows[0]['trace_id']}").json()
            if time.monotonic() > deadline:
                raise AssertionError(f"expected one trace of {spans} spans, found {rows}")
            time.sleep(0.05)


@pytest.fixture
def langfuse_app(server: LiveServer) -> Iterator[LangfuseApp]:
    """A Langfuse client sending to the live server (``{base_url}/api/public/otel/v1/traces``)."""
    public_key = f"pk-lf-{uuid.uuid4().hex[:12]}"  # the SDK keeps one client per public key per process
    provider = TracerProvider(resource=Resource.create({"service.name": "support-bot"}))
    client = Langfuse(
        public_key=public_key,
        secret_key="sk-lf-test",
        base_url=server.url,
        tracer_provider=provider,
        flush_interval=0.1,
    )
    try:
        yield LangfuseApp(client, public_key, provider, server)
    finally:
        client.shutdown()
        provider.shutdown()
        # Otherwise @observe in a later test sees two clients and, given no key, traces nothing.
        LangfuseResourceManager._instances.pop(public_key, None)


def _answer(app: LangfuseApp) -> str:
    @observe(name="support-turn")
    def support_turn(question: str) -> str:
        # Session and user on the root only: the context is left before any child starts.
        with propagate_attributes(session_id=SESSION, user_id=USER):
            pass
        with app.client.start_as_current_observation(
            as_type="generation",
            name="claude-call",
            model=MODEL,
            input=[{"role": "user", "content": question}],
            usage_details=USAGE,
            cost_details=COST,
        ) as generation:
            generation.update(output={"role": "assistant", "content": ANSWER})
        with app.client.start_as_current_observation(
            as_type="tool", name="forecast", input={"city": "Porto"}
        ) as tool:
            tool.update(output={"rain_mm": 0})
        return ANSWER

    return support_turn(QUESTION, langfuse_public_key=app.public_key)  # type: ignore[call-arg]


def _by_name(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["name"]: node for node in tree["spans"]}


def test_the_observe_root_generation_and_tool_arrive_as_one_tree(langfuse_app: LangfuseApp) -> None:
    assert _answer(langfuse_app) == ANSWER

    tree = langfuse_app.only_trace(spans=3)

    root, generation, tool = (_by_name(tree)[name] for name in ("support-turn", "claude-call", "forecast"))
    assert tree["root_span_ids"] == [root["span_id"]]
    assert root["child_span_ids"] == [generation["span_id"], tool["span_id"]]
    assert generation["kind"] == "llm"
    assert tool["kind"] == "tool"
    assert all(node["service"] == "support-bot" for node in tree["spans"])


def test_generation_usage_adds_the_cache_parts_back_into_input(langfuse_app: LangfuseApp) -> None:
    _answer(langfuse_app)

    generation = _by_name(langfuse_app.only_trace(spans=3))["claude-call"]

    assert (generation["response_model"] or generation["request_model"]) == MODEL
    assert generation["usage"] == {
        "input": 120 + 2048 + 512,
        "output": 50,
        "cache_read": 2048,
        "cache_write": 512,
    }


def test_the_cost_the_generation_states_wins_over_the_price_list(langfuse_app: LangfuseApp) -> None:
    _answer(langfuse_app)

    tree = langfuse_app.only_trace(spans=3)

    generation = _by_name(tree)["claude-call"]
    assert generation["cost"]["origin"] == "provided"
    assert Decimal(generation["cost"]["total"]) == Decimal("0.00121")
    assert {key: Decimal(value) for key, value in generation["cost"]["by_type"].items()} == {
        "input": Decimal("0.00012"),
        "cache_read": Decimal("0.0002"),
        "cache_write": Decimal("0.00064"),
        "output": Decimal("0.00025"),
    }
    prices = per_mtok(MODEL, "anthropic", generation["start_ns"])
    inferred = (120 * prices["input_mtok"] + 2048 * prices["cache_read_mtok"]) / MTOK
    assert Decimal(tree["cost"]) == Decimal("0.00121") != inferred


def test_session_and_user_set_on_the_root_only_belong_to_the_whole_trace(langfuse_app: LangfuseApp) -> None:
    _answer(langfuse_app)

    tree = langfuse_app.only_trace(spans=3)

    (row,) = langfuse_app.server.get("/api/v1/traces").json()["traces"]
    assert row["session_id"] == SESSION and row["user_id"] == USER
    assert [
        found["trace_id"]
        for found in langfuse_app.server.get("/api/v1/traces", user_id=USER).json()["traces"]
    ] == [tree["trace_id"]]
    session = langfuse_app.server.get(f"/api/v1/sessions/{SESSION}").json()
    assert session["trace_count"] == 1
    assert Decimal(session["cost"]) == Decimal("0.00121")


def test_observe_records_the_roots_arguments_and_return_value_as_its_input_and_output(
    langfuse_app: LangfuseApp,
) -> None:
    _answer(langfuse_app)

    nodes = _by_name(langfuse_app.only_trace(spans=3))

    assert QUESTION in nodes["support-turn"]["input"]
    assert nodes["support-turn"]["output"] == ANSWER
    assert QUESTION in nodes["claude-call"]["input"]
    assert ANSWER in nodes["claude-call"]["output"]
    assert "Porto" in nodes["forecast"]["input"]
