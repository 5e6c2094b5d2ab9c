"""The Vercel AI SDK (Node: ``ai`` 7 with ``@ai-sdk/otel``) against stand-in OpenAI and Anthropic APIs,
exporting over OTLP to a live server.

The app (``vercel/app.mjs``, packages pinned in ``vercel/package-lock.json``) makes six SDK calls, each its
own trace: Chat Completions with a cached prompt, a reasoning model and a streamed answer through the
Responses API, an Anthropic call that writes a cached system prompt and one that reads it, and a tool round
trip (two provider calls and the tool in one SDK call). v7 records spans through a registered telemetry
integration, and both are run:

- ``legacy`` (``LegacyOpenTelemetry``, the ``ai.*`` names every version since v3 wrote with
  ``experimental_telemetry``): ``ai.generateText`` (the SDK call, usage summed over its steps) over
  ``ai.generateText.doGenerate`` (the provider call);
- ``genai`` (``OpenTelemetry``, the integration v7's docs register): ``invoke_agent {model}`` over
  ``step 1`` over ``chat {model}``, in GenAI names. It states reasoning tokens only with ``usage: true``
  and Anthropic's usage object (the 1-hour cache writes) only with ``providerMetadata: true``; the app sets
  both, as a user who wants exact costs must.

The provider call is the priced LLM span; the SDK call above it is an agent, whose summed usage must not be
counted a second time. v7 dropped ``telemetry.metadata``: the app states the session and the user as
runtime context, which telemetry records as ``ai.settings.context.sessionId`` / ``.userId`` when
``includeRuntimeContext`` names them (the GenAI integration also needs ``runtimeContext: true``).

Node.js and npm must be on the machine (``.ci/run`` installs them): without them these tests fail. The
packages are installed into ``vercel/node_modules`` by ``npm ci`` when missing or when the lockfile changed.
``ai`` 7 declares Node.js 22 or later; these tests also pass on Node.js 20.
"""

# ruff: noqa: F811 (the stand-ins' pytest fixtures are imported, then named by the tests that use them)
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from tests.compat.expected import anthropic_cost, anthropic_usage, nonzero, openai_call, priced_facts
from tests.compat.isolated import reported_facts
from tests.compat.traces import trace_rows, tree_of

from prices import MTOK, per_mtok
from providers.anthropic_api import AnthropicAPI, anthropic_api  # noqa: F401
from providers.anthropic_api import Reply as AnthropicReply
from providers.openai_api import OpenAIAPI, Reply, ToolCall, openai_api  # noqa: F401

if TYPE_CHECKING:
    from conftest import LiveServer

pytestmark = pytest.mark.node

APP = Path(__file__).parent / "vercel"

SESSION = "s-vercel"
USER = "ana@example.com"

GPT_4O_MINI = "gpt-4o-mini-2024-07-18"
CACHED = Reply(
    text="Cached prompts are cheaper.",
    model=GPT_4O_MINI,
    prompt_tokens=1200,
    completion_tokens=80,
    cached_tokens=1000,
)
REASONING = Reply(
    text="There are 25.",
    model="o4-mini-2025-04-16",
    prompt_tokens=2000,
    completion_tokens=900,
    cached_tokens=1536,
    reasoning_tokens=768,
)
STREAMED = Reply(
    text="Streamed, chunk by chunk.",
    model=GPT_4O_MINI,
    prompt_tokens=300,
    completion_tokens=40,
    cached_tokens=128,
)
WEATHER = ToolCall("get_weather", {"city": "Paris"})
TOOL_ASK = Reply(
    text=None,
    tool_calls=[WEATHER],
    model=GPT_4O_MINI,
    prompt_tokens=1150,
    completion_tokens=20,
    cached_tokens=1024,
)
TOOL_ANSWER = Reply(
    text="Yes, it is sunny in Paris.",
    model=GPT_4O_MINI,
    prompt_tokens=1190,
    completion_tokens=12,
    cached_tokens=1152,
)
ANTHROPIC_MODEL = "claude-haiku-4-5"  # flat per-token prices
SERVED = "claude-haiku-4-5-20251001"
WRITE = AnthropicReply(model=SERVED, input_tokens=12, cache_creation_input_tokens=2048, output_tokens=40)
READ = AnthropicReply(model=SERVED, input_tokens=7, cache_read_input_tokens=2048, output_tokens=30)
#: A system prompt cached for an hour (``cacheControl.ttl = "1h"``): written at twice the input rate.
WRITE_1H = AnthropicReply(
    model=SERVED, input_tokens=20, cache_creation_input_tokens=2048, cache_creation_1h=2048, output_tokens=25
)

#: Each OpenAI call of the app: its function id, the model asked for, the reply, its canonical usage, the
#: SDK function and what the app asked and got.
OPENAI_CALLS = {
    "openai-cached": (
        "gpt-4o-mini",
        CACHED,
        {"input": 1200, "output": 80, "cache_read": 1000},
        "generateText",
        "Why is a cached prompt cheaper?",
    ),
    "openai-reasoning": (
        "o4-mini",
        REASONING,
        {"input": 2000, "output": 900, "cache_read": 1536, "reasoning": 768},
        "generateText",
        "How many primes are below 100?",
    ),
    "openai-stream": (
        "gpt-4o-mini",
        STREAMED,
        {"input": 300, "output": 40, "cache_read": 128},
        "streamText",
        "Stream a short answer.",
    ),
}
ANTHROPIC_CALLS = {"anthropic-cache-write": WRITE, "anthropic-cache-read": READ}

TELEMETRY = pytest.mark.parametrize("telemetry", ["legacy", "genai"])


# The app, run as a subprocess.


def _node_modules() -> None:
    """Install the app's pinned packages with ``npm ci`` unless those installed match the lockfile."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        pytest.fail("Node.js and npm are needed to run the Vercel AI SDK app (.ci/run installs them)")
    digest = hashlib.sha256(
        (APP / "package.json").read_bytes() + (APP / "package-lock.json").read_bytes()
    ).hexdigest()
    stamp = APP / "node_modules" / ".tokentrail-lockfile-sha256"  # npm ci removes it with node_modules
    with open(Path(tempfile.gettempdir()) / "tokentrail-compat-vercel-npm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers install once
        if stamp.exists() and stamp.read_text() == digest:
            return
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=APP, capture_output=True, text=True, timeout=600
        )
        if installed.returncode != 0:
            pytest.fail(f"npm ci failed in {APP}:\n{installed.stdout[-2000:]}\n{installed.stderr[-4000:]}")
        stamp.write_text(digest)


def run_node_app(
    *,
    server_url: str,
    openai_url: str,
    anthropic_url: str,
    telemetry: str,
    timeout: float = 120,
) -> dict[str, Any]:
    """Run ``vercel/app.mjs`` against the stand-ins, exporting to ``server_url``; the facts it reported
    (per call: its trace id, its span count, and the text and usage the SDK returned). The app inherits
    this process's environment without its ``OTEL_*`` settings (``COMPAT_DUMP_SPANS=1`` prints its spans)."""
    _node_modules()
    environment = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_")}
    environment.update(
        OTEL_EXPORTER_OTLP_ENDPOINT=server_url,
        STAND_IN_URL=openai_url,
        ANTHROPIC_URL=anthropic_url,
        VERCEL_TELEMETRY=telemetry,
        SESSION_ID=SESSION,
        USER_ID=USER,
    )
    node = shutil.which("node") or "node"
    completed = subprocess.run(
        [node, str(APP / "app.mjs")],
        cwd=APP,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )
    return reported_facts(completed, "app.mjs")


App = Callable[[str], dict[str, dict[str, Any]]]


@pytest.fixture
def app(server: LiveServer, openai_api: OpenAIAPI, anthropic_api: AnthropicAPI) -> App:
    """Runs the app in a telemetry mode; returns its facts by function id, each with its trace read back."""

    def run(telemetry: str) -> dict[str, dict[str, Any]]:
        openai_api.reply(CACHED, REASONING, STREAMED, TOOL_ASK, TOOL_ANSWER)
        anthropic_api.reply(WRITE, READ, WRITE_1H)
        facts = run_node_app(
            server_url=server.url,
            openai_url=openai_api.url,
            anthropic_url=anthropic_api.url,
            telemetry=telemetry,
        )
        assert openai_api.pending == anthropic_api.pending == 0
        for fact in facts.values():
            fact["tree"] = tree_of(server, fact["trace_id"], spans=fact["spans"])
        return facts

    return run


# What each telemetry mode's trace of one SDK call looks like.


def _chain(tree: dict[str, Any], telemetry: str, function: str, model: str) -> list[dict[str, Any]]:
    """The trace's spans from the SDK call down to the provider call, checked to be a chain of the names
    and kinds the mode writes; the first is the SDK call (the agent), the last the provider call."""
    if telemetry == "legacy":
        inner = "doStream" if function == "streamText" else "doGenerate"
        shape = [(f"ai.{function}", "agent"), (f"ai.{function}.{inner}", "llm")]
    else:
        shape = [(f"invoke_agent {model}", "agent"), ("step 1", None), (f"chat {model}", "llm")]
    nodes = tree["spans"]
    assert [node["name"] for node in nodes] == [name for name, _ in shape]
    assert [kind and node["kind"] for node, (_, kind) in zip(nodes, shape, strict=True)] == [
        kind for _, kind in shape
    ]
    for step in nodes[1:-1]:
        # A step (gen_ai.operation.name = agent_step) groups the provider calls of one round: not a call,
        # and no usage of its own, whatever part counts (usage: true) it repeats from the call below it.
        assert step["kind"] not in ("llm", "embedding")
        assert step["usage"] == {}, f"the step span counts usage: {step['usage']}"
    assert nodes[0]["parent_span_id"] in ("", None)
    assert [node["parent_span_id"] for node in nodes[1:]] == [node["span_id"] for node in nodes[:-1]]
    assert tree["root_span_ids"] == [nodes[0]["span_id"]]
    return nodes


def _summed_usage_kept_raw(agent: dict[str, Any], telemetry: str, usage: dict[str, int]) -> None:
    """The SDK call's summed usage stays raw on its span: stated, not counted."""
    assert agent["usage"] == {}
    assert agent["cost"]["total"] in ("0", None)
    names = (
        ("ai.usage.inputTokens", "ai.usage.outputTokens")
        if telemetry == "legacy"
        else ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens")
    )
    assert [agent["attributes"][name] for name in names] == [str(usage["input"]), str(usage["output"])]


def _anthropic_call(node: dict[str, Any], reply: AnthropicReply) -> dict[str, Any]:
    """The facts :func:`priced_facts` must find for the Anthropic call answered by ``reply``."""
    usage = anthropic_usage(reply)
    return {
        "kind": "llm",
        "provider": "anthropic",
        "model": SERVED,
        "usage": usage,
        "usage_source": dict.fromkeys(usage, "attribute"),
        "cost": anthropic_cost(ANTHROPIC_MODEL, reply, node["start_ns"]),
        "origin": "inferred",
        "unpriced_reason": None,
        "duplicate_of": None,
    }


def _expected_costs(facts: dict[str, dict[str, Any]]) -> dict[str, Decimal]:
    """Each call's cost computed by hand from the price sheet, by function id."""
    expected = {}
    for function_id, (_model, reply, usage, _function, _prompt) in OPENAI_CALLS.items():
        llm = facts[function_id]["tree"]["spans"][-1]
        expected[function_id] = openai_call(llm, model=str(reply.model), usage=usage)["cost"]
    for function_id, anthropic_reply in ANTHROPIC_CALLS.items():
        llm = facts[function_id]["tree"]["spans"][-1]
        expected[function_id] = anthropic_cost(ANTHROPIC_MODEL, anthropic_reply, llm["start_ns"])
    llm = facts["anthropic-cache-write-1h"]["tree"]["spans"][-1]
    expected["anthropic-cache-write-1h"] = anthropic_cost(ANTHROPIC_MODEL, WRITE_1H, llm["start_ns"])
    asking, answering = _tool_calls(facts["openai-tool"]["tree"])
    expected["openai-tool"] = asking["cost"] + answering["cost"]
    return expected


def _tool_calls(tree: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the two provider calls of the tool round trip must be, from their spans in ``tree``."""
    asking, answering = [node for node in tree["spans"] if node["kind"] == "llm"]
    return (
        openai_call(asking, model=GPT_4O_MINI, usage={"input": 1150, "output": 20, "cache_read": 1024}),
        openai_call(answering, model=GPT_4O_MINI, usage={"input": 1190, "output": 12, "cache_read": 1152}),
    )


# The tests.


@TELEMETRY
def test_openai_calls_are_priced_once_on_the_provider_call_with_cache_reads_and_reasoning(
    app: App, server: LiveServer, telemetry: str
) -> None:
    facts = app(telemetry)

    rows = trace_rows(server)
    for function_id, (model, reply, usage, function, prompt) in OPENAI_CALLS.items():
        fact = facts[function_id]
        tree = fact["tree"]
        agent, *_, llm = _chain(tree, telemetry, function, model)
        # What the SDK returned to the app is the provider's count.
        assert (fact["usage"]["inputTokens"], fact["usage"]["outputTokens"]) == (
            usage["input"],
            usage["output"],
        )
        assert fact["text"] == reply.text

        expected = openai_call(llm, model=str(reply.model), usage=usage)
        assert priced_facts(llm) == expected, function_id
        assert (llm["provider"], llm["request_model"]) == ("openai", model)
        assert (agent["kind"], agent["provider"], agent["request_model"]) == ("agent", "openai", model)
        assert prompt in llm["input"] and str(reply.text) in llm["output"]
        assert prompt in agent["input"] and str(reply.text) in agent["output"]
        _summed_usage_kept_raw(agent, telemetry, usage)
        # Counted once: the trace, the SDK call's subtree and the trace's row all state the call's cost.
        assert Decimal(tree["cost"]) == Decimal(agent["subtree_cost"]["total"]) == expected["cost"]
        assert nonzero(agent["subtree_usage"]) == usage
        row = rows[fact["trace_id"]]
        assert Decimal(row["cost"]) == expected["cost"]
        assert nonzero(row["usage"]) == usage
        assert row["unpriced_count"] == 0
        if telemetry == "legacy":
            assert row["name"] == function_id  # ai.telemetry.functionId names the trace

    # Cache reads at the cache-read rate, the rest of the input at the input rate; reasoning is output.
    reasoning = facts["openai-reasoning"]["tree"]["spans"][-1]
    prices = per_mtok("o4-mini", "openai", reasoning["start_ns"])
    assert {key: Decimal(value) for key, value in reasoning["cost"]["by_type"].items()} == {
        "input": 464 * prices["input_mtok"] / MTOK,
        "cache_read": 1536 * prices["cache_read_mtok"] / MTOK,
        "output": 900 * prices["output_mtok"] / MTOK,
    }


@TELEMETRY
def test_anthropic_cache_write_then_read_are_each_priced_at_their_own_rate(
    app: App, server: LiveServer, anthropic_api: AnthropicAPI, telemetry: str
) -> None:
    facts = app(telemetry)

    # The system prompt was sent with Anthropic's cache_control, both times.
    for request in anthropic_api.requests[:2]:
        assert request.body["system"][0]["cache_control"] == {"type": "ephemeral"}
    rows = trace_rows(server)
    for function_id, reply in ANTHROPIC_CALLS.items():
        fact = facts[function_id]
        tree = fact["tree"]
        agent, *_, llm = _chain(tree, telemetry, "generateText", ANTHROPIC_MODEL)
        usage = anthropic_usage(reply)
        # v6 and later: the SDK's inputTokens is the whole input, the cache parts included.
        assert fact["usage"]["inputTokens"] == usage["input"]

        expected = _anthropic_call(llm, reply)
        assert priced_facts(llm) == expected, function_id
        assert (llm["provider"], llm["request_model"]) == ("anthropic", ANTHROPIC_MODEL)
        assert (agent["kind"], agent["provider"]) == ("agent", "anthropic")
        assert "Is it sunny in Lisbon?" in llm["input"] and str(reply.text) in llm["output"]
        _summed_usage_kept_raw(agent, telemetry, usage)
        assert Decimal(tree["cost"]) == Decimal(agent["subtree_cost"]["total"]) == expected["cost"]
        row = rows[fact["trace_id"]]
        assert Decimal(row["cost"]) == expected["cost"]
        assert nonzero(row["usage"]) == usage

    writer = facts["anthropic-cache-write"]["tree"]["spans"][-1]
    reader = facts["anthropic-cache-read"]["tree"]["spans"][-1]
    prices = per_mtok(ANTHROPIC_MODEL, "anthropic", writer["start_ns"])
    assert {key: Decimal(value) for key, value in writer["cost"]["by_type"].items()} == {
        "input": 12 * prices["input_mtok"] / MTOK,
        "cache_write": 2048 * prices["cache_write_mtok"] / MTOK,
        "output": 40 * prices["output_mtok"] / MTOK,
    }
    assert {key: Decimal(value) for key, value in reader["cost"]["by_type"].items()} == {
        "input": 7 * prices["input_mtok"] / MTOK,
        "cache_read": 2048 * prices["cache_read_mtok"] / MTOK,
        "output": 30 * prices["output_mtok"] / MTOK,
    }


@TELEMETRY
def test_one_hour_cache_writes_are_priced_at_the_one_hour_rate(
    app: App, server: LiveServer, anthropic_api: AnthropicAPI, telemetry: str
) -> None:
    facts = app(telemetry)

    assert anthropic_api.requests[2].body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    fact = facts["anthropic-cache-write-1h"]
    agent, *_, llm = _chain(fact["tree"], telemetry, "generateText", ANTHROPIC_MODEL)
    # The SDK's usage has no 1-hour count: Anthropic's usage object (the 5-minute and 1-hour split) is in
    # the call's provider metadata.
    assert fact["usage"]["inputTokenDetails"]["cacheWriteTokens"] == 2048
    expected = _anthropic_call(llm, WRITE_1H)
    assert expected["usage"] == {"input": 2068, "output": 25, "cache_write": 2048, "cache_write_1h": 2048}
    prices = per_mtok(ANTHROPIC_MODEL, "anthropic", llm["start_ns"])
    assert (
        expected["cost"]
        == (20 * prices["input_mtok"] + 2048 * prices["cache_write_1h_mtok"] + 25 * prices["output_mtok"])
        / MTOK
    )
    assert {key: llm["usage"].get(key) for key in expected["usage"]} == expected["usage"]
    assert Decimal(llm["cost"]["total"]) == expected["cost"]
    assert Decimal(fact["tree"]["cost"]) == expected["cost"]
    _summed_usage_kept_raw(agent, telemetry, expected["usage"])


@TELEMETRY
def test_tool_round_trip_is_two_priced_calls_around_a_tool_span_under_one_sdk_call(
    app: App, server: LiveServer, telemetry: str
) -> None:
    facts = app(telemetry)

    fact = facts["openai-tool"]
    tree = fact["tree"]
    nodes = tree["spans"]
    # Legacy: the provider calls are children of the SDK call, and the tool runs in the context of the
    # call that asked for it (its child). GenAI: each round is a step, holding its call and its tools.
    if telemetry == "legacy":
        assert [(node["name"], node["kind"]) for node in nodes] == [
            ("ai.generateText", "agent"),
            ("ai.generateText.doGenerate", "llm"),
            ("ai.toolCall", "tool"),
            ("ai.generateText.doGenerate", "llm"),
        ]
        agent, asking, tool, answering = nodes
        parents = [agent, asking, agent]
    else:
        assert [node["name"] for node in nodes] == [
            "invoke_agent gpt-4o-mini",
            "step 1",
            "chat gpt-4o-mini",
            "execute_tool get_weather",
            "step 2",
            "chat gpt-4o-mini",
        ]
        agent, first, asking, tool, second, answering = nodes
        assert [node["kind"] for node in (agent, asking, tool, answering)] == ["agent", "llm", "tool", "llm"]
        assert [first["usage"], second["usage"]] == [{}, {}]
        parents = [agent, first, first, agent, second]
    assert [node["parent_span_id"] for node in nodes[1:]] == [node["span_id"] for node in parents]

    first_call, second_call = _tool_calls(tree)
    assert priced_facts(asking) == first_call
    assert priced_facts(answering) == second_call
    assert WEATHER.id in asking["output"] and "get_weather" in asking["output"]
    assert WEATHER.id in answering["input"] and "sunny" in answering["input"]
    assert tool["input"] == '{"city":"Paris"}'
    assert json.loads(tool["output"]) == "sunny"  # the JSON of what the tool returned
    assert tool["usage"] == {} and tool["cost"]["total"] in ("0", None)
    # The SDK call states the usage of both steps; it stays raw and the trace counts each call once.
    usage = {"input": 2340, "output": 32, "cache_read": 2176}
    assert fact["usage"]["inputTokens"] == 2340 and fact["text"] == TOOL_ANSWER.text
    _summed_usage_kept_raw(agent, telemetry, usage)
    assert Decimal(tree["cost"]) == first_call["cost"] + second_call["cost"]
    assert Decimal(agent["subtree_cost"]["total"]) == Decimal(tree["cost"])
    row = trace_rows(server)[fact["trace_id"]]
    assert Decimal(row["cost"]) == first_call["cost"] + second_call["cost"]
    assert nonzero(row["usage"]) == usage
    assert not [node["span_id"] for node in nodes if node["duplicate_of"]]


@TELEMETRY
def test_session_and_user_come_from_the_runtime_context_and_the_session_totals_every_call(
    app: App, server: LiveServer, telemetry: str
) -> None:
    facts = app(telemetry)

    expected = _expected_costs(facts)
    rows = trace_rows(server)
    for function_id, fact in facts.items():
        row = rows[fact["trace_id"]]
        assert (row["session_id"], row["user_id"]) == (SESSION, USER), function_id
    response = server.get(f"/api/v1/sessions/{SESSION}")
    assert response.status_code == 200, response.text
    session = response.json()
    assert session["user_id"] == USER
    assert session["trace_count"] == 7
    assert sorted(trace["trace_id"] for trace in session["traces"]) == sorted(
        fact["trace_id"] for fact in facts.values()
    )
    assert Decimal(session["cost"]) == sum(expected.values(), Decimal(0))
    assert nonzero(session["usage"]) == {
        "input": 1200 + 2000 + 300 + 2060 + 2055 + 2068 + 1150 + 1190,
        "output": 80 + 900 + 40 + 40 + 30 + 25 + 20 + 12,
        "cache_read": 1000 + 1536 + 128 + 2048 + 1024 + 1152,
        "cache_write": 2048 + 2048,
        "cache_write_1h": 2048,
        "reasoning": 768,
    }


@TELEMETRY
def test_a_traces_models_are_the_models_that_served_its_calls(
    app: App, server: LiveServer, telemetry: str
) -> None:
    facts = app(telemetry)

    # The SDK call's span names only the model asked for (an alias); the provider call names both. One
    # call served by one model is one model in the trace's list.
    rows = trace_rows(server)
    served = {
        **{function_id: call[1].model for function_id, call in OPENAI_CALLS.items()},
        **dict.fromkeys([*ANTHROPIC_CALLS, "anthropic-cache-write-1h"], SERVED),
        "openai-tool": GPT_4O_MINI,
    }
    assert {function_id: rows[fact["trace_id"]]["models"] for function_id, fact in facts.items()} == {
        function_id: [model] for function_id, model in served.items()
    }
