"""The SDK's calls to the API: the address and key ``init`` was given, the server's own refusals, and
retries of overload."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.sdk.trace import TracerProvider

import tokentrail
from conftest import ADMIN_KEY, LiveServer
from sdk.conftest import NO_INSTRUMENTATION
from tokentrail.sdk.api import ApiError, request


def _init(endpoint: str, **options: object) -> Iterator[None]:
    tokentrail.init(endpoint, tracer_provider=TracerProvider(), instrument=NO_INSTRUMENTATION, **options)  # type: ignore[arg-type]
    try:
        yield
    finally:
        tokentrail.shutdown(timeout=1)


def test_a_call_before_init_says_to_call_init() -> None:
    with pytest.raises(RuntimeError, match=r"tokentrail\.init"):
        request("GET", "/api/v1/scores")


def test_calls_reach_the_api_with_the_key_and_project_init_was_given(secured_server: LiveServer) -> None:
    for _ in _init(secured_server.url, api_key=ADMIN_KEY, project="shop"):
        request("POST", "/api/v1/scores", json=[{"name": "helpful", "trace_id": "a" * 32, "value": 1}])
        scores = request("GET", "/api/v1/scores")["scores"]
        assert [(s["project"], s["name"]) for s in scores] == [("shop", "helpful")]


def test_a_refusal_raises_with_the_servers_message(server: LiveServer) -> None:
    for _ in _init(server.url):
        with pytest.raises(ApiError, match="a score needs the trace or the session") as refused:
            request("POST", "/api/v1/scores", json=[{"name": "helpful", "value": 1}])
        assert refused.value.status == 400


def test_api_url_overrides_the_otlp_endpoint(server: LiveServer) -> None:
    for _ in _init("http://127.0.0.1:1", protocol="grpc", api_url=server.url + "/"):
        assert request("GET", "/api/v1/scores") == {"scores": []}


class _BusyOnce(BaseHTTPRequestHandler):
    calls: list[str] = []

    def do_GET(self) -> None:
        self.calls.append(self.path)
        busy = len(self.calls) == 1
        body = b'{"busy": true}' if busy else b'{"ok": true}'
        self.send_response(503 if busy else 200)
        self.send_header("retry-after", "0")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_overload_is_retried_after_the_wait_the_server_asks_for() -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _BusyOnce)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        for _ in _init(f"http://127.0.0.1:{httpd.server_address[1]}"):
            assert request("GET", "/api/v1/anything") == {"ok": True}
        assert _BusyOnce.calls == ["/api/v1/anything", "/api/v1/anything"]
    finally:
        httpd.shutdown()
