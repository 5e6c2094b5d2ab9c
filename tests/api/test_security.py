"""Every response carries the headers that keep pages from being framed, sniffed or scripted from elsewhere,
and a request addressed to a name the server does not answer to (DNS rebinding) is refused."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import LiveServer, start_server
from otlp_builders import new_trace_id, protobuf_request, span
from tokentrail.api.docs import CDN
from tokentrail.api.security import SECURITY_HEADERS, host_name
from tokentrail.store.database import Store

_EXPECTED = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}


def _post_otlp(url: str, **headers: str) -> httpx.Response:
    body = protobuf_request([span("step", new_trace_id())])
    return httpx.post(
        url + "/v1/traces", content=body, headers={"content-type": "application/x-protobuf", **headers}
    )


@pytest.mark.parametrize("path", ["/", "/traces", "/api/v1/traces", "/healthz", "/static/app.js", "/nowhere"])
def test_every_response_carries_the_security_headers(server, path):
    response = httpx.get(server.url + path)

    for name, value in _EXPECTED.items():
        assert response.headers[name] == value
    assert "access-control-allow-origin" not in response.headers  # no CORS unless configured


def test_the_policy_allows_no_inline_script_and_no_framing(server):
    policy = httpx.get(server.url + "/traces").headers["content-security-policy"]

    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy


def test_otlp_answers_carry_them_too(server):
    response = _post_otlp(server.url)

    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]"])
def test_loopback_names_are_answered(server, host):
    port = server.url.rsplit(":", 1)[1]

    assert httpx.get(server.url + "/healthz", headers={"host": f"{host}:{port}"}).status_code == 200


@pytest.mark.parametrize(
    "host", ["attacker.example", "attacker.example:4318", "127.0.0.1.attacker.example", ""]
)
def test_a_request_addressed_to_another_name_is_refused_and_nothing_is_stored(server, host):
    before = httpx.get(server.url + "/healthz").json()["written_spans"]

    for response in (
        httpx.get(server.url + "/api/v1/traces", headers={"host": host}),
        _post_otlp(server.url, host=host),
    ):
        assert response.status_code == 400
        assert "Host header" in response.json()["error"]["message"]
        assert response.headers["x-frame-options"] == "DENY"
    server.settle()
    assert httpx.get(server.url + "/healthz").json()["written_spans"] == before


@pytest.fixture
def named_server(store: Store, tmp_path: Path) -> Iterator[LiveServer]:
    yield from start_server(store, tmp_path, allowed_hosts=("traces.internal.example",))


def test_configured_names_replace_the_loopback_ones(named_server):
    port = named_server.url.rsplit(":", 1)[1]
    answer = httpx.get(named_server.url + "/healthz", headers={"host": f"traces.internal.example:{port}"})

    assert answer.status_code == 200
    assert httpx.get(named_server.url + "/healthz").status_code == 400


def test_host_names_are_read_without_port_and_case():
    assert host_name("Example.COM:8080") == "example.com"
    assert host_name("[::1]:4318") == "::1"
    assert host_name("::1") == "::1"
    assert host_name("127.0.0.1") == "127.0.0.1"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_pages_get_one_policy_that_lets_them_load(server, path):
    response = httpx.get(server.url + path)

    policies = response.headers.get_list("content-security-policy")
    assert response.status_code == 200 and len(policies) == 1
    policy = policies[0]
    assert f"script-src 'self' {CDN}" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    for script in re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy  # Swagger UI's start script, allowed by its hash alone
    src = re.findall(r'<script src="([^"]+)"', response.text)
    assert src and all(url.startswith(CDN + "/") for url in src)
