"""``tokentrail.experiment``: an app function run on each item of a dataset, each call a trace holding its
instrumented LLM call (priced at ingest), judged by a code evaluator, recorded, resumable, and compared
item by item with a second experiment on the API."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

import tokentrail
from conftest import LiveServer
from judge_server import Answer, prompt_of, serve_judge, verdict
from sdk.capital_app import COUNTRIES, answer, app, capital, capital_api, country, usage
from sdk.conftest import Traced
from tokentrail.sdk.datasets import Dataset


@tokentrail.evaluator("exact")
def exact(input: object, output: str, expected: str) -> bool:
    return expected == output or f" {expected}." in output


def _dataset(name: str, size: int) -> Dataset:
    qa = tokentrail.dataset(name)
    for n in range(size):
        qa.add({"country": country(n)}, expected_output=capital(n), metadata={"n": str(n)})
    return qa


class Crash(BaseException):
    """What stopping a process looks like from inside it (as KeyboardInterrupt or SystemExit)."""


def _n(item_document: dict) -> int:
    return int(item_document["metadata"]["n"])


def test_two_experiments_compare_item_by_item_with_exact_costs_and_totals(
    server: LiveServer, traced_live: Traced
) -> None:
    qa = _dataset("capitals", COUNTRIES)
    with capital_api(traced_live.provider) as base_url:
        mini = tokentrail.experiment(qa, app(base_url, "gpt-4o-mini"), evaluators=["exact"], name="mini")
        large = tokentrail.experiment(
            qa, app(base_url, "gpt-4o"), evaluators=[exact], name="large", concurrency=8
        )

    compared = server.get("/api/v1/experiments/compare", ids=f"{mini.id},{large.id}").json()
    assert "experiments" in compared, compared

    assert (len(mini.runs), mini.errors, mini.score_means()) == (COUNTRIES, [], {"exact": 0.8})
    assert large.score_means() == {"exact": 1.0}
    assert [e["name"] for e in compared["experiments"]] == ["mini", "large"]
    assert [_n(row["item"]) for row in compared["items"]] == list(range(COUNTRIES))
    for row in compared["items"]:
        n = _n(row["item"])
        for model, run in zip(("gpt-4o-mini", "gpt-4o"), row["runs"], strict=True):
            trace = server.get(f"/api/v1/traces/{run['trace_id']}", payloads="false").json()
            assert run["output"] == answer(model, n)
            assert run["scores"]["exact"]["value"] == (1.0 if model == "gpt-4o" or n % 5 else 0.0)
            assert run["tokens"] == sum(usage(model, n))
            assert run["cost"] == trace["cost"] and Decimal(run["cost"]) > 0
            assert run["latency_ms"] > 0
            assert [s["response_model"] for s in trace["spans"] if s["kind"] == "llm"] == [model]
    for position, total in enumerate(compared["totals"]):
        costs = [Decimal(row["runs"][position]["cost"]) for row in compared["items"]]
        assert Decimal(total["cost"]) == sum(costs)
        assert Decimal(total["mean_cost"]) == (sum(costs) / COUNTRIES).quantize(Decimal(10) ** -18)
        assert total["tokens"] == sum(row["runs"][position]["tokens"] for row in compared["items"])
        assert (total["runs"], total["errors"]) == (COUNTRIES, 0)
    assert [t["score_means"] for t in compared["totals"]] == [{"exact": 0.8}, {"exact": 1.0}]
    assert Decimal(compared["totals"][1]["cost"]) > Decimal(compared["totals"][0]["cost"])


def test_an_error_in_the_app_is_that_items_error_and_its_trace_shows_it(
    server: LiveServer, traced_live: Traced
) -> None:
    qa = _dataset("flaky", 3)

    def flaky(question: dict[str, str]) -> str:
        if question["country"] == country(1):
            raise ValueError("no such country")
        return capital(int(question["country"].split()[-1]))

    result = tokentrail.experiment(qa, flaky, evaluators=[exact], name="flaky")
    document = server.get(f"/api/v1/experiments/{result.id}").json()

    assert [run.error for run in result.runs] == ["", "ValueError: no such country", ""]
    assert [row["run"]["error"] for row in document["items"]] == [None, "ValueError: no such country", None]
    assert [row["run"]["scores"] for row in document["items"]][1] == {}
    assert document["totals"]["errors"] == 1 and document["totals"]["score_means"] == {"exact": 1.0}
    failed = server.get(f"/api/v1/traces/{result.runs[1].trace_id}", payloads="false").json()
    assert failed["spans"][0]["error"]["message"] == "no such country"


def test_an_interrupted_experiment_resumes_with_the_items_it_had_not_recorded(
    server: LiveServer, traced_live: Traced
) -> None:
    qa = _dataset("resumed", 6)
    called: list[str] = []
    crash = [True]

    def crashing(question: dict[str, str]) -> str:
        called.append(question["country"])
        if question["country"] == country(3) and crash and crash.pop():
            raise Crash  # the process is stopped mid-way (not an error of the app)
        return capital(int(question["country"].split()[-1]))

    with pytest.raises(Crash):
        tokentrail.experiment(qa, crashing, evaluators=[exact], name="nightly", concurrency=1)
    first = server.get("/api/v1/experiments", name="nightly").json()["experiments"]
    recorded = {
        row["item"]["input"]["country"]
        for row in server.get(f"/api/v1/experiments/{first[0]['id']}").json()["items"]
        if row["run"]
    }
    called.clear()

    resumed = tokentrail.experiment(qa, crashing, evaluators=[exact], name="nightly", concurrency=1)
    document = server.get(f"/api/v1/experiments/{resumed.id}").json()

    assert {country(n) for n in range(3)} <= recorded and country(3) not in recorded
    assert resumed.id == first[0]["id"] and resumed.skipped == len(recorded)
    assert sorted(called) == sorted({country(n) for n in range(6)} - recorded)
    assert [row["run"]["output"] for row in document["items"]] == [capital(n) for n in range(6)]
    assert document["totals"]["score_means"] == {"exact": 1.0}


def test_without_resume_a_second_experiment_of_the_name_runs_every_item(
    server: LiveServer, traced_live: Traced
) -> None:
    qa = _dataset("again", 2)
    first = tokentrail.experiment(qa, lambda q: "x", name="same")
    second = tokentrail.experiment(qa, lambda q: "y", name="same", resume=False)
    experiments = server.get("/api/v1/experiments", name="same").json()["experiments"]

    assert first.id != second.id and len(second.runs) == 2
    assert {e["id"] for e in experiments} == {first.id, second.id}


def _grade(body: dict) -> Answer:
    """The stand-in judge's verdict: 1 when the answer holds the expected output, else 0."""
    answer_line, expected_line = prompt_of(body).splitlines()
    return verdict(1.0 if expected_line.removeprefix("Expected: ") in answer_line else 0.0)


def test_a_server_judge_named_by_its_evaluator_scores_each_run_against_the_expected_output(
    server: LiveServer, traced_live: Traced
) -> None:
    qa = _dataset("judged", 10)
    with serve_judge() as judge:
        judge.default = _grade
        grader = {
            "name": "grader",
            "provider": "openai",
            "base_url": judge.openai_base_url,
            "model": "gpt-4o-mini",
            "api_key": "sk-test",
            "prompt": "Answer: {{output}}\nExpected: {{expected}}",
            "score_name": "graded",
            "enabled": False,
        }
        defined = httpx.post(server.url + "/api/v1/evaluators", json=grader, timeout=30)
        assert defined.status_code == 201, defined.text
        with capital_api(traced_live.provider) as base_url:
            result = tokentrail.experiment(qa, app(base_url, "gpt-4o-mini"), evaluators=["grader"], name="j")
        asked = sorted(prompt_of(request.body) for request in judge.requests)

    scores = server.get("/api/v1/scores", experiment_id=result.id).json()["scores"]
    compared = server.get("/api/v1/experiments/compare", ids=result.id).json()

    assert asked == sorted(f"Answer: {answer('gpt-4o-mini', n)}\nExpected: {capital(n)}" for n in range(10))
    assert {(s["name"], s["source"], s["evaluator"]) for s in scores} == {("graded", "evaluator", "grader")}
    assert sorted(s["trace_id"] for s in scores) == sorted(run.trace_id for run in result.runs)
    assert result.score_means() == {"graded": 0.8}  # items 0 and 5 answer a wrong town
    assert compared["totals"][0]["score_means"] == {"graded": 0.8}
    # Each judge call is a trace of its own (the score's run_id): the runs' cost is the app's alone.
    for score in scores:
        judge_trace = server.get(f"/api/v1/traces/{score['run_id']}", payloads="false").json()
        assert {s["service"] for s in judge_trace["spans"]} == {"tokentrail-evaluator"}
        assert Decimal(judge_trace["cost"]) > 0
    for row in compared["items"]:
        run = row["runs"][0]
        trace = server.get(f"/api/v1/traces/{run['trace_id']}", payloads="false").json()
        assert run["cost"] == trace["cost"]
        assert "tokentrail-evaluator" not in {s["service"] for s in trace["spans"]}
