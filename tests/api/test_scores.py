"""``/api/v1/scores``: a score on a trace, a span (its trace found from the store) or a session is kept
beside the spans, read back by what it is on, replaced by its id, and refused with a reason when it is not
a score."""

from __future__ import annotations

import httpx

from otlp_builders import new_trace_id, protobuf_request, span


def _post(server, body, **params):
    return httpx.post(f"{server.url}/api/v1/scores", json=body, params=params, timeout=30)


def test_a_score_on_a_span_lands_on_its_trace_and_reads_back_by_either(server):
    trace_id = new_trace_id()
    server.post_otlp(protobuf_request([span("answer", trace_id, span_id="ab" * 8)]), "application/x-protobuf")
    server.settle()

    posted = _post(server, [{"name": "helpful", "span_id": "ab" * 8, "value": 0.75, "comment": "ok"}])
    by_trace = server.get(f"/api/v1/scores?trace_id={trace_id}").json()["scores"]
    by_span = server.get(f"/api/v1/scores?span_id={'ab' * 8}").json()["scores"]

    assert posted.status_code == 201, posted.text
    assert by_trace == by_span
    assert [(s["name"], s["trace_id"], s["value"], s["comment"]) for s in by_trace] == [
        ("helpful", trace_id, 0.75, "ok")
    ]


def test_a_score_sent_again_with_its_id_replaces_it(server):
    first = {"id": "s1", "name": "correct", "session_id": "chat-1", "data_type": "boolean", "value": 0}
    _post(server, [first])
    _post(server, [{**first, "value": 1}])

    scores = server.get("/api/v1/scores?session_id=chat-1").json()["scores"]

    assert [(s["id"], s["data_type"], s["value"]) for s in scores] == [("s1", "boolean", 1.0)]


def test_categorical_scores_keep_their_category_and_projects_their_own(server):
    _post(
        server, [{"name": "tone", "trace_id": "t" * 32, "data_type": "categorical", "string_value": "rude"}]
    )
    _post(server, [{"name": "tone", "trace_id": "t" * 32, "value": 1}], project="other")

    default = server.get("/api/v1/scores?name=tone").json()["scores"]

    assert [(s["string_value"], s["value"], s["project"]) for s in default] == [("rude", None, "default")]


def test_what_is_not_a_score_is_refused_with_its_reason(server):
    cases = {
        "no target": [{"name": "x", "value": 1}],
        "unknown span": [{"name": "x", "span_id": "cd" * 8, "value": 1}],
        "boolean 0.5": [{"name": "x", "trace_id": "t" * 32, "data_type": "boolean", "value": 0.5}],
        "no category": [{"name": "x", "trace_id": "t" * 32, "data_type": "categorical"}],
        "no value": [{"name": "x", "trace_id": "t" * 32}],
    }

    answers = {case: _post(server, body) for case, body in cases.items()}

    assert {case: answer.status_code for case, answer in answers.items()} == {
        "no target": 400,
        "unknown span": 404,
        "boolean 0.5": 400,
        "no category": 400,
        "no value": 400,
    }
    assert "trace or the session" in answers["no target"].json()["error"]["message"]
    assert server.get("/api/v1/scores").json()["scores"] == []
