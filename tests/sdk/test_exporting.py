"""Never hurts the app: with the server down, traced calls neither block on the network nor raise, the
spans held wait in a bounded queue, the rest are dropped, counted and logged once; once the server is
back, spans ended after that arrive."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider

import tokentrail
from conftest import start_server
from tokentrail.sdk import configure
from tokentrail.sdk.exporting import dropped_spans

QUEUE = 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@tokentrail.trace(name="work")
def work(index: int) -> int:
    return index


def test_a_down_server_costs_spans_not_the_app_and_a_server_back_gets_the_later_ones(
    store, tmp_path: Path, caplog
):
    port = _free_port()
    tokentrail.init(
        f"http://127.0.0.1:{port}",
        tracer_provider=TracerProvider(),
        instrument={"threading": False, "httpx": False, "requests": False, "fastapi": False},
        export_timeout=0.5,
        max_queue_size=QUEUE,
    )
    try:
        before = dropped_spans()
        with caplog.at_level(logging.WARNING):
            assert [work(index) for index in range(500)] == list(range(500))
            held = configure.installed().exporter._held  # what waits for the server now
            assert held <= QUEUE
            assert tokentrail.flush(timeout=2) is False  # nothing could be sent, and flush did not hang
        assert dropped_spans() - before >= 500 - QUEUE
        # One warning, ours: the exporter's error for each failed batch is counted instead.
        assert [record.name for record in caplog.records] == ["tokentrail.sdk"]

        server = start_server(store, tmp_path, port=port)
        live = next(server)
        try:
            with tokentrail.session("after-restart"):
                work(-1)
            assert tokentrail.flush(timeout=20)
            traces = live.get("/api/v1/traces", session_id="after-restart").json()["traces"]
            assert [trace["name"] for trace in traces] == ["work"]
        finally:
            server.close()
    finally:
        tokentrail.shutdown(timeout=1)
