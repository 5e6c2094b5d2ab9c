"""The Langfuse SDK's other endpoints: ``GET /api/public/projects`` names the project a key acts on (an
admin's: the project header's, else the default), the headers the SDK adds are taken everywhere, and an
endpoint tokentrail does not implement answers 404 in Langfuse's error shape, which its client does not
retry."""

from __future__ import annotations

import httpx
from tests.api.test_langfuse_scores import project_key

from conftest import ADMIN_KEY, basic, bearer
from otlp_builders import new_trace_id, protobuf_request, span

SDK_HEADERS = {
    "x-langfuse-sdk-name": "python",
    "x-langfuse-sdk-version": "5.2.0",
    "x-langfuse-public-key": "pk-lf-anything",
    "x-langfuse-ingestion-version": "4",
}


def projects(server, headers):
    return httpx.get(f"{server.url}/api/public/projects", headers={**SDK_HEADERS, **headers})


def test_a_project_key_sees_its_own_project_in_langfuses_shape(secured_server):
    answer = projects(secured_server, basic(project_key(secured_server)))

    assert answer.status_code == 200
    assert answer.json() == {
        "data": [
            {
                "id": "shop",
                "name": "shop",
                "organization": {"id": "tokentrail", "name": "tokentrail"},
                "metadata": {},
            }
        ]
    }


def test_an_admin_sees_the_project_it_names_else_the_default(secured_server):
    named = projects(secured_server, {**bearer(ADMIN_KEY), "x-tokentrail-project": "ops"})
    default = projects(secured_server, bearer(ADMIN_KEY))

    assert [p["id"] for p in named.json()["data"]] == ["ops"]
    assert [p["id"] for p in default.json()["data"]] == ["default"]


def test_a_project_key_naming_another_project_is_refused_with_a_message(secured_server):
    answer = projects(secured_server, {**basic(project_key(secured_server)), "x-tokentrail-project": "ops"})

    assert answer.status_code == 403
    assert "shop" in answer.json()["error"]["message"]  # refused keys answer as on every route


def test_a_wrong_secret_key_gets_401(secured_server):
    key = project_key(secured_server)

    assert projects(secured_server, basic(key[:-4] + "AAAA")).status_code == 401
    assert projects(secured_server, {}).status_code == 401


def test_the_sdks_headers_are_taken_on_the_otlp_path(secured_server):
    key = project_key(secured_server)
    trace_id = new_trace_id()

    sent = httpx.post(
        f"{secured_server.url}/api/public/otel/v1/traces",
        content=protobuf_request([span("turn", trace_id)]),
        headers={"content-type": "application/x-protobuf", **basic(key), **SDK_HEADERS},
    )

    assert sent.status_code == 200, sent.text
    secured_server.settle()
    read = httpx.get(
        f"{secured_server.url}/api/v1/traces/{trace_id}",
        params={"project": "shop"},
        headers=bearer(ADMIN_KEY),
    )
    assert read.status_code == 200


def test_endpoints_tokentrail_does_not_implement_answer_404_with_a_message(server):
    for method, path in [
        ("GET", "/api/public/v2/prompts/greeting"),
        ("POST", "/api/public/v2/prompts"),
        ("GET", "/api/public/v2/datasets/evals"),
        ("POST", "/api/public/dataset-items"),
        ("GET", "/api/public/v2/observations"),
        ("DELETE", "/api/public/scores/s1"),
    ]:
        answer = httpx.request(method, server.url + path, headers=SDK_HEADERS)
        assert answer.status_code == 404, (method, path)
        assert f"{method} {path}" in answer.json()["message"]


def test_a_malformed_body_is_refused_with_a_message(server):
    answer = httpx.post(f"{server.url}/api/public/ingestion", json={"events": []})

    assert answer.status_code == 400
    assert answer.json() == {"message": "batch: Field required"}
