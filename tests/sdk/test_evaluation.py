"""``tokentrail.evaluate``: code evaluators over stored traces' root spans, offline over the traces a
filter matches, online over new traces as they arrive (sampled by trace id, within an hourly budget)."""

from __future__ import annotations

import time

import tokentrail
from conftest import LiveServer
from otlp_builders import new_trace_id, protobuf_request, span
from sdk.conftest import Traced
from tokentrail.sdk.evaluation import sampled


def _send(server: LiveServer, name: str, question: str, answer: str) -> str:
    trace_id = new_trace_id()
    attributes = {"tokentrail.input": question, "tokentrail.output": answer}
    root = span(name, trace_id, start_ns=time.time_ns(), attributes=attributes)
    server.post_otlp(protobuf_request([root]), "application/x-protobuf")
    return trace_id


def _scores(server: LiveServer, name: str) -> dict[str, float]:
    scores = server.get("/api/v1/scores", name=name).json()["scores"]
    return {score["trace_id"]: score["value"] for score in scores}


def polite(input: object, output: str, expected: object) -> bool:
    return "please" in output


def test_offline_evaluation_scores_the_root_spans_of_the_traces_the_filter_matches(
    server: LiveServer, traced_live: Traced
) -> None:
    kind = _send(server, "answer", '{"q": "door"}', "please close it")
    rude = _send(server, "answer", '{"q": "door"}', "close it")
    _send(server, "other", '{"q": "door"}', "please")
    server.settle()

    evaluation = tokentrail.evaluate([polite], name="answer")

    assert evaluation.judged == 2
    assert _scores(server, "polite") == {kind: 1.0, rude: 0.0}
    assert {s["source"] for s in server.get("/api/v1/scores").json()["scores"]} == {"evaluator"}


def test_a_sample_is_the_same_share_of_trace_ids_everywhere() -> None:
    ids = [new_trace_id() for _ in range(2000)]
    picked = [trace_id for trace_id in ids if sampled(trace_id, 0.25)]

    assert 400 < len(picked) < 600
    assert picked == [trace_id for trace_id in ids if sampled(trace_id, 0.25)]
    assert all(sampled(trace_id, 1.0) for trace_id in ids) and not any(sampled(t, 0.0) for t in ids)


def _wait_for(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the online evaluation did not catch up"
        time.sleep(0.1)


@tokentrail.trace
def reply(question: str, answer: str) -> str:
    """The app: a traced function (its arguments the root span's input, its result the output)."""
    return answer


def test_online_evaluation_judges_new_traces_once_and_stops_at_its_hourly_budget(
    server: LiveServer, traced_live: Traced
) -> None:
    old = _send(server, "answer", "q", "please, an old one")
    server.settle()
    time.sleep(0.01)
    seen: list[object] = []

    def polite_to_the_question(input: dict[str, str], output: str, expected: object) -> bool:
        seen.append(input)
        return "please" in output

    evaluation = tokentrail.evaluate([polite_to_the_question], online=True, max_per_hour=3, poll_interval=0.1)
    try:
        for n in range(5):
            reply(f"door {n}", f"please {n}")
        assert tokentrail.flush()
        server.settle()
        _wait_for(lambda: evaluation.judged + evaluation.over_budget >= 5)
        time.sleep(0.5)  # more polls: nothing is judged twice
    finally:
        evaluation.stop()

    scored = _scores(server, "polite_to_the_question")
    new = {row["trace_id"] for row in server.get("/api/v1/traces", name="reply").json()["traces"]}
    assert evaluation.judged == 3 and evaluation.over_budget == 2
    assert len(scored) == 3 and set(scored) <= new and old not in scored
    assert set(scored.values()) == {1.0}
    assert all(isinstance(judged, dict) and judged["question"].startswith("door") for judged in seen)
