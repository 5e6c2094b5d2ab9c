"""Authentication: who may send, read and change what once keys exist (and everything while none do)."""

import base64

import httpx
import pytest

from conftest import ADMIN_KEY, bearer
from otlp_builders import json_request, new_trace_id, protobuf_request, span
from tokentrail.ingest.otlp import JSON, PROTOBUF


def make_project_key(server, project, *rights):
    access = server.app.state.access
    if project not in {p.name for p in access.projects()}:
        access.create_project(project)
    key, _ = access.create_key("test", project=project, rights=list(rights))
    return key


def send(server, key_headers, trace_id, name="step", content_type=JSON, **headers):
    body = (json_request if content_type == JSON else protobuf_request)([span(name, trace_id)])
    return httpx.post(
        server.url + "/v1/traces",
        content=body,
        headers={"content-type": content_type, **key_headers, **headers},
        timeout=30,
    )


def test_with_no_key_configured_the_server_is_open_as_before(server):
    assert send(server, {}, new_trace_id()).status_code == 200
    assert server.get("/api/v1/traces").status_code == 200


def test_a_request_without_a_key_is_refused_once_authentication_is_on(secured_server):
    response = send(secured_server, {}, new_trace_id())
    assert response.status_code == 401
    assert "API key" in response.json()["message"]  # an OTLP Status, as the spec wants
    api = httpx.get(secured_server.url + "/api/v1/traces")
    assert api.status_code == 401 and api.headers["www-authenticate"].startswith("Bearer")
    assert httpx.get(secured_server.url + "/healthz").status_code == 200


def test_a_protobuf_request_is_refused_in_protobuf(secured_server):
    response = send(secured_server, {}, new_trace_id(), content_type=PROTOBUF)
    assert response.status_code == 401 and response.headers["content-type"] == PROTOBUF


def test_spans_go_to_the_project_of_their_key_whatever_header_they_carry(secured_server):
    key = make_project_key(secured_server, "shop", "ingest", "read")
    trace_id = new_trace_id()
    assert send(secured_server, bearer(key), trace_id).status_code == 200
    refused = send(secured_server, bearer(key), new_trace_id(), **{"x-tokentrail-project": "blog"})
    assert refused.status_code == 403 and "shop" in refused.json()["message"]
    secured_server.settle()
    listed = httpx.get(secured_server.url + "/api/v1/traces", headers=bearer(key)).json()["traces"]
    assert [t["trace_id"] for t in listed] == [trace_id]
    assert secured_server.store.query("SELECT DISTINCT project FROM spans") == [("shop",)]


@pytest.mark.parametrize("style", ["bearer", "x-api-key", "basic", "basic-no-public-key"])
def test_every_credential_format_the_sdks_send_is_accepted(secured_server, style):
    key = make_project_key(secured_server, "shop", "ingest")
    key_id = key.split("_")[1]
    headers = {
        "bearer": {"authorization": f"Bearer {key}"},
        "x-api-key": {"x-api-key": key},
        "basic": {"authorization": "Basic " + base64.b64encode(f"{key_id}:{key}".encode()).decode()},
        "basic-no-public-key": {"authorization": "Basic " + base64.b64encode(f":{key}".encode()).decode()},
    }[style]
    assert send(secured_server, headers, new_trace_id()).status_code == 200


def test_a_basic_public_key_must_match_its_secret_key(secured_server):
    key = make_project_key(secured_server, "shop", "ingest")
    wrong = "Basic " + base64.b64encode(f"0123456789abcdef:{key}".encode()).decode()
    assert send(secured_server, {"authorization": wrong}, new_trace_id()).status_code == 401


def test_a_key_without_the_right_is_refused(secured_server):
    reader = make_project_key(secured_server, "shop", "read")
    sender = make_project_key(secured_server, "shop", "ingest")
    assert send(secured_server, bearer(reader), new_trace_id()).status_code == 403
    assert httpx.get(secured_server.url + "/api/v1/traces", headers=bearer(sender)).status_code == 403
    rule = {"match": "m", "prices": {"input": "1"}}
    put = httpx.put(secured_server.url + "/api/v1/prices/r1", json=rule, headers=bearer(reader))
    assert put.status_code == 403


def test_a_revoked_key_is_refused_at_once(secured_server):
    key = make_project_key(secured_server, "shop", "ingest")
    assert send(secured_server, bearer(key), new_trace_id()).status_code == 200
    key_id = key.split("_")[1]
    revoked = httpx.delete(f"{secured_server.url}/api/v1/keys/{key_id}", headers=bearer(ADMIN_KEY))
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert send(secured_server, bearer(key), new_trace_id()).status_code == 401


def test_only_an_admin_changes_the_rules_of_every_project(secured_server):
    writer = make_project_key(secured_server, "shop", "write", "read")
    rule = {"match": "m", "prices": {"input": "1"}}
    url = secured_server.url + "/api/v1/prices/r1"
    assert httpx.put(url, params={"project": "*"}, json=rule, headers=bearer(writer)).status_code == 403
    assert httpx.put(url, json=rule, headers=bearer(writer)).json()["project"] == "shop"
    assert httpx.put(url, params={"project": "*"}, json=rule, headers=bearer(ADMIN_KEY)).status_code == 200


def test_admins_manage_projects_and_keys_through_the_api_and_a_key_is_shown_once(secured_server):
    admin = bearer(ADMIN_KEY)
    created = httpx.post(secured_server.url + "/api/v1/projects", json={"name": "shop"}, headers=admin)
    assert created.status_code == 201
    made = httpx.post(
        secured_server.url + "/api/v1/keys", json={"project": "shop", "rights": ["read"]}, headers=admin
    )
    assert made.status_code == 201 and made.json()["key"].startswith("tt_")
    listed = httpx.get(secured_server.url + "/api/v1/keys", headers=admin).json()["keys"]
    assert [k["id"] for k in listed] == [made.json()["id"]] and "key" not in listed[0]
    reader = bearer(made.json()["key"])
    assert httpx.get(secured_server.url + "/api/v1/keys", headers=reader).status_code == 403
    refused = httpx.post(secured_server.url + "/api/v1/projects", json={"name": "mine"}, headers=reader)
    assert refused.status_code == 403
    own = httpx.get(secured_server.url + "/api/v1/projects", headers=reader).json()["projects"]
    assert [p["name"] for p in own] == ["shop"]


def test_the_ui_signs_in_with_a_key_into_a_strict_http_only_cookie(secured_server):
    key = make_project_key(secured_server, "shop", "read")
    with httpx.Client(base_url=secured_server.url) as browser:
        page = browser.get("/traces")
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Ftraces"
        wrong = browser.post("/login", data={"key": "tt_nope", "next": "/traces"})
        assert wrong.status_code == 401 and "not active" in wrong.text
        signed = browser.post("/login", data={"key": key, "next": "/sessions"})
        assert signed.status_code == 303 and signed.headers["location"] == "/sessions"
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and key.lower() not in cookie
        assert browser.get("/traces").status_code == 200
        assert browser.get("/api/v1/traces").status_code == 200


def test_sign_in_never_redirects_off_the_site(secured_server):
    key = make_project_key(secured_server, "shop", "read")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        signed = httpx.post(secured_server.url + "/login", data={"key": key, "next": target})
        assert signed.headers["location"] == "/traces"


def test_a_state_change_with_the_cookie_needs_the_csrf_token(secured_server):
    key = make_project_key(secured_server, "shop", "read", "write")
    rule = {"match": "m", "prices": {"input": "1"}}
    with httpx.Client(base_url=secured_server.url) as browser:
        browser.post("/login", data={"key": key})
        assert browser.put("/api/v1/prices/r1", json=rule).status_code == 403
        page = browser.get("/traces").text
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        assert browser.put("/api/v1/prices/r1", json=rule, headers={"x-csrf-token": token}).status_code == 200
        assert browser.post("/logout", data={"csrf_token": "forged"}).status_code == 403
        assert browser.get("/traces").status_code == 200, "a forged sign-out must not end the session"
        assert browser.post("/logout", data={"csrf_token": token}).status_code == 303
        browser.cookies.clear()
        assert browser.get("/traces").status_code == 303


def test_a_session_ends_when_its_key_is_revoked(secured_server):
    key = make_project_key(secured_server, "shop", "read")
    with httpx.Client(base_url=secured_server.url) as browser:
        browser.post("/login", data={"key": key})
        assert browser.get("/traces").status_code == 200
        secured_server.app.state.access.revoke_key(key.split("_")[1])
        assert browser.get("/traces").status_code == 303


def test_credentials_no_key_could_be_read_from_are_a_401_not_a_500(secured_server):
    """Found by fuzzing (tests/api/test_api_fuzz.py): each of these was a 500."""
    key = make_project_key(secured_server, "shop", "read")
    key_id = key.split("_")[1]
    for headers in (
        {"authorization": b"Basic \x80"},  # not even ASCII, so not base64
        {"authorization": "Basic " + base64.b64encode(f"é:{key}".encode()).decode()},
        {"cookie": f"tokentrail_session={key_id}.{'9' * 5000}.x"},
        {"cookie": f"tokentrail_session={key_id}.99999999999.sign\xe9".encode("latin-1")},
    ):
        response = httpx.get(secured_server.url + "/api/v1/traces", headers=headers, timeout=30)
        assert response.status_code == 401, (headers, response.text)


def test_a_csrf_token_no_server_writes_is_a_403_not_a_500(secured_server):
    """Found by fuzzing: a non-ASCII x-csrf-token beside a real session cookie was a 500."""
    key = make_project_key(secured_server, "shop", "read", "write")
    rule = {"match": "m", "prices": {"input": "1"}}
    with httpx.Client(base_url=secured_server.url) as browser:
        browser.post("/login", data={"key": key})
        forged = browser.put("/api/v1/prices/r1", json=rule, headers={"x-csrf-token": b"\xe9t\xe9"})
        assert forged.status_code == 403, forged.text
