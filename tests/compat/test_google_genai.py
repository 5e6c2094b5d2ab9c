"""The ``google-genai`` SDK on the Gemini Developer API, traced by either of its two instrumentations
(``apps/google_genai_app.py``), exporting over OTLP to a live server; the stand-in Gemini API answers.

- ``openinference-instrumentation-google-genai`` writes OpenInference ``llm.*`` attributes, its provider
  ``llm.provider = "google"``, its model the response's ``modelVersion`` only; with
  ``OPENINFERENCE_ENABLE_GENAI_SEMCONV=true`` it adds GenAI names, ``gen_ai.provider.name = "gcp.gen_ai"``
  among them (run as a third configuration, ``openinference+genai``);
- the OpenTelemetry contrib ``opentelemetry-instrumentation-google-genai`` writes GenAI ``gen_ai.*``
  attributes through ``opentelemetry-util-genai`` (scope ``opentelemetry.util.genai.handler``), its
  provider ``gen_ai.provider.name = "gemini"`` (a deprecated ``gen_ai.system`` value, for
  ``gcp.gemini``), and, with ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=span_only``, the
  messages.

One API, one provider: all are ``gcp.gemini``, priced from genai-prices' ``google`` prices. Gemini's
``promptTokenCount`` includes the cached content, and ``thoughtsTokenCount`` is billed as output beside
``candidatesTokenCount``: both instrumentations already add thinking into output.

Gemini bills no cache writes per call (an explicit context cache is billed for its storage per hour), so
the scenarios have cache reads and thinking, no cache writes.

Known limit, of the SDK itself: automatic function calling (a Python function as a tool) makes several
model requests inside one ``generate_content``, and the SDK's response (and so each instrumentation's one
span) states only the last response's usage. The requests before it are not on any span; tokentrail must
say that the span's usage is incomplete.

Known limit of the OpenTelemetry instrumentation: it reads ``promptTokenCount`` but not
``toolUsePromptTokenCount`` (the prompt of a built-in tool such as code execution or Google Search,
billed as input), so such a call's input is short; OpenInference adds it in.

Each configuration runs once, in its own process (both libraries patch the SDK's classes for good),
against its own server: four turns of one session, each in the app's root span ``turn`` with
``session.id`` and ``user.id``.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import pytest
from tests.compat.expected import (
    gemini_call,
    gemini_cost,
    gemini_usage,
    nonzero,
    priced_facts,
    trace_row,
)
from tests.compat.isolated import run_app
from tests.compat.traces import one, shape

from conftest import LiveServer, start_server
from prices import MTOK, per_mtok
from providers.gemini_api import APIError, FunctionCall, GeminiAPI, Reply, serve_gemini
from tokentrail.store.database import Store

SESSION = "s-genai"
USER = "ana@example.com"
MODEL = "gemini-2.5-flash"

#: The turns' calls, in order, and the stand-in's answer to each.
ASK = Reply(
    text="Cached prompts skip recomputation.",
    thought="The user asks why a cached prompt costs less.",
    model_version=MODEL,
    prompt_tokens=4000,
    cached_tokens=3000,
    candidates_tokens=120,
    thoughts_tokens=480,
)
STREAM = Reply(
    text="Streamed, chunk by chunk.",
    model_version=MODEL,
    prompt_tokens=900,
    cached_tokens=512,
    candidates_tokens=40,
    thoughts_tokens=64,
)
#: Automatic function calling: the model asks for the function, the SDK runs it and asks again.
ASKS_FOR_TOOL = Reply(
    text=None,
    function_calls=[FunctionCall("get_weather", {"city": "Lisbon"})],
    model_version=MODEL,
    prompt_tokens=300,
    candidates_tokens=12,
    thoughts_tokens=30,
)
ANSWERS_WITH_TOOL = Reply(
    text="Yes, it is sunny in Lisbon.",
    model_version=MODEL,
    prompt_tokens=360,
    cached_tokens=256,
    candidates_tokens=20,
)
#: The built-in code execution tool: the API counts its tool-use prompt apart from the prompt.
CODE = Reply(
    text="The sum is 5050.",
    model_version=MODEL,
    prompt_tokens=150,
    tool_use_prompt_tokens=200,
    candidates_tokens=30,
    thoughts_tokens=16,
)
FAILS = APIError(400, "Request contains an invalid argument.")
TURNS = ("ask", "stream", "tools", "code", "error")


@dataclass(frozen=True)
class Emitter:
    """What one instrumentation writes, as read from its source and a run."""

    #: ``GENAI_INSTRUMENTATION`` for the app.
    name: str
    #: The instrumentation scope of its spans.
    scope: str
    #: Its LLM span for ``generate_content`` and for ``generate_content_stream``.
    call: str
    stream: str
    #: The span the SDK runs an automatically called function in (``None``: the function has none).
    tool: str | None
    #: The raw attribute naming the provider, and its value.
    provider: dict[str, str]
    #: Whether it records the requested model (else only the response's ``modelVersion``).
    request_model: bool
    #: Whether it records the response id as an attribute.
    response_id: bool
    #: Whether its input count includes ``toolUsePromptTokenCount`` (built-in tools' prompt).
    tool_use_prompt: bool
    #: Its configuration, in the app's environment.
    env: dict[str, str] = field(default_factory=dict)

    @property
    def openinference(self) -> bool:
        return self.scope == "openinference.instrumentation.google_genai"


OPENINFERENCE = Emitter(
    name="openinference",
    scope="openinference.instrumentation.google_genai",
    call="GenerateContent",
    stream="GenerateContentStream",
    tool=None,
    provider={"llm.provider": "google"},
    request_model=False,
    response_id=False,
    tool_use_prompt=True,
)
#: OpenInference with ``OPENINFERENCE_ENABLE_GENAI_SEMCONV=true``: every span also carries GenAI names,
#: converted from its own by ``openinference-instrumentation`` (``_genai_conversion.py``): the provider
#: ``gen_ai.provider.name = "gcp.gen_ai"``, ``gen_ai.request.model`` (the response's model), input, output
#: and cache-read counts but no reasoning count, and ``gen_ai.output.messages`` without the thought part.
OPENINFERENCE_GENAI = replace(
    OPENINFERENCE,
    name="openinference+genai",
    provider={"gen_ai.provider.name": "gcp.gen_ai", "llm.provider": "google"},
    request_model=True,
    env={"OPENINFERENCE_ENABLE_GENAI_SEMCONV": "true"},
)
OPENTELEMETRY = Emitter(
    name="opentelemetry",
    scope="opentelemetry.util.genai.handler",
    call=f"generate_content {MODEL}",
    stream=f"generate_content {MODEL}",
    tool="execute_tool get_weather",
    provider={"gen_ai.provider.name": "gemini"},
    request_model=True,
    response_id=True,
    tool_use_prompt=False,
)


@dataclass
class Run:
    """One instrumentation's app run: what the app reported, the stand-in's requests, the server."""

    emitter: Emitter
    server: LiveServer
    api: GeminiAPI
    facts: dict[str, Any]

    def tree(self, turn: str) -> dict[str, Any]:
        trace_id = self.facts[turn]["trace_id"]
        body: dict[str, Any] = self.server.get(f"/api/v1/traces/{trace_id}").json()
        return body


_databases = itertools.count(1)


@pytest.fixture(
    scope="module",
    params=[OPENINFERENCE, OPENINFERENCE_GENAI, OPENTELEMETRY],
    ids=lambda emitter: emitter.name,
)
def run(
    request: pytest.FixtureRequest, chdb_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Run]:
    """The app run once with this instrumentation, against a server of its own (the tests only read)."""
    emitter: Emitter = request.param
    store = Store(chdb_url, f"google_genai_{os.getpid()}_{next(_databases)}")
    try:
        for server in start_server(store, tmp_path_factory.mktemp(f"genai-{emitter.name}")):
            with serve_gemini() as api:
                api.reply(ASK, STREAM, ASKS_FOR_TOOL, ANSWERS_WITH_TOOL, CODE, FAILS)
                facts = run_app(
                    "google_genai_app.py",
                    server_url=server.url,
                    stand_in_url=api.url,
                    env={
                        "GENAI_INSTRUMENTATION": emitter.name.partition("+")[0],
                        "GENAI_SESSION": SESSION,
                        "GENAI_USER": USER,
                        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "span_only",
                        **emitter.env,
                    },
                )
                assert api.pending == 0
                yield Run(emitter, server, api, facts)
    finally:
        store.client().command(f"DROP DATABASE IF EXISTS {store.database}")
        store.close()


def output_texts(emitter: Emitter, output: str) -> str:
    """The text of an LLM span's output, the answer's pieces joined: OpenTelemetry's messages (one per
    streamed chunk), or OpenInference's response JSON as is."""
    if emitter.openinference:
        return output
    return "".join(part.get("content", "") for message in json.loads(output) for part in message["parts"])


def test_generate_content_with_cached_content_and_thinking_is_priced_per_token_type(run: Run) -> None:
    tree = run.tree("ask")

    assert shape(tree) == [("turn", None, "other"), (run.emitter.call, "turn", "llm")]
    root, llm = one(tree, "turn"), one(tree, run.emitter.call)
    usage = {"input": 4000, "output": 600, "cache_read": 3000, "reasoning": 480}
    assert gemini_usage(ASK) == usage
    expected = gemini_call(llm, model=MODEL, usage=usage)
    assert priced_facts(llm) == expected
    prices = per_mtok(MODEL, "google", llm["start_ns"])
    assert {key: Decimal(value) for key, value in llm["cost"]["by_type"].items()} == {
        "input": 1000 * prices["input_mtok"] / MTOK,
        "cache_read": 3000 * prices["cache_read_mtok"] / MTOK,
        "output": 600 * prices["output_mtok"] / MTOK,
    }
    assert sum(Decimal(value) for value in llm["cost"]["by_type"].values()) == expected["cost"]
    assert llm["cost"]["price_source"] == f"genai-prices:google/{MODEL}"
    assert llm["scope"] == run.emitter.scope
    assert llm["request_model"] == (MODEL if run.emitter.request_model else None)
    assert llm["response_id"] == (ASK.response_id if run.emitter.response_id else None)
    assert llm["usage_incomplete"] is None
    assert "Why is a cached prompt cheaper?" in llm["input"]
    assert "Answer in one sentence." in llm["input"]
    assert "Cached prompts skip recomputation." in llm["output"]
    assert ASK.thought is not None and ASK.thought in llm["output"]
    assert run.facts["ask"]["text"] == "Cached prompts skip recomputation."
    assert Decimal(tree["cost"]) == Decimal(root["subtree_cost"]["total"]) == expected["cost"]
    assert nonzero(root["subtree_usage"]) == usage
    row = trace_row(run, tree["trace_id"])  # type: ignore[arg-type]
    assert (row["session_id"], row["user_id"]) == (SESSION, USER)
    assert row["models"] == [MODEL]
    assert Decimal(row["cost"]) == expected["cost"]


def test_streamed_generate_content_takes_its_usage_from_the_last_chunk(run: Run) -> None:
    tree = run.tree("stream")

    assert run.api.requests[1].path == f"/v1beta/models/{MODEL}:streamGenerateContent"
    assert shape(tree) == [("turn", None, "other"), (run.emitter.stream, "turn", "llm")]
    llm = one(tree, run.emitter.stream)
    usage = {"input": 900, "output": 104, "cache_read": 512, "reasoning": 64}
    assert gemini_usage(STREAM) == usage
    expected = gemini_call(llm, model=MODEL, usage=usage)
    assert priced_facts(llm) == expected
    prices = per_mtok(MODEL, "google", llm["start_ns"])
    by_hand = 388 * prices["input_mtok"] + 512 * prices["cache_read_mtok"] + 104 * prices["output_mtok"]
    assert expected["cost"] == by_hand / MTOK
    assert run.facts["stream"]["text"] == "Streamed, chunk by chunk."
    assert "Stream a short answer." in llm["input"]
    assert "Streamed, chunk by chunk." in output_texts(run.emitter, llm["output"])
    assert Decimal(tree["cost"]) == expected["cost"]


def test_automatic_function_calling_reports_only_the_last_response_and_says_so(run: Run) -> None:
    tree = run.tree("tools")

    # Two model requests: the second sends the function's result back.
    asking, answering = run.api.requests[2:4]
    assert asking.body["contents"] == [{"parts": [{"text": "Is it sunny in Lisbon?"}], "role": "user"}]
    assert answering.body["contents"][-1] == {
        "parts": [{"functionResponse": {"name": "get_weather", "response": {"result": "sunny in Lisbon"}}}],
        "role": "user",
    }
    # The SDK's own answer states only the last response's usage ...
    assert run.facts["tools"]["usage"]["prompt_token_count"] == 360
    emitter = run.emitter
    if emitter.tool is None:
        assert shape(tree) == [("turn", None, "other"), (emitter.call, "turn", "llm")]
    else:
        assert shape(tree) == [
            ("turn", None, "other"),
            (emitter.call, "turn", "llm"),
            (emitter.tool, emitter.call, "tool"),
        ]
        tool = one(tree, emitter.tool)
        assert tool["input"] == (
            '{"code.function.parameters.city.type": "str", "code.function.parameters.city.value": "Lisbon"}'
        )
        assert tool["output"] == '"sunny in Lisbon"'
    llm = one(tree, emitter.call)
    # ... and so does the one LLM span: the first response (300 in, 42 out) is on no span.
    last = {"input": 360, "output": 20, "cache_read": 256}
    assert gemini_usage(ANSWERS_WITH_TOOL) == last
    expected = gemini_call(llm, model=MODEL, usage=last)
    assert priced_facts(llm) == expected
    assert Decimal(tree["cost"]) == expected["cost"]
    missing = gemini_cost(MODEL, llm["start_ns"], gemini_usage(ASKS_FOR_TOOL))
    prices = per_mtok(MODEL, "google", llm["start_ns"])
    assert missing == (300 * prices["input_mtok"] + 42 * prices["output_mtok"]) / MTOK  # billed, on no span
    if emitter.openinference:  # the function call, from the SDK's history, flattened without a message
        assert llm["attributes"]["message.tool_calls.0.tool_call.function.name"] == "get_weather"
        assert llm["attributes"]["message.tool_calls.0.tool_call.function.arguments"] == '{"city": "Lisbon"}'
        history = json.loads(llm["output"])["automatic_function_calling_history"]  # [] without the loop
        assert [content.get("role") for content in history] == [None, "model", "user"]
    else:  # the tool's declaration (without its parameters); the call is the tool span
        (declared,) = json.loads(llm["attributes"]["gen_ai.tool.definitions"])
        assert (declared["name"], declared["parameters"]) == ("get_weather", None)
    if emitter.openinference:  # a span known to state only part of its call's usage says so
        assert "automatic function calling" in llm["usage_incomplete"]
    else:  # the loop shows only in the tree (a tool span below the call): a known limit, documented
        assert llm["usage_incomplete"] is None


def test_a_built_in_tools_prompt_is_input(run: Run) -> None:
    tree = run.tree("code")

    assert run.api.requests[4].body["tools"] == [{"codeExecution": {}}]
    assert run.facts["code"]["usage"]["tool_use_prompt_token_count"] == 200
    assert shape(tree) == [("turn", None, "other"), (run.emitter.call, "turn", "llm")]
    llm = one(tree, run.emitter.call)
    billed = {"input": 350, "output": 46, "reasoning": 16}  # the tool-use prompt is billed as input
    assert gemini_usage(CODE) == billed
    if run.emitter.tool_use_prompt:
        assert priced_facts(llm) == gemini_call(llm, model=MODEL, usage=billed)
        assert llm["usage_incomplete"] is None
        return
    # The OpenTelemetry instrumentation reads promptTokenCount alone: the 200 tool-use tokens are on no
    # attribute. What it reports is priced as reported, and the span says its usage is incomplete.
    reported = {"input": 150, "output": 46, "reasoning": 16}
    assert priced_facts(llm) == gemini_call(llm, model=MODEL, usage=reported)
    assert json.loads(llm["attributes"]["gen_ai.tool.definitions"]) == [
        {"name": "code_execution", "type": "code_execution"}
    ]
    assert llm["usage_incomplete"], "a Gemini call with a built-in tool must be marked incomplete"
    assert "tool" in llm["usage_incomplete"].lower()


def test_a_failed_call_is_an_error_span_without_cost(run: Run) -> None:
    tree = run.tree("error")

    assert run.facts["error"]["error"] == {
        "code": 400,
        "status": "INVALID_ARGUMENT",
        "message": "Request contains an invalid argument.",
    }
    assert shape(tree) == [("turn", None, "other"), (run.emitter.call, "turn", "llm")]
    llm = one(tree, run.emitter.call)
    assert llm["status"] == "error"
    assert llm["provider"] == "gcp.gemini"
    assert "Request contains an invalid argument." in llm["error"]["message"]
    if run.emitter.openinference:  # an exception event
        assert llm["error"]["type"] == "google.genai.errors.ClientError"
        assert "raise_for_response" in llm["error"]["stack"]
    else:  # error.type is the HTTP status; no stack
        assert llm["error"]["type"] == "400"
        assert llm["error"]["stack"] == ""
    assert nonzero(llm["usage"]) == {}
    assert llm["cost"]["unpriced_reason"] is None
    assert Decimal(tree["cost"]) == 0
    assert tree["error_count"] == 1


def test_one_api_is_one_provider_whatever_the_instrumentation_calls_it(run: Run) -> None:
    llm_spans = [span for span in run.facts["spans"] if span["name"] != run.emitter.tool]

    assert len(llm_spans) == 5
    assert {span["scope"] for span in run.facts["spans"]} == {run.emitter.scope}
    assert [span["provider"] for span in llm_spans] == [run.emitter.provider] * 5
    providers = {
        node["provider"] for turn in TURNS for node in run.tree(turn)["spans"] if node["kind"] == "llm"
    }
    assert providers == {"gcp.gemini"}


def test_the_session_adds_up_every_turn(run: Run) -> None:
    trees = [run.tree(turn) for turn in TURNS]
    calls = [node for tree in trees for node in tree["spans"] if node["kind"] == "llm"]

    session = run.server.get(f"/api/v1/sessions/{SESSION}").json()
    assert (session["session_id"], session["user_id"]) == (SESSION, USER)
    assert [trace["trace_id"] for trace in session["traces"]] == [tree["trace_id"] for tree in trees]
    assert session["trace_count"] == 5 and session["error_count"] == 1
    code = gemini_usage(CODE) if run.emitter.tool_use_prompt else {**gemini_usage(CODE), "input": 150}
    known = [gemini_usage(ASK), gemini_usage(STREAM), gemini_usage(ANSWERS_WITH_TOOL), code]
    usage = {key: sum(part.get(key, 0) for part in known) for key in known[0]}
    assert usage == {"input": 5260 + code["input"], "output": 770, "cache_read": 3768, "reasoning": 560}
    assert nonzero(session["usage"]) == usage
    priced = zip(calls[:4], known, strict=True)  # the failed call reported nothing
    cost = sum((gemini_cost(MODEL, node["start_ns"], part) for node, part in priced), Decimal(0))
    assert Decimal(session["cost"]) == cost == sum((Decimal(tree["cost"]) for tree in trees), Decimal(0))
