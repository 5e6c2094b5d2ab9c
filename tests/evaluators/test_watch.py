"""Online evaluation of traces an application sends through a real instrumentation (the OpenTelemetry SDK
with opentelemetry-instrumentation-openai-v2 over the real ``openai`` client and a stand-in OpenAI API) to a
live server: the watch judges the new quiet traces with a stand-in judge, in its sample, within its budget."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from conftest import LiveServer, start_server
from judge_server import JudgeAPI, serve_judge, verdict
from otlp_builders import new_trace_id, protobuf_request, span
from prices import MTOK, per_mtok
from providers.openai_api import OpenAIAPI, Reply, serve_openai
from tokentrail.store.database import Store

JUDGE_INPUT, JUDGE_OUTPUT = 1000, 100


class App:
    """A support bot: each question is a trace (a root span over an instrumented chat completion)."""

    def __init__(self, server: LiveServer, openai_api: OpenAIAPI) -> None:
        self.provider = TracerProvider(resource=Resource.create({"service.name": "support-bot"}))
        self.provider.add_span_processor(
            SimpleSpanProcessor(OTLPSpanExporter(endpoint=server.url + "/v1/traces"))
        )
        self.client = openai_api.client()
        self.openai_api = openai_api
        self.server = server

    def ask(self, question: str) -> str:
        self.openai_api.reply(Reply(text=f"answer to {question}", prompt_tokens=50, completion_tokens=10))
        tracer = self.provider.get_tracer("support-bot")
        with tracer.start_as_current_span("answer", attributes={"input.value": question}) as root:
            reply = self.client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
            )
            root.set_attribute("output.value", reply.choices[0].message.content or "")
        return format(root.get_span_context().trace_id, "032x")

    def ask_many(self, count: int) -> list[str]:
        traces = [self.ask(f"question {n}") for n in range(count)]
        self.provider.force_flush()
        self.server.settle()
        return traces


@pytest.fixture
def app(store: Store, tmp_path: Path) -> Iterator[tuple[App, JudgeAPI]]:
    """A server whose watch runs only when a test says (``check()``), the app, and the stand-in judge."""
    instrumentor = OpenAIInstrumentor()
    with serve_openai() as openai_api, serve_judge() as judge:
        for server in start_server(store, tmp_path, eval_check_s=0):
            application = App(server, openai_api)
            instrumentor.instrument(tracer_provider=application.provider)
            try:
                judge.default = verdict(0.9, "fine", input_tokens=JUDGE_INPUT, output_tokens=JUDGE_OUTPUT)
                yield application, judge
            finally:
                instrumentor.uninstrument()
                application.provider.shutdown()


def define(server: LiveServer, judge: JudgeAPI, **fields: Any) -> None:
    body = {
        "name": "helpfulness",
        "base_url": judge.openai_base_url,
        "model": "gpt-4o-mini",
        "api_key": "sk-judge",
        "prompt": "Q: {{input}}\nA: {{output}}",
        "score_name": "helpful",
        "quiet_s": 0,
        **fields,
    }
    response = httpx.post(server.url + "/api/v1/evaluators", json=body, timeout=30)
    assert response.status_code == 201, response.text


def check(server: LiveServer) -> int:
    judged = server.app.state.evaluations.check()
    server.settle()
    return int(judged)


def scored_traces(server: LiveServer) -> set[str]:
    scores = server.get("/api/v1/scores", evaluator="helpfulness", limit=1000).json()["scores"]
    return {score["trace_id"] for score in scores}


def judge_cost() -> Decimal:
    prices = per_mtok("gpt-4o-mini", "openai", time.time_ns())
    return (JUDGE_INPUT * prices["input_mtok"] + JUDGE_OUTPUT * prices["output_mtok"]) / MTOK


def test_new_quiet_traces_of_an_instrumented_app_are_judged_once(app):
    application, judge = app
    server = application.server
    define(server, judge)
    traces = application.ask_many(3)
    assert check(server) == 3
    assert scored_traces(server) == set(traces)
    (request,) = {r.body["messages"][-1]["content"] for r in judge.requests if "question 0" in str(r.body)}
    assert request == "Q: question 0\nA: answer to question 0"
    # The judge traces (now in the project too) are not judged, and judged traces are not judged again.
    assert check(server) == 0
    assert judge.count("/v1/chat/completions") == 3
    more = application.ask_many(1)
    assert check(server) == 1
    assert scored_traces(server) == {*traces, *more}


@pytest.mark.slow
def test_a_sampling_rate_judges_the_same_deterministic_half(app):
    application, judge = app
    server = application.server
    define(server, judge, sample_rate="0.5")
    traces = application.ask_many(40)
    check(server)
    # The sample is a hash of the evaluator's name and the trace id: any server, any restart agrees.
    expected = {
        trace_id
        for trace_id in traces
        if int.from_bytes(hashlib.sha256(f"helpfulness\0{trace_id}".encode()).digest()[:8], "big") < 2**63
    }
    assert 0 < len(expected) < 40
    assert scored_traces(server) == expected
    assert judge.count("/v1/chat/completions") == len(expected)


def test_judging_stops_for_the_day_when_the_evaluation_spend_reaches_the_budget(app):
    application, judge = app
    server = application.server
    one_call = judge_cost()
    define(server, judge, daily_budget_usd=str(one_call * Decimal("2.5")))
    application.ask_many(6)
    check(server)
    # Three calls reach 2.5 calls' worth; then the evaluator pauses until the next UTC day.
    assert judge.count("/v1/chat/completions") == 3
    assert len(scored_traces(server)) == 3
    evaluator = server.get("/api/v1/evaluators/helpfulness").json()
    assert "daily budget" in evaluator["mark"]["paused_reason"]
    assert sum(Decimal(run["cost"]) for run in evaluator["runs"]) == 3 * one_call
    application.ask_many(1)
    assert check(server) == 0
    assert judge.count("/v1/chat/completions") == 3


def test_the_watch_thread_judges_on_its_own_interval(store: Store, tmp_path: Path):
    with serve_judge() as judge:
        judge.default = verdict(1)
        for server in start_server(store, tmp_path, eval_check_s=1):
            define(server, judge)
            trace_id = "ab" * 16
            body = protobuf_request(
                [span("turn", trace_id, attributes={"input.value": "hi", "output.value": "yo"})]
            )
            assert server.post_otlp(body, "application/x-protobuf").status_code == 200
            deadline = time.monotonic() + 30
            while trace_id not in scored_traces(server) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert scored_traces(server) == {trace_id}


def send(server: LiveServer, service: str, count: int) -> list[str]:
    traces = [new_trace_id() for _ in range(count)]
    attributes = {"input.value": "q", "output.value": "a"}
    spans = [span("turn", trace_id, attributes=attributes) for trace_id in traces]
    assert (
        server.post_otlp(protobuf_request(spans, service=service), "application/x-protobuf").status_code
        == 200
    )
    server.settle()
    return traces


def test_only_traces_matching_the_filter_and_quiet_long_enough_are_judged(app):
    application, judge = app
    server = application.server
    define(server, judge, filter={"service": "support-bot"}, quiet_s=60)
    define(server, judge, name="switched-off", enabled=False)
    wanted = send(server, "support-bot", 2)
    send(server, "billing", 2)
    # Nothing is quiet for a minute yet; a minute later the support bot's traces are, and only they match.
    assert server.app.state.evaluations.check() == 0
    assert server.app.state.evaluations.check(time.time_ns() + 61 * 10**9) == 2
    server.settle()
    assert scored_traces(server) == set(wanted)
    assert judge.count("/v1/chat/completions") == 2
