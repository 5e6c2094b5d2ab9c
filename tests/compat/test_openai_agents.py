"""The OpenAI Agents SDK traced by openinference-instrumentation-openai-agents: an agent with a function
tool, run with ``Runner.run_sync`` against the stand-in OpenAI Responses API, exported over OTLP to a live
server.

The app (``apps/openai_agents_app.py``) runs in its own process: the instrumentor replaces the SDK's
process-wide trace processors. Its two model calls (a tool call, then the answer) are gpt-5-mini with
cached input and reasoning, so a cached token priced as input, or reasoning counted twice, shows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from tests.compat.expected import named, nonzero, openai_call, priced_facts
from tests.compat.isolated import run_app
from tests.compat.traces import only_trace, shape

from prices import MTOK, per_mtok
from providers import openai_api as stand_in
from providers.openai_api import OpenAIAPI, Reply, ToolCall

if TYPE_CHECKING:
    from conftest import LiveServer

openai_api = stand_in.openai_api  # the stand-in OpenAI API, as this module's fixture

#: Each test runs the app in a new process, and importing the Agents SDK alone takes seconds.
pytestmark = pytest.mark.slow

#: What the app sets (apps/openai_agents_app.py).
SESSION, USER, GROUP, TICKET = "s-agents", "ana@example.com", "thread-agents-1", "T-1001"
#: The model the stand-in says served the app's ``gpt-5-mini`` calls.
GPT_5_MINI = "gpt-5-mini-2025-08-07"

#: The first call asks for the tool, the second answers from its output; both read most of the prompt
#: from the cache and reason before answering.
ASKING = {"input": 1800, "output": 220, "cache_read": 1536, "reasoning": 192}
ANSWERING = {"input": 2100, "output": 90, "cache_read": 1792, "reasoning": 64}

#: The spans of one agent run, depth-first: (name, parent's name, kind). The SDK's trace is the
#: OpenInference root ``Weather workflow``; ``Agent workflow`` is the run (the SDK's task span), each
#: ``turn`` one pass of the agent loop.
AGENT_RUN = [
    ("Weather workflow", None, "agent"),
    ("Agent workflow", "Weather workflow", "chain"),
    ("Weather agent", "Agent workflow", "agent"),
    ("turn", "Weather agent", "chain"),
    ("response", "turn", "llm"),
    ("get_weather", "turn", "tool"),
    ("turn", "Weather agent", "chain"),
    ("response", "turn", "llm"),
]


ASKING_REPLY = Reply(
    text=None,
    tool_calls=[ToolCall("get_weather", {"city": "Paris"})],
    model=GPT_5_MINI,
    prompt_tokens=ASKING["input"],
    completion_tokens=ASKING["output"],
    cached_tokens=ASKING["cache_read"],
    reasoning_tokens=ASKING["reasoning"],
)
ANSWERING_REPLY = Reply(
    text="It is sunny in Paris.",
    model=GPT_5_MINI,
    prompt_tokens=ANSWERING["input"],
    completion_tokens=ANSWERING["output"],
    cached_tokens=ANSWERING["cache_read"],
    reasoning_tokens=ANSWERING["reasoning"],
)


def _run(
    server: LiveServer,
    openai_api: OpenAIAPI,
    session: str,
    *,
    api: str = "responses",
    instrument_openai: bool = False,
    replies: tuple[Reply, ...] = (ASKING_REPLY, ANSWERING_REPLY),
) -> dict[str, Any]:
    """Run the app: ``session`` is how it sets the session (``context`` or ``root-span``), ``api`` the
    model API the agent calls, ``instrument_openai`` whether the openai client is instrumented too; the
    stand-in answers ``replies`` in turn, then refuses (400)."""
    openai_api.reply(*replies)
    env = {"COMPAT_AGENTS_SESSION": session, "COMPAT_AGENTS_API": api}
    if instrument_openai:
        env["COMPAT_AGENTS_INSTRUMENT_OPENAI"] = "1"
    facts = run_app("openai_agents_app.py", server_url=server.url, stand_in_url=openai_api.url, env=env)
    assert openai_api.pending == 0
    return facts


def _cost_by_type(model: str, when_ns: int, usage: dict[str, int]) -> dict[str, Decimal]:
    """OpenAI's bill by type: uncached input, cached input at the cache-read rate, all output (reasoning
    included) at the output rate."""
    prices = per_mtok(model, "openai", when_ns)
    return {
        "input": (usage["input"] - usage["cache_read"]) * prices["input_mtok"] / MTOK,
        "cache_read": usage["cache_read"] * prices["cache_read_mtok"] / MTOK,
        "output": usage["output"] * prices["output_mtok"] / MTOK,
    }


def _assert_priced_calls(tree: dict[str, Any]) -> Decimal:
    """Both model calls priced once, by hand from the price sheet; returns their sum."""
    asking, answering = named(tree, "response")
    total = Decimal(0)
    for call, usage in ((asking, ASKING), (answering, ANSWERING)):
        expected = openai_call(call, model=GPT_5_MINI, usage=usage)
        assert priced_facts(call) == expected
        by_type = _cost_by_type("gpt-5-mini", call["start_ns"], usage)
        assert {key: Decimal(value) for key, value in call["cost"]["by_type"].items()} == by_type
        assert expected["cost"] == sum(by_type.values())
        assert call["cost"]["price_source"] == "genai-prices:openai/gpt-5-mini"
        total += expected["cost"]
    # The agent, the run and its turns count nothing themselves: only the two calls are priced.
    for node in tree["spans"]:
        if node["kind"] != "llm":
            assert nonzero(node["usage"]) == {}, node["name"]
            assert node["cost"]["total"] == "0", node["name"]
            assert node["cost"]["unpriced_reason"] is None, node["name"]
    return total


def test_agent_run_with_a_tool_is_two_priced_calls_with_the_session_from_openinference_context(
    server: LiveServer, openai_api: OpenAIAPI
) -> None:
    """The agent asks for the tool, runs it, answers: two ``response`` spans priced at the cache-read rate
    for their cached input, the tool span between them, and the session and user (set with OpenInference's
    ``using_session`` / ``using_user``) on every span. The SDK's ``group_id`` is no session: it reaches no
    span at all."""
    facts = _run(server, openai_api, "context")

    assert facts["final_output"] == "It is sunny in Paris."
    tree = only_trace(server, spans=len(AGENT_RUN))
    assert shape(tree) == AGENT_RUN
    total = _assert_priced_calls(tree)

    asking, answering = named(tree, "response")
    (tool,) = named(tree, "get_weather")
    assert "get_weather" in asking["output"] and "Paris" in asking["output"]
    assert "What's the weather in Paris?" in asking["input"]
    assert "sunny in Paris" in answering["input"]
    assert "It is sunny in Paris." in answering["output"]
    assert (tool["input"], tool["output"]) == ('{"city": "Paris"}', "sunny in Paris")
    assert asking["start_ns"] < tool["start_ns"] < answering["start_ns"]

    # Totals: the trace, its root's subtree, its row and the session.
    (root,) = named(tree, "Weather workflow")
    usage = {key: ASKING[key] + ANSWERING[key] for key in ASKING}
    assert Decimal(tree["cost"]) == Decimal(root["subtree_cost"]["total"]) == total
    assert nonzero(root["subtree_usage"]) == usage
    (row,) = server.get("/api/v1/traces", limit=10).json()["traces"]
    assert (row["session_id"], row["user_id"]) == (SESSION, USER)
    assert Decimal(row["cost"]) == total
    assert nonzero(row["usage"]) == usage
    assert row["models"] == [GPT_5_MINI]
    session = server.get(f"/api/v1/sessions/{SESSION}").json()
    assert Decimal(session["cost"]) == total

    # OpenInference's using_session, using_user, using_metadata and using_tags put theirs on every span the
    # instrumentation starts.
    for node in tree["spans"]:
        assert (node["session_id"], node["user_id"]) == (SESSION, USER), node["name"]
        assert (node["metadata"], node["tags"]) == ({"customer": "acme"}, ["weather"]), node["name"]
    # The SDK's own trace(group_id=..., metadata=...) reaches no span: OpenInference writes neither.
    assert facts["agents_trace_id"].startswith("trace_")
    # The instrumentor replaced the SDK's trace processors: nothing is exported to OpenAI's platform.
    assert facts["trace_processors"] == ["OpenInferenceTracingProcessor"]
    for node in tree["spans"]:
        for where in ("attributes", "metadata", "input", "output"):
            assert GROUP not in str(node[where]) and TICKET not in str(node[where]), (node["name"], where)


def test_agent_run_inside_the_apps_span_takes_its_session_and_user_from_there(
    server: LiveServer, openai_api: OpenAIAPI
) -> None:
    """Without OpenInference's context managers, the app's own root span carries the session and the user:
    the SDK's trace is its child, and the trace takes them from there."""
    facts = _run(server, openai_api, "root-span")
    assert facts["final_output"] == "It is sunny in Paris."

    tree = only_trace(server, spans=len(AGENT_RUN) + 1)
    assert tree["trace_id"] == facts["trace_id"]
    conversation = ("conversation", None, "other")
    assert shape(tree) == [
        conversation,
        *[(name, parent or "conversation", kind) for name, parent, kind in AGENT_RUN],
    ]
    total = _assert_priced_calls(tree)
    (root,) = named(tree, "conversation")
    assert Decimal(tree["cost"]) == Decimal(root["subtree_cost"]["total"]) == total
    (row,) = server.get("/api/v1/traces", limit=10).json()["traces"]
    assert (row["session_id"], row["user_id"]) == (SESSION, USER)
    session = server.get(f"/api/v1/sessions/{SESSION}").json()
    assert Decimal(session["cost"]) == total


#: The span each layer writes for one model call: the Agents SDK's (outer) and the openai client's
#: (inner), by the model API the agent calls.
LAYERS = {"responses": ("response", "Response"), "chat_completions": ("generation", "ChatCompletion")}


@pytest.mark.parametrize("api", list(LAYERS))
def test_agent_run_with_the_openai_client_instrumented_too_counts_each_call_once(
    server: LiveServer, openai_api: OpenAIAPI, api: str
) -> None:
    """Instrumenting the ``openai`` client as well gives each model call a second span inside the SDK's.
    The inner span, the client's, reports the whole usage (cached input and reasoning, in Chat Completions
    mode too, where the SDK's ``generation`` span states input and output only): it is the one counted, the
    SDK's span is marked the same call."""
    facts = _run(server, openai_api, "context", api=api, instrument_openai=True)
    assert facts["final_output"] == "It is sunny in Paris."

    outer_name, inner_name = LAYERS[api]
    tree = only_trace(server, spans=len(AGENT_RUN) + 2)
    layered = []
    for name, parent, kind in AGENT_RUN:
        layered.append((outer_name if name == "response" else name, parent, kind))
        if name == "response":
            layered.append((inner_name, outer_name, "llm"))
    assert shape(tree) == layered

    total = Decimal(0)
    for outer, inner, usage in zip(
        named(tree, outer_name), named(tree, inner_name), (ASKING, ANSWERING), strict=True
    ):
        one_call = openai_call(inner, model=GPT_5_MINI, usage=usage)
        assert priced_facts(inner) == one_call
        assert inner["duplicate_of"] is None and inner["duplicate_reason"] is None
        assert outer["duplicate_of"] == inner["span_id"]
        assert outer["duplicate_reason"]
        total += one_call["cost"]
    assert Decimal(tree["cost"]) == total
    (root,) = named(tree, "Weather workflow")
    assert nonzero(root["subtree_usage"]) == {key: ASKING[key] + ANSWERING[key] for key in ASKING}
    (row,) = server.get("/api/v1/traces", limit=10).json()["traces"]
    assert (row["session_id"], row["user_id"]) == (SESSION, USER)
    assert Decimal(row["cost"]) == total
    assert Decimal(server.get(f"/api/v1/sessions/{SESSION}").json()["cost"]) == total


def test_a_refused_model_call_fails_the_run_and_is_billed_nothing(
    server: LiveServer, openai_api: OpenAIAPI
) -> None:
    """The second model call is refused (400): the run fails. The first call is priced; the refused one
    is a failed call (no usage, a cost of 0 and no unpriced reason), the error on it and on the agent."""
    facts = _run(server, openai_api, "context", replies=(ASKING_REPLY,))

    assert facts["error"].startswith("BadRequestError: Error code: 400")
    tree = only_trace(server, spans=len(AGENT_RUN))
    assert shape(tree) == AGENT_RUN
    asking, refused = named(tree, "response")
    one_call = openai_call(asking, model=GPT_5_MINI, usage=ASKING)
    assert priced_facts(asking) == one_call
    assert refused["status"] == "error"
    assert "no scripted reply left" in refused["error"]["message"]
    assert nonzero(refused["usage"]) == {}
    assert refused["cost"] == {
        "total": "0",
        "by_type": {},
        "origin": None,
        "unpriced_reason": None,
        "price_source": "failed_call",
    }
    (agent,) = named(tree, "Weather agent")
    assert agent["status"] == "error"
    assert Decimal(tree["cost"]) == one_call["cost"]
    (row,) = server.get("/api/v1/traces", limit=10).json()["traces"]
    assert row["unpriced_count"] == 0
    assert row["error_count"] == tree["error_count"] == 2
