"""The unmodified LangSmith SDK in its default mode (the runs API), pointed here by ``LANGSMITH_ENDPOINT`` and
``LANGSMITH_API_KEY`` only: ``apps/langsmith_runs_app.py`` runs in its own process, multipart with zstd,
multipart without ``zstandard`` importable, and ``/runs/batch`` when the server's info refuses multipart.

Proven through the REST API, in every mode: the tree of nested ``@traceable`` runs, usage with its cache
and reasoning parts, a cost inferred from the model's price and a stated cost kept, the thread id given on
the root only making the whole trace the session's, an error run, a ``RunTree`` posted then patched as one
finished span, feedback as a score; and a project key sends into its project while a wrong key is refused.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import httpx
import pytest
from tests.compat.isolated import run_app

from conftest import ADMIN_KEY, LiveServer, bearer
from prices import MTOK, per_mtok

THREAD = "ls-runs-thread-7"
PROJECT = "shop-support"
MODES = ("zstd", "plain", "batch")


def _span_id(run_id: str) -> str:
    return run_id.replace("-", "")[:16]


def _get(server: LiveServer, path: str, **params: object) -> Any:
    """A read in the LangSmith project the app traced into: on an open server, the runs' project."""
    return server.get(path, project=PROJECT, **params).json()


def _trace(server: LiveServer, run_id: str, spans: int) -> dict[str, Any]:
    trace_id = run_id.replace("-", "")
    deadline = time.monotonic() + 20
    while True:
        response = server.get(f"/api/v1/traces/{trace_id}", project=PROJECT)
        if response.status_code == 200 and response.json()["span_count"] >= spans:
            tree: dict[str, Any] = response.json()
            return tree
        assert time.monotonic() < deadline, response.text[:500]
        time.sleep(0.05)


def _run(server: LiveServer, mode: str, key: str = "test-key") -> dict[str, str]:
    env = {"APP_MODE": mode, "LANGSMITH_ENDPOINT": server.url, "LANGSMITH_API_KEY": key}
    return run_app(
        "langsmith_runs_app.py",
        server_url=server.url,
        stand_in_url="",
        env=env | {"LANGSMITH_TRACING": "true"},
    )


@pytest.fixture(params=MODES)
def traced(request: pytest.FixtureRequest, server: LiveServer) -> tuple[LiveServer, dict[str, str]]:
    return server, _run(server, request.param)


def test_nested_runs_become_a_tree_with_usage_and_costs(traced: tuple[LiveServer, dict[str, str]]) -> None:
    server, runs = traced
    tree = _trace(server, runs["root"], spans=4)
    nodes = {node["name"]: node for node in tree["spans"]}
    root = nodes["support_turn"]
    assert tree["root_span_ids"] == [_span_id(runs["root"])] == [root["span_id"]]
    assert sorted(root["child_span_ids"]) == sorted(
        nodes[name]["span_id"] for name in ("lookup_order", "priced_call", "gpt_call")
    )
    assert [nodes[name]["kind"] for name in ("support_turn", "lookup_order", "gpt_call")] == [
        "chain",
        "tool",
        "llm",
    ]
    gpt = nodes["gpt_call"]
    assert (gpt["provider"], gpt["request_model"]) == ("openai", "gpt-4o-mini")
    assert gpt["usage"] == {"input": 1200, "output": 80, "cache_read": 1000, "reasoning": 30}
    prices = per_mtok("gpt-4o-mini", "openai", gpt["start_ns"])
    expected = (
        200 * prices["input_mtok"] + 1000 * prices["cache_read_mtok"] + 80 * prices["output_mtok"]
    ) / MTOK
    assert gpt["cost"]["origin"] == "inferred"
    assert Decimal(gpt["cost"]["total"]) == expected
    priced = nodes["priced_call"]
    assert priced["cost"]["origin"] == "provided"
    assert Decimal(priced["cost"]["total"]) == Decimal("0.75")
    assert "Where is A-17?" in root["input"] and "It shipped." in root["output"]


def test_a_thread_id_on_the_root_only_makes_the_trace_the_sessions(
    traced: tuple[LiveServer, dict[str, str]],
) -> None:
    server, runs = traced
    _trace(server, runs["root"], spans=4)
    session = _get(server, f"/api/v1/sessions/{THREAD}")
    assert session["trace_count"] == 1


def test_an_error_run_is_an_error_span(traced: tuple[LiveServer, dict[str, str]]) -> None:
    server, runs = traced
    (span,) = _trace(server, runs["error"], spans=1)["spans"]
    assert span["status"] == "error"
    assert "inventory service unreachable" in span["error"]["message"]


def test_a_run_tree_posted_then_patched_is_one_finished_span(
    traced: tuple[LiveServer, dict[str, str]],
) -> None:
    server, runs = traced
    deadline_tree = _trace(server, runs["manual"], spans=1)
    (span,) = deadline_tree["spans"]
    assert span["status"] == "ok" and '"done":true' in span["output"].replace(" ", "")
    assert span["end_ns"] > span["start_ns"]


def test_feedback_becomes_a_score_on_the_run(traced: tuple[LiveServer, dict[str, str]]) -> None:
    server, runs = traced
    _trace(server, runs["root"], spans=4)
    (score,) = _get(server, "/api/v1/scores", span_id=_span_id(runs["root"]))["scores"]
    assert (score["name"], score["value"], score["comment"]) == ("helpfulness", 0.9, "solid")
    assert score["trace_id"] == runs["root"].replace("-", "")


def test_a_project_key_sends_into_its_project_and_a_wrong_key_is_refused(secured_server: LiveServer) -> None:
    access = secured_server.app.state.access
    access.create_project("shop")
    key, _ = access.create_key("langsmith app", project="shop", rights=["ingest"])

    runs = _run(
        secured_server, "zstd", key=key
    )  # its runs name LangSmith project "shop-support": the key wins

    secured_server.settle()
    listed = httpx.get(
        secured_server.url + "/api/v1/traces", params={"project": "shop"}, headers=bearer(ADMIN_KEY)
    )
    assert runs["root"].replace("-", "") in {row["trace_id"] for row in listed.json()["traces"]}
    refused = httpx.post(
        secured_server.url + "/runs/batch", json={"post": []}, headers={"x-api-key": "tt_wrong"}
    )
    assert refused.status_code == 401
