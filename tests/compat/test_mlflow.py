"""MLflow tracing (mlflow-tracing 3.17.2): ``mlflow.openai.autolog()`` over the real ``openai`` client and
``@mlflow.trace`` on the app's functions, exported over OTLP to a live server, against the stand-in OpenAI
API. The app runs in its own process (``apps/mlflow_app.py``): MLflow keeps a tracer provider and patches
of its own that the test process could not undo.

MLflow JSON-encodes every attribute value it writes (``mlflow.spanType`` = ``"\\"CHAT_MODEL\\""``, the
app's ``session.id`` = ``"\\"s-1\\""``). Its openai autolog spans state the model that served the call
(``mlflow.llm.model``, from the response), the request's parameters as attributes of their own names
(``model``, ``reasoning_effort``, ``tools``), the whole response (``mlflow.spanOutputs``) and
``mlflow.chat.tokenUsage`` with input (cached included), output and cache reads, but no reasoning and no
``mlflow.llm.provider``; the reasoning count is only in the response.
"""

# ruff: noqa: F811 (the stand-in's pytest fixture is imported, then named by the tests that use it)
from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tests.compat.expected import nonzero, openai_cost
from tests.compat.isolated import run_app
from tests.compat.traces import tree_of

from prices import MTOK, per_mtok
from providers.openai_api import OpenAIAPI, Reply, ToolCall, openai_api  # noqa: F401

if TYPE_CHECKING:
    from conftest import LiveServer

USER = "ana@example.com"
GPT_4O_MINI = "gpt-4o-mini-2024-07-18"
O4_MINI = "o4-mini-2025-04-16"
#: The tool the app offers (``apps/mlflow_app.py``).
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def run(scenario: str, server: LiveServer, openai_api: OpenAIAPI) -> dict[str, Any]:
    """Run the MLflow app's ``scenario``; what it reported (its trace ids, in order, and its answers)."""
    return run_app(
        "mlflow_app.py",
        server_url=server.url,
        stand_in_url=openai_api.url,
        env={
            "MLFLOW_SCENARIO": scenario,
            # What mlflow-tracing needs to export over OTLP (the app's docstring says why).
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": server.url + "/v1/traces",
            "MLFLOW_TRACKING_URI": server.url,  # never contacted: MLflow only needs one set
        },
    )


def trace_row(server: LiveServer, trace_id: str) -> dict[str, Any]:
    rows = server.get("/api/v1/traces", limit=100).json()["traces"]
    (row,) = [row for row in rows if row["trace_id"] == trace_id]
    return row


def llm_facts(node: dict[str, Any]) -> dict[str, Any]:
    """An LLM span of the tree reduced to what normalizing and pricing decided."""
    return {
        "kind": node["kind"],
        "provider": node["provider"],
        "request_model": node["request_model"],
        "response_model": node["response_model"],
        "usage": nonzero(node["usage"]),
        "usage_source": node["usage_source"],
        "usage_parser": node["usage_parser"],
        "cost": None if node["cost"]["total"] is None else Decimal(node["cost"]["total"]),
        "origin": node["cost"]["origin"],
        "unpriced_reason": node["cost"]["unpriced_reason"],
        "price_source": node["cost"]["price_source"],
        "duplicate_of": node["duplicate_of"],
    }


def openai_llm(
    node: dict[str, Any],
    *,
    requested: str,
    served: str,
    usage: dict[str, int],
    from_payload: tuple[str, ...] = (),
    parser: str | None = None,
) -> dict[str, Any]:
    """What :func:`llm_facts` must find for an OpenAI call: ``usage`` read from MLflow's token usage,
    but for the ``from_payload`` parts, which only the response states (read by ``parser``)."""
    return {
        "kind": "llm",
        "provider": "openai",
        "request_model": requested,
        "response_model": served,
        "usage": usage,
        "usage_source": {key: "payload" if key in from_payload else "attribute" for key in usage},
        "usage_parser": parser,
        "cost": openai_cost(served, node["start_ns"], usage),
        "origin": "inferred",
        "unpriced_reason": None,
        "price_source": f"genai-prices:openai/{requested}",
        "duplicate_of": None,
    }


def assert_in_session(server: LiveServer, tree: dict[str, Any], session: str, function: str) -> None:
    """The trace belongs to ``session`` and ``USER`` as the app set them on its root span (the span of its
    ``function``), without the JSON quotes MLflow wrapped them in; what stays raw on the root span is
    MLflow's own bookkeeping."""
    (root,) = [node for node in tree["spans"] if node["parent_span_id"] is None]
    assert (root["session_id"], root["user_id"]) == (session, USER)
    assert root["attributes"] == {
        "mlflow.spanFunctionName": json.dumps(function),
        "mlflow.spanLogLevel": "20",
        "mlflow.traceRequestId": json.dumps(f"tr-{tree['trace_id']}"),
    }
    row = trace_row(server, tree["trace_id"])
    assert (row["session_id"], row["user_id"]) == (session, USER)


def test_chat_completion_with_cached_prompt_tokens_is_priced_at_the_cache_read_rate(
    server: LiveServer, openai_api: OpenAIAPI
) -> None:
    reply = Reply(
        text="Cached prompts are cheaper.",
        model=GPT_4O_MINI,
        prompt_tokens=1200,
        completion_tokens=80,
        cached_tokens=1000,
    )
    openai_api.reply(reply)

    facts = run("cached", server, openai_api)

    assert facts["answers"] == ["Cached prompts are cheaper."]
    (trace_id,) = facts["traces"]
    tree = tree_of(server, trace_id, spans=2)
    assert [(node["name"], node["depth"], node["kind"]) for node in tree["spans"]] == [
        ("turn", 0, "agent"),
        ("Completions", 1, "llm"),
    ]
    root, llm = tree["spans"]
    assert llm["parent_span_id"] == root["span_id"]
    usage = {"input": 1200, "output": 80, "cache_read": 1000}
    expected = openai_llm(llm, requested="gpt-4o-mini", served=GPT_4O_MINI, usage=usage)
    assert llm_facts(llm) == expected
    prices = per_mtok("gpt-4o-mini", "openai", llm["start_ns"])
    assert {key: Decimal(value) for key, value in llm["cost"]["by_type"].items()} == {
        "input": 200 * prices["input_mtok"] / MTOK,
        "cache_read": 1000 * prices["cache_read_mtok"] / MTOK,
        "output": 80 * prices["output_mtok"] / MTOK,
    }
    assert llm["response_id"] == reply.id
    # MLflow's token usage is kept as sent beside the usage read from it.
    assert llm["attributes"]["mlflow.chat.tokenUsage"] == json.dumps(
        {"input_tokens": 1200, "output_tokens": 80, "total_tokens": 1280, "cache_read_input_tokens": 1000}
    )
    # Input and output: the request's arguments and the whole response, as JSON; the app's own span
    # has its function's arguments and its return value.
    assert json.loads(llm["input"])["messages"][1] == {
        "role": "user",
        "content": "Why is a cached prompt cheaper?",
    }
    assert json.loads(llm["output"])["choices"][0]["message"]["content"] == "Cached prompts are cheaper."
    assert (root["input"], root["output"]) == ('{"session": "s-mlflow-chat"}', "Cached prompts are cheaper.")

    assert Decimal(tree["cost"]) == Decimal(root["subtree_cost"]["total"]) == expected["cost"]
    assert nonzero(root["subtree_usage"]) == usage
    assert_in_session(server, tree, "s-mlflow-chat", "ask_with_cached_prompt")
    row = trace_row(server, trace_id)
    assert Decimal(row["cost"]) == expected["cost"]
    assert row["models"] == [GPT_4O_MINI]
    session = server.get("/api/v1/sessions/s-mlflow-chat")
    assert session.status_code == 200, session.text
    assert (session.json()["user_id"], session.json()["trace_count"]) == (USER, 1)
    assert Decimal(session.json()["cost"]) == expected["cost"]


def test_reasoning_tokens_stated_only_in_the_response_are_read_and_priced_as_output(
    server: LiveServer, openai_api: OpenAIAPI
) -> None:
    """Two turns of one session: a chat completion and a Responses API call of ``o4-mini``. MLflow's
    token usage leaves the reasoning out; the response it records has it."""
    openai_api.reply(
        Reply(text="42.", model=O4_MINI, prompt_tokens=500, completion_tokens=900, reasoning_tokens=768),
        Reply(
            text="Answered through the Responses API.",
            model=O4_MINI,
            prompt_tokens=2000,
            completion_tokens=300,
            cached_tokens=1500,
            reasoning_tokens=200,
        ),
    )

    facts = run("reasoning", server, openai_api)

    assert facts["answers"] == ["42.", "Answered through the Responses API."]
    assert openai_api.requests[0].body["reasoning_effort"] == "low"
    thinking, responding = (tree_of(server, trace_id, spans=2) for trace_id in facts["traces"])
    assert [(node["name"], node["kind"]) for node in thinking["spans"]] == [
        ("think", "agent"),
        ("Completions", "llm"),
    ]
    assert [(node["name"], node["kind"]) for node in responding["spans"]] == [
        ("respond", "agent"),
        ("Responses", "llm"),
    ]

    chat = thinking["spans"][1]
    chat_usage = {"input": 500, "output": 900, "reasoning": 768}
    chat_call = openai_llm(
        chat,
        requested="o4-mini",
        served=O4_MINI,
        usage=chat_usage,
        from_payload=("reasoning",),
        parser="genai-prices:openai/chat",
    )
    assert llm_facts(chat) == chat_call
    prices = per_mtok("o4-mini", "openai", chat["start_ns"])
    assert chat_call["cost"] == (500 * prices["input_mtok"] + 900 * prices["output_mtok"]) / MTOK
    # The request's parameters are kept raw, as MLflow wrote them; its token usage too.
    assert chat["attributes"]["reasoning_effort"] == '"low"'
    assert json.loads(chat["attributes"]["mlflow.chat.tokenUsage"]) == {
        "input_tokens": 500,
        "output_tokens": 900,
        "total_tokens": 1400,
        "cache_read_input_tokens": 0,
    }

    response = responding["spans"][1]
    response_usage = {"input": 2000, "output": 300, "cache_read": 1500, "reasoning": 200}
    response_call = openai_llm(
        response,
        requested="o4-mini",
        served=O4_MINI,
        usage=response_usage,
        from_payload=("reasoning",),
        parser="genai-prices:openai/responses",
    )
    assert llm_facts(response) == response_call
    assert json.loads(response["input"]) == {
        "model": "o4-mini",
        "input": "Use the Responses API.",
        "instructions": "Be brief.",
    }
    assert "Answered through the Responses API." in response["output"]

    for tree, call, function in ((thinking, chat_call, "think"), (responding, response_call, "respond")):
        assert Decimal(tree["cost"]) == call["cost"]
        assert_in_session(server, tree, "s-mlflow-reasoning", function)
    assert nonzero(trace_row(server, thinking["trace_id"])["usage"]) == chat_usage
    session = server.get("/api/v1/sessions/s-mlflow-reasoning")
    assert session.status_code == 200, session.text
    assert [trace["trace_id"] for trace in session.json()["traces"]] == facts["traces"]
    assert session.json()["user_id"] == USER
    assert Decimal(session.json()["cost"]) == chat_call["cost"] + response_call["cost"]
    assert session.json()["usage"] == {
        "input": 2500,
        "output": 1200,
        "cache_read": 1500,
        "reasoning": 968,
    }


def test_tool_span_between_two_priced_calls(server: LiveServer, openai_api: OpenAIAPI) -> None:
    """The model asks for ``get_weather``; the app runs it in an ``@mlflow.trace(span_type="TOOL")``
    function and asks again, with most of the longer prompt cached."""
    call = ToolCall("get_weather", {"city": "Paris"})
    openai_api.reply(
        Reply(text=None, tool_calls=[call], model=GPT_4O_MINI, prompt_tokens=150, completion_tokens=20),
        Reply(
            text="It is sunny in Paris.",
            model=GPT_4O_MINI,
            prompt_tokens=1190,
            completion_tokens=12,
            cached_tokens=1024,
        ),
    )

    facts = run("tool", server, openai_api)

    assert facts["answers"] == ["It is sunny in Paris."]
    (trace_id,) = facts["traces"]
    tree = tree_of(server, trace_id, spans=4)
    assert [(node["name"], node["depth"], node["kind"]) for node in tree["spans"]] == [
        ("weather", 0, "agent"),
        ("Completions", 1, "llm"),
        ("get_weather", 1, "tool"),
        ("Completions", 1, "llm"),
    ]
    root, asking, tool, answering = tree["spans"]
    assert asking["start_ns"] < tool["start_ns"] < answering["start_ns"]

    first = openai_llm(
        asking, requested="gpt-4o-mini", served=GPT_4O_MINI, usage={"input": 150, "output": 20}
    )
    second = openai_llm(
        answering,
        requested="gpt-4o-mini",
        served=GPT_4O_MINI,
        usage={"input": 1190, "output": 12, "cache_read": 1024},
    )
    assert llm_facts(asking) == first
    assert llm_facts(answering) == second
    tool_call = json.loads(asking["output"])["choices"][0]["message"]["tool_calls"][0]
    assert (tool_call["id"], tool_call["function"]["name"]) == (call.id, "get_weather")
    assert {"role": "tool", "tool_call_id": call.id, "content": "sunny"} in json.loads(answering["input"])[
        "messages"
    ]
    # The tools offered are kept raw: MLflow's own list, and the request's ``tools`` parameter.
    assert json.loads(asking["attributes"]["mlflow.chat.tools"]) == [WEATHER_TOOL]
    assert json.loads(asking["attributes"]["tools"]) == [WEATHER_TOOL]

    assert (tool["input"], tool["output"]) == ('{"city": "Paris"}', "sunny")
    assert tool["cost"]["total"] == "0" and tool["cost"]["unpriced_reason"] is None

    assert Decimal(tree["cost"]) == first["cost"] + second["cost"] == Decimal(root["subtree_cost"]["total"])
    assert_in_session(server, tree, "s-mlflow-tool", "weather")
    session = server.get("/api/v1/sessions/s-mlflow-tool")
    assert session.status_code == 200, session.text
    assert Decimal(session.json()["cost"]) == first["cost"] + second["cost"]
