"""``/api/v1/score-configs``: configs are created, replaced, listed and archived per project, and every
writer of scores (the scores API, LangSmith feedback, Langfuse scores) refuses a score that does not fit
the live config of its name, saying what is wrong."""

from __future__ import annotations

import uuid

import httpx
import orjson

TRACE = "a1" * 16


def _configs(server, **params):
    return server.get("/api/v1/score-configs", **params).json()["configs"]


def _config(server, body, **params):
    return httpx.post(f"{server.url}/api/v1/score-configs", json=body, params=params, timeout=30)


def test_configs_are_created_replaced_listed_and_archived_per_project(server):
    assert _config(server, {"name": "helpful", "min": 0, "max": 1}).status_code == 201
    assert _config(server, {"name": "helpful", "min": 0, "max": 5, "description": "stars"}).status_code == 201
    assert _config(server, {"name": "tone", "data_type": "boolean"}, project="other").status_code == 201
    archived = httpx.delete(f"{server.url}/api/v1/score-configs/helpful", timeout=30)
    again = httpx.delete(f"{server.url}/api/v1/score-configs/helpful", timeout=30)

    assert archived.status_code == 200 and again.status_code == 404
    assert _configs(server) == []
    assert [
        (c["name"], c["max"], c["description"], c["archived"]) for c in _configs(server, archived=True)
    ] == [("helpful", 5.0, "stars", True)]
    assert [(c["name"], c["data_type"]) for c in _configs(server, project="other")] == [("tone", "boolean")]


def test_a_config_that_cannot_be_is_refused(server):
    answer = _config(server, {"name": "tone", "data_type": "categorical"})

    assert answer.status_code == 400
    assert "needs its categories" in answer.json()["error"]["message"]


def test_the_scores_api_refuses_a_score_that_does_not_fit_and_stores_none_of_the_batch(server):
    _config(server, {"name": "helpful", "min": 0, "max": 1})
    _config(server, {"name": "tone", "data_type": "categorical", "categories": ["polite", "rude"]})
    body = [
        {"name": "helpful", "trace_id": TRACE, "value": 1.5},
        {"name": "tone", "trace_id": TRACE, "data_type": "categorical", "string_value": "meh"},
        {"name": "free", "trace_id": TRACE, "value": 42},
    ]

    refused = httpx.post(f"{server.url}/api/v1/scores", json=body, timeout=30)
    kept = httpx.post(f"{server.url}/api/v1/scores", json=body[2:], timeout=30)

    message = refused.json()["error"]["message"]
    assert refused.status_code == 400 and kept.status_code == 201
    assert "'helpful': 1.5 is outside its config's range 0..1" in message
    assert "'meh' is not one of its categories (polite, rude)" in message
    assert [s["name"] for s in server.get("/api/v1/scores").json()["scores"]] == ["free"]


def test_langfuse_scores_and_langsmith_feedback_are_checked_each_alone(server):
    _config(server, {"name": "correct", "data_type": "boolean"})
    langfuse = httpx.post(
        f"{server.url}/api/public/scores",
        json=[
            {"traceId": TRACE, "name": "correct", "value": 0.5},
            {"traceId": TRACE, "name": "x", "value": 1},
        ],
        timeout=30,
    )
    feedback = {"run_id": str(uuid.uuid4()), "trace_id": str(uuid.UUID(TRACE)), "key": "correct", "score": 3}
    langsmith = httpx.post(f"{server.url}/feedback", content=orjson.dumps(feedback), timeout=30)

    assert langfuse.status_code == 207
    assert "must be boolean" in langfuse.json()["errors"][0]["message"]
    assert langsmith.status_code == 400 and "must be boolean" in langsmith.json()["error"]["message"]
    assert [s["name"] for s in server.get("/api/v1/scores").json()["scores"]] == ["x"]
