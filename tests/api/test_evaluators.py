"""``/api/v1/evaluators``: defining LLM-as-judge evaluators, and running one over given traces against a
stand-in judge in the providers' real wire formats: scores on the traces, each judge call a priced trace of
its own, a reply that does not parse an error with no score, a failing judge retried."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from conftest import ADMIN_KEY, bearer
from judge_server import Answer, prompt_of, serve_judge, verdict
from otlp_builders import new_span_id, new_trace_id, protobuf_request, span
from prices import MTOK, per_mtok

PROMPT = "Question: {{input}}\nAnswer: {{output}}\nDocuments: {{context}}\nExpected: {{expected}}"


def define(server: Any, judge_url: str, **fields: Any) -> httpx.Response:
    body = {
        "name": "helpfulness",
        "provider": "openai",
        "base_url": judge_url,
        "model": "gpt-4o-mini",
        "api_key": "sk-test-judge-key-1234",
        "prompt": PROMPT,
        "score_name": "helpful",
        "enabled": False,
        **fields,
    }
    return httpx.post(server.url + "/api/v1/evaluators", json=body, timeout=30)


def app_trace(server: Any, question: str = "What is 2+2?", answer: str = "4") -> str:
    trace_id, root = new_trace_id(), new_span_id()
    spans = [
        span("turn", trace_id, root, attributes={"input.value": question, "output.value": answer}),
        span(
            "search",
            trace_id,
            parent=root,
            attributes={"openinference.span.kind": "RETRIEVER", "output.value": "2+2 is 4"},
        ),
    ]
    assert server.post_otlp(protobuf_request(spans), "application/x-protobuf").status_code == 200
    server.settle()
    return trace_id


def run(server: Any, name: str, traces: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}/api/v1/evaluators/{name}/run", json={"traces": traces, **body}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_an_evaluator_is_defined_listed_with_its_key_masked_and_deleted(server):
    with serve_judge() as judge:
        made = define(server, judge.openai_base_url)
    assert made.status_code == 201, made.text
    assert made.json()["api_key"] == "…1234"
    listed = server.get("/api/v1/evaluators").json()["evaluators"]
    assert [(e["name"], e["api_key"]) for e in listed] == [("helpfulness", "…1234")]
    assert "sk-test" not in server.get("/api/v1/evaluators/helpfulness").text
    assert httpx.delete(server.url + "/api/v1/evaluators/helpfulness", timeout=30).status_code == 200
    assert server.get("/api/v1/evaluators").json()["evaluators"] == []
    assert server.get("/api/v1/evaluators/helpfulness").status_code == 404


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prompt": "Judge {{answer}}"}, "unknown template variables answer"),
        ({"data_type": "categorical"}, "categories"),
        ({"api_key_env": "JUDGE_KEY"}, "api_key and api_key_env"),
        ({"base_url": "ftp://judge"}, "base_url"),
    ],
)
def test_a_bad_definition_is_refused_with_a_400_naming_the_field(server, fields, message):
    response = define(server, "http://127.0.0.1:9", **fields)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_defining_and_deleting_needs_an_admin_but_running_needs_only_write(secured_server):
    admin = bearer(ADMIN_KEY)
    httpx.post(secured_server.url + "/api/v1/projects", json={"name": "shop"}, headers=admin, timeout=30)
    made_key = httpx.post(
        secured_server.url + "/api/v1/keys",
        json={"project": "shop", "rights": ["read", "write"]},
        headers=admin,
    )
    writer = bearer(made_key.json()["key"])
    body = {"project": "shop", "name": "x", "model": "m", "prompt": "{{output}}", "score_name": "s"}
    url = secured_server.url + "/api/v1/evaluators"
    assert httpx.post(url, json=body, headers=writer, timeout=30).status_code == 403
    assert httpx.post(url, json=body, headers=admin, timeout=30).status_code == 201
    assert httpx.delete(url + "/x", headers=writer, timeout=30).status_code == 403
    named_run = {**body, "name": "run"}
    assert httpx.post(url, json=named_run, headers=admin, timeout=30).status_code == 201
    assert httpx.delete(url + "/run", headers=writer, timeout=30).status_code == 403
    ran = httpx.post(url + "/x/run", json={"traces": [{"trace_id": "0" * 32}]}, headers=writer, timeout=30)
    assert ran.status_code == 200
    assert ran.json()["runs"] == [
        {"trace_id": "0" * 32, "run_id": "", "cost": "0", "error": "trace not found"}
    ]


def test_running_an_openai_judge_scores_the_trace_and_traces_the_priced_judge_call(server):
    trace_id = app_trace(server)
    with serve_judge() as judge:
        assert define(server, judge.openai_base_url).status_code == 201
        judge.reply(verdict(0.75, "mostly right", input_tokens=1200, output_tokens=300))
        result = run(
            server, "helpfulness", [{"trace_id": trace_id, "expected": {"answer": 4}}], experiment_id="e1"
        )
    (request,) = judge.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test-judge-key-1234"
    assert request.body["response_format"]["type"] == "json_schema"
    schema = request.body["response_format"]["json_schema"]["schema"]
    assert schema["required"] == ["score", "reasoning"]
    assert prompt_of(request.body) == (
        'Question: What is 2+2?\nAnswer: 4\nDocuments: 2+2 is 4\nExpected: {"answer": 4}'
    )
    (score,) = result["scores"]
    (run_row,) = result["runs"]
    assert (score["trace_id"], score["name"], score["value"], score["comment"]) == (
        trace_id,
        "helpful",
        0.75,
        "mostly right",
    )
    assert (score["source"], score["evaluator"], score["experiment_id"]) == ("evaluator", "helpfulness", "e1")
    assert score["run_id"] == run_row["run_id"] and run_row["error"] == ""
    prices = per_mtok("gpt-4o-mini", "openai", time.time_ns())
    expected_cost = (1200 * prices["input_mtok"] + 300 * prices["output_mtok"]) / MTOK
    assert Decimal(run_row["cost"]) == expected_cost
    # The judge call is a trace of its own in the project, priced by the catalog.
    tree = server.get(f"/api/v1/traces/{run_row['run_id']}").json()
    by_kind = {node["kind"]: node for node in tree["spans"]}
    assert set(by_kind) == {"evaluator", "llm"}
    assert by_kind["llm"]["service"] == "tokentrail-evaluator"
    assert by_kind["llm"]["request_model"] == "gpt-4o-mini"
    assert Decimal(by_kind["llm"]["cost"]["total"]) == expected_cost
    stored = server.get("/api/v1/scores", trace_id=trace_id).json()["scores"]
    assert [s["id"] for s in stored] == [score["id"]]
    # Its cost is evaluation cost, apart from the application's.
    costs = server.get("/api/v1/costs").json()
    assert Decimal(costs["evaluation_cost"]) == expected_cost
    assert Decimal(costs["app_cost"]) + expected_cost == Decimal(costs["total"])


def test_an_anthropic_judge_is_asked_for_json_and_its_text_parsed(server):
    trace_id = app_trace(server)
    with serve_judge() as judge:
        made = define(
            server, judge.url, provider="anthropic", model="claude-3-5-haiku-latest", data_type="boolean"
        )
        assert made.status_code == 201, made.text
        judge.reply(Answer('Here is my verdict: {"score": true, "reasoning": "correct"}'))
        result = run(server, "helpfulness", [{"trace_id": trace_id}])
    (request,) = judge.requests
    assert request.path == "/v1/messages"
    assert request.headers["x-api-key"] == "sk-test-judge-key-1234"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert '"score": {"type": "boolean"}' in request.body["system"]
    (score,) = result["scores"]
    assert (score["data_type"], score["value"], score["comment"]) == ("boolean", 1.0, "correct")


def test_a_reply_that_does_not_parse_is_an_error_on_the_run_and_no_score(server):
    trace_id = app_trace(server)
    with serve_judge() as judge:
        define(server, judge.openai_base_url, data_type="categorical", categories=["good", "bad"])
        judge.reply(verdict(label="excellent"), Answer("I cannot judge this."))
        first = run(server, "helpfulness", [{"trace_id": trace_id}])
        second = run(server, "helpfulness", [{"trace_id": trace_id}])
    for result, problem in ((first, "'excellent' is not one of good, bad"), (second, "not a JSON object")):
        assert result["scores"] == []
        assert problem in result["runs"][0]["error"]
    assert server.get("/api/v1/scores", trace_id=trace_id).json()["scores"] == []
    # The failed call is still traced, and its error shown on the evaluator's runs.
    runs = server.get("/api/v1/evaluators/helpfulness").json()["runs"]
    assert [bool(row["error"]) for row in runs] == [True]


@pytest.mark.slow
def test_a_failing_judge_is_retried_and_a_trace_not_stored_is_an_error_of_its_own(server):
    trace_id = app_trace(server)
    with serve_judge() as judge:
        define(server, judge.openai_base_url)
        judge.reply(Answer(status=500), Answer(status=429), verdict(1))
        result = run(server, "helpfulness", [{"trace_id": trace_id}, {"trace_id": "f" * 32}])
    assert judge.count("/v1/chat/completions") == 3
    assert [(r["trace_id"], r["error"]) for r in result["runs"]] == [
        (trace_id, ""),
        ("f" * 32, "trace not found"),
    ]
    assert [s["value"] for s in result["scores"]] == [1.0]


def test_a_judge_that_refuses_the_key_is_not_retried(server):
    trace_id = app_trace(server)
    with serve_judge() as judge:
        define(server, judge.openai_base_url)
        judge.reply(Answer(status=401), verdict(1))
        result = run(server, "helpfulness", [{"trace_id": trace_id}])
    assert judge.count("/v1/chat/completions") == 1
    assert "401" in result["runs"][0]["error"]


def test_a_backfill_judges_stored_traces_once_and_reports_counts_and_cost(server):
    traces = [app_trace(server, f"q{n}", f"a{n}") for n in range(3)]
    with serve_judge() as judge:
        define(server, judge.openai_base_url)
        judge.default = verdict(0.5)
        response = httpx.post(
            server.url + "/api/v1/evaluators/helpfulness/backfill", json={"limit": 10}, timeout=60
        )
        again = httpx.post(
            server.url + "/api/v1/evaluators/helpfulness/backfill", json={"limit": 10}, timeout=60
        )
    body = response.json()
    assert (body["judged"], body["scored"], body["errors"]) == (3, 3, 0)
    assert sorted(s["trace_id"] for s in body["scores"]) == sorted(traces)
    assert Decimal(body["cost"]) == sum(Decimal(r["cost"]) for r in body["runs"]) > 0
    # The judge traces are not themselves judged, and judged traces are not judged twice.
    assert again.json()["judged"] == 0
    assert judge.count("/v1/chat/completions") == 3
    assert json.loads(json.dumps(body))["runs"][0]["run_id"]


def test_purging_a_judged_trace_erases_its_runs_and_scores(server):
    trace_id = app_trace(server)
    with serve_judge() as judge:
        define(server, judge.openai_base_url)
        judge.reply(verdict(1))
        run(server, "helpfulness", [{"trace_id": trace_id}])
    assert len(server.get("/api/v1/evaluators/helpfulness").json()["runs"]) == 1
    purged = httpx.post(server.url + "/api/v1/purge", json={"trace_id": trace_id}, timeout=60)
    assert purged.status_code == 200, purged.text
    assert server.get("/api/v1/evaluators/helpfulness").json()["runs"] == []
    assert server.get("/api/v1/scores", trace_id=trace_id).json()["scores"] == []
