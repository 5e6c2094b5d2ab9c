"""Langfuse's score endpoints as its SDKs call them: ``POST /api/public/scores`` (5.x, a JSON array,
answered 202 or 207 with what was refused) and ``score-create`` events on ``POST /api/public/ingestion``
(4.x, answered 207 per event; every other event type is an error that names the OTel endpoint). Scores
are stored in the project of the Basic-auth key before the answer, and a wrong secret key stores
nothing."""

from __future__ import annotations

import httpx

from conftest import ADMIN_KEY, basic, bearer
from otlp_builders import new_trace_id, protobuf_request, span

TRACE = "a1" * 16
HEADERS = {
    "x-langfuse-sdk-name": "python",
    "x-langfuse-sdk-version": "5.2.0",
    "x-langfuse-ingestion-version": "4",
}


def project_key(server, project="shop"):
    access = server.app.state.access
    access.create_project(project)
    return access.create_key("langfuse", project=project, rights=["ingest"])[0]


def scores_of(server, project="shop", **filters):
    server.settle()
    return httpx.get(
        f"{server.url}/api/v1/scores", params={"project": project, **filters}, headers=bearer(ADMIN_KEY)
    ).json()["scores"]


def test_a_batch_of_good_scores_is_accepted_and_stored_in_the_keys_project(secured_server):
    key = project_key(secured_server)
    body = [
        {
            "id": "q1",
            "traceId": TRACE,
            "name": "quality",
            "value": 0.5,
            "dataType": "NUMERIC",
            "comment": "meh",
        },
        {"traceId": TRACE, "observationId": "b2" * 8, "name": "correct", "value": 1.0, "dataType": "BOOLEAN"},
        {"sessionId": "chat-9", "name": "mood", "value": "happy", "metadata": {"by": "ana", "n": 2}},
    ]

    answer = httpx.post(
        f"{secured_server.url}/api/public/scores", json=body, headers={**basic(key), **HEADERS}
    )

    assert (answer.status_code, answer.json()) == (202, {"message": "Accepted"})
    stored = {s["name"]: s for s in scores_of(secured_server)}
    assert (stored["quality"]["id"], stored["quality"]["value"], stored["quality"]["comment"]) == (
        "q1",
        0.5,
        "meh",
    )
    assert (stored["correct"]["span_id"], stored["correct"]["data_type"]) == ("b2" * 8, "boolean")
    assert (stored["mood"]["session_id"], stored["mood"]["string_value"]) == ("chat-9", "happy")
    assert stored["mood"]["metadata"] == {"by": "ana", "n": "2"}
    assert {s["source"] for s in stored.values()} == {"sdk"}
    assert scores_of(secured_server, project="default") == []


def test_a_score_on_an_observation_alone_lands_on_the_observations_trace(server):
    trace_id = new_trace_id()
    server.post_otlp(protobuf_request([span("answer", trace_id, span_id="cd" * 8)]), "application/x-protobuf")
    server.settle()

    answer = httpx.post(
        f"{server.url}/api/public/scores", json=[{"observationId": "cd" * 8, "name": "ok", "value": 1}]
    )

    assert answer.status_code == 202, answer.text
    assert [(s["trace_id"], s["span_id"], s["source"]) for s in scores_of(server, "default")] == [
        (trace_id, "cd" * 8, "api")
    ]


def test_the_scores_that_cannot_be_kept_are_reported_and_the_others_stored(server):
    body = [
        {"traceId": TRACE, "name": "kept", "value": 2},
        {"traceId": TRACE, "name": "words", "value": "high", "dataType": "NUMERIC"},
        {"observationId": "ef" * 8, "name": "orphan", "value": 1},
        {"traceId": TRACE, "name": "half", "value": 0.5, "dataType": "BOOLEAN"},
        {"traceId": TRACE, "value": 1},
        {"datasetRunId": "run-1", "name": "experiment", "value": 1},
    ]

    answer = httpx.post(f"{server.url}/api/public/scores", json=body)

    assert answer.status_code == 207
    result = answer.json()
    assert (result["accepted"], result["rejected"]) == (1, 5)
    messages = " | ".join(error["message"] for error in result["errors"])
    for reason in ("must be a number", "no observation", "1 (true) or 0", "name", "dataset runs"):
        assert reason in messages
    assert [s["name"] for s in scores_of(server, "default")] == ["kept"]


def test_text_and_correction_scores_are_kept_as_categories_that_remember_their_type(server):
    body = [
        {"traceId": TRACE, "name": "note", "value": "too long", "dataType": "TEXT", "source": "ANNOTATION"}
    ]

    assert httpx.post(f"{server.url}/api/public/scores", json=body).status_code == 202

    (stored,) = scores_of(server, "default")
    assert (stored["data_type"], stored["string_value"]) == ("categorical", "too long")
    assert (stored["metadata"], stored["source"]) == ({"langfuse.data_type": "TEXT"}, "human")


def test_a_wrong_secret_key_is_refused_and_nothing_is_stored(secured_server):
    key = project_key(secured_server)
    forged = key[:-4] + "AAAA"

    answer = httpx.post(
        f"{secured_server.url}/api/public/scores",
        json=[{"traceId": TRACE, "name": "x", "value": 1}],
        headers=basic(forged),
    )

    assert answer.status_code == 401
    assert scores_of(secured_server) == []


def test_ingestion_stores_score_events_and_answers_each_event(secured_server):
    key = project_key(secured_server)
    batch = {
        "batch": [
            {
                "id": "e1",
                "type": "score-create",
                "timestamp": "2026-01-02T03:04:05.678Z",
                "body": {"id": "s1", "traceId": TRACE, "name": "accuracy", "value": 0.9},
            },
            {
                "id": "e2",
                "type": "score-create",
                "timestamp": "2026-01-02T03:04:05Z",
                "body": {"traceId": TRACE, "name": "label", "value": "spam", "dataType": "CATEGORICAL"},
            },
        ],
        "metadata": {"sdk_name": "python", "sdk_version": "2.60.0"},
    }

    answer = httpx.post(f"{secured_server.url}/api/public/ingestion", json=batch, headers=basic(key))

    assert answer.status_code == 207
    assert answer.json() == {
        "successes": [{"id": "e1", "status": 201}, {"id": "e2", "status": 201}],
        "errors": [],
    }
    stored = {s["name"]: s for s in scores_of(secured_server, trace_id=TRACE)}
    assert (stored["accuracy"]["id"], stored["accuracy"]["value"]) == ("s1", 0.9)
    assert stored["accuracy"]["created_ns"] == 1767323045678000000
    assert stored["label"]["string_value"] == "spam"


def test_a_mixed_ingestion_batch_answers_every_event_and_never_pretends(server):
    batch = {
        "batch": [
            {"id": "t1", "type": "trace-create", "timestamp": "", "body": {"id": TRACE, "name": "x"}},
            {
                "id": "s1",
                "type": "score-create",
                "timestamp": "",
                "body": {"traceId": TRACE, "name": "ok", "value": 1},
            },
            {"id": "g1", "type": "generation-create", "timestamp": "", "body": {"traceId": TRACE}},
            {"id": "s2", "type": "score-create", "timestamp": "", "body": {"traceId": TRACE, "value": 1}},
        ]
    }

    answer = httpx.post(f"{server.url}/api/public/ingestion", json=batch)

    assert answer.status_code == 207
    result = answer.json()
    assert result["successes"] == [{"id": "s1", "status": 201}]
    errors = {error["id"]: error for error in result["errors"]}
    assert sorted(errors) == ["g1", "s2", "t1"]
    assert all(error["status"] == 400 for error in errors.values())
    assert "/api/public/otel/v1/traces" in errors["t1"]["message"]
    assert "generation-create" in errors["g1"]["message"]
    assert [s["name"] for s in scores_of(server, "default")] == ["ok"]
