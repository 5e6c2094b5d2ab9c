"""One user question is one trace across three processes: the gateway (FastAPI), the Celery worker fed
through a real Redis, and the priced tool service, each traced with tokentrail.init. Proven against a live
server through its REST API: the parent/child links across processes, the session and user on every span,
each span's service, and the tool's fee in the trace's and the session's totals; and with the server down
for a while, the app keeps answering and what is sent once it is back arrives. ``tokentrail demo --services``
prints each question's trace and stops every process it started."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import _free_port, start_server
from tokentrail.cli import app as cli_app
from tokentrail.demo_services.runner import CONVERSATIONS, Answer, ask, run_conversations, services
from tokentrail.demo_services.tools import SEARCH_FEE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("redis-server") is None and not os.environ.get("CI"),
        reason="redis-server is not installed (apt-get install redis-server; .ci/run installs it)",
    ),
]

#: (service, span name) of each hop from the gateway's request to the tool, each the child of the last.
HOPS = (
    ("gateway", "POST /ask"),
    ("gateway", "fastapi.endpoint"),
    ("gateway", "apply_async/demo.answer"),
    ("worker", "run/demo.answer"),
    ("worker", "POST"),
    ("tool-service", "POST /search"),
    ("tool-service", "fastapi.endpoint"),
    ("tool-service", "web_search"),
)


def _spans(server, trace_id: str) -> list[dict]:
    response = server.get(f"/api/v1/traces/{trace_id}")
    assert response.status_code == 200, response.text
    return response.json()["spans"]


def _assert_one_trace_across_services(server, answer: Answer) -> list[dict]:
    spans = _spans(server, answer.trace_id)
    by_hop = {(s["service"], s["name"]): s for s in spans}
    assert set(HOPS) <= set(by_hop), sorted(by_hop)
    chain = [by_hop[hop] for hop in HOPS]
    assert chain[0]["parent_span_id"] is None
    for parent, child in pairwise(chain):
        assert child["parent_span_id"] == parent["span_id"], (parent["name"], child["name"])
    assert {s["service"] for s in spans} == {"gateway", "worker", "tool-service"}
    assert [(s["name"], s["session_id"], s["user_id"]) for s in spans] == [
        (s["name"], answer.session, answer.user) for s in spans
    ]
    tool = by_hop[HOPS[-1]]
    assert tool["kind"] == "tool" and Decimal(tool["cost"]["total"]) == Decimal(str(SEARCH_FEE))
    assert {s["request_model"] for s in spans if s["kind"] == "llm"} == {"gpt-4o-mini", "claude-sonnet-4-5"}
    return spans


@pytest.fixture
def answers(server, tmp_path) -> Iterator[list[Answer]]:
    """Every demo conversation, asked of the services; all of them stopped (so flushed) before the test."""
    with services(server.url, workdir=tmp_path) as running:
        asked = run_conversations(running)
    yield asked


def test_each_question_is_one_trace_across_the_three_services(server, answers):
    traces = server.get("/api/v1/traces", limit=100).json()["traces"]

    assert sorted(t["trace_id"] for t in traces) == sorted(a.trace_id for a in answers)
    for answer in answers:
        _assert_one_trace_across_services(server, answer)


def test_the_tool_fees_are_in_the_trace_and_session_totals(server, answers):
    fee = Decimal(str(SEARCH_FEE))
    traces = {t["trace_id"]: t for t in server.get("/api/v1/traces", limit=100).json()["traces"]}
    for answer in answers:
        trace = traces[answer.trace_id]
        assert (trace["session_id"], trace["user_id"]) == (answer.session, answer.user)
        priced = sum(Decimal(s["cost"]["total"]) for s in _spans(server, answer.trace_id))
        assert Decimal(trace["cost"]) == priced > fee  # the models' cost, and the tool's fee

    for session in {a.session for a in answers}:
        turns = [a for a in answers if a.session == session]
        found = server.get(f"/api/v1/sessions/{session}").json()
        assert found["cost_by_type"]["tool"] == str(fee * len(turns))
        assert Decimal(found["cost"]) == sum(Decimal(traces[a.trace_id]["cost"]) for a in turns)


def test_with_the_server_down_the_app_answers_and_later_spans_arrive(store, tmp_path):
    port = _free_port()
    (workdir := tmp_path / "services").mkdir()
    with services(f"http://127.0.0.1:{port}", workdir=workdir) as running:
        while_down = ask(running, "chat-down", "ana@example.com", "Is anyone there?")
        assert while_down.answer  # nothing listens at the endpoint, and the gateway answered all the same

        with contextmanager(start_server)(store, tmp_path, port=port) as server:
            when_back = ask(running, "chat-down", "ana@example.com", "Are you back?")
            running.stop()  # each service flushes what it holds as it exits

            _assert_one_trace_across_services(server, when_back)


def test_the_demo_command_prints_a_trace_per_question_and_leaves_nothing_running(server):
    before = _children()
    result = CliRunner().invoke(cli_app, ["demo", "--services", "--url", server.url])

    assert result.exit_code == 0, result.output
    trace_ids = re.findall(r"/traces/([0-9a-f]{32})", result.output)
    assert len(trace_ids) == sum(len(questions) for _, questions in CONVERSATIONS)
    for trace_id in trace_ids:
        assert {s["service"] for s in _spans(server, trace_id)} == {"gateway", "worker", "tool-service"}
    assert _children() == before


def _children() -> set[int]:
    """The processes this test process started that still run."""
    found = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
    return {int(pid) for pid in found}
