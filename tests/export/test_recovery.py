"""Forwarding loses nothing while a destination is away or the forwarding server dies:

- a destination down when spans arrive (it starts later) receives all of them once it is up, and ingest
  was answered 200 meanwhile, the backlog and the connection error showing in the status;
- a forwarding server killed with SIGKILL with a backlog queued sends all of it after its restart:
  everything acknowledged to the client reaches the destination.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from conftest import ADMIN_KEY, _free_port, start_server
from export.servers import eventually, serve, span_counts, stop
from otlp_builders import new_trace_id, protobuf_request, span
from tokentrail.ingest.otlp import PROTOBUF
from tokentrail.store.database import Store

pytestmark = pytest.mark.slow

TRACES = 20


def _traces() -> list[bytes]:
    now = time.time_ns()
    bodies = []
    for _ in range(TRACES):
        trace = new_trace_id()
        root = span("root", trace, start_ns=now)
        bodies.append(protobuf_request([root, span("child", trace, parent=root["span_id"], start_ns=now)]))
    return bodies


def _post(url: str, body: bytes) -> int:
    return httpx.post(
        url + "/v1/traces", content=body, headers={"content-type": PROTOBUF}, timeout=30
    ).status_code


def test_a_destination_that_starts_later_receives_everything(store: Store, tmp_path: Path):
    port = _free_port()
    later = f"http://127.0.0.1:{port}"
    forward = (f"later={later}/v1/traces",)
    headers = (f"later=x-api-key:{ADMIN_KEY}",)
    for server in start_server(store, tmp_path / "source", forward=forward, forward_headers=headers):
        assert [_post(server.url, body) for body in _traces()] == [200] * TRACES

        def status(url: str = server.url) -> dict:
            return httpx.get(url + "/api/v1/forwarding", timeout=30).json()["destinations"][0]

        waiting = eventually(status, lambda one: one["last_error"] is not None)
        assert waiting["queued_spans"] == 2 * TRACES and waiting["sent_spans"] == 0
        assert "ConnectError" in waiting["last_error"]["message"]
        destination = serve(tmp_path / "destination", port, TOKENTRAIL_ADMIN_KEY=ADMIN_KEY)
        try:
            assert eventually(lambda: span_counts(later, "default"), lambda n: n == 2 * TRACES) == 2 * TRACES
            assert eventually(status, lambda one: one["queued_spans"] == 0)["sent_spans"] == 2 * TRACES
        finally:
            stop(destination)


def test_a_killed_forwarding_server_sends_its_backlog_after_restart(tmp_path: Path):
    destination_port, source_port = _free_port(), _free_port()
    destination_url, source_url = f"http://127.0.0.1:{destination_port}", f"http://127.0.0.1:{source_port}"
    args = ("--forward", f"dest={destination_url}/v1/traces", "--forward-header", "dest=x-api-key:$DEST_KEY")
    source = serve(tmp_path / "source", source_port, *args, DEST_KEY=ADMIN_KEY)
    try:
        assert [_post(source_url, body) for body in _traces()] == [200] * TRACES
        queued = httpx.get(source_url + "/api/v1/forwarding", timeout=30).json()["destinations"][0]
        assert queued["queued_spans"] == 2 * TRACES
    finally:
        os.kill(source.pid, signal.SIGKILL)
        source.wait()
    destination = serve(tmp_path / "destination", destination_port, TOKENTRAIL_ADMIN_KEY=ADMIN_KEY)
    source = serve(tmp_path / "source", source_port, *args, DEST_KEY=ADMIN_KEY)
    try:
        assert (
            eventually(lambda: span_counts(destination_url, "default"), lambda n: n == 2 * TRACES)
            == 2 * TRACES
        )
    finally:
        stop(source)
        stop(destination)
