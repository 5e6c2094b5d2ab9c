"""A server killed with SIGKILL starts again and serves everything it acknowledged, even when its
write-ahead log holds a row the store refuses (one logged by an older version, say)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from otlp_builders import protobuf_request, span
from tokentrail.model import Span
from tokentrail.store.rows import encode_span
from tokentrail.store.wal import WriteAheadLog


def _serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tokentrail.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)],
        env={
            **os.environ,
            "TOKENTRAIL_STORE": "",
            "TOKENTRAIL_INGEST_PROCESSES": "0",
            "TOKENTRAIL_GRPC_PORT": "0",  # HTTP is what these tests send; 4317 may be taken
            # Acknowledged spans stay in the write-ahead log only, as they are between two flushes.
            "TOKENTRAIL_FLUSH_INTERVAL_MS": "600000",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str, process: subprocess.Popen[bytes]) -> dict:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0].decode()[-3000:]
        try:
            return httpx.get(url + "/healthz", timeout=5).json()
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("the server did not start within 90 s")


def _eventually(read: Callable[[], int], timeout: float = 30) -> int:
    """What ``read`` gives once it is not 0, or 0 after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := read()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return value


@pytest.mark.slow
def test_after_a_refused_row_and_a_kill_the_server_starts_and_serves_everything_else(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    refused = Span("default", "c" * 32, "00000000000000cc", "", "huge", "old", 1_000, 2_000)
    refused.cost = {"tool": Decimal("1e21")}  # more than Decimal(38, 18) holds
    wal = WriteAheadLog(tmp_path / "wal" / "tokentrail")
    wal.append(encode_span(refused, 1))
    wal.close()

    first = _serve(tmp_path, port)
    try:
        _healthy(url, first)
        # The log is replayed by the insert thread, after the server starts answering.
        assert _eventually(lambda: httpx.get(url + "/healthz", timeout=5).json()["quarantined_spans"]) == 1
        traces = [f"{i:032x}" for i in range(1, 6)]
        for trace_id in traces:
            body = protobuf_request([span("step", trace_id, f"{n + 1:016x}") for n in range(20)])
            assert (
                httpx.post(
                    url + "/v1/traces", content=body, headers={"content-type": "application/x-protobuf"}
                ).status_code
                == 200
            )
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)

    second = _serve(tmp_path, port)
    try:
        health = _healthy(url, second)
        assert health["quarantined_spans"] == 1
        deadline = time.monotonic() + 30
        while httpx.get(url + "/healthz", timeout=5).json()["pending_spans"] and time.monotonic() < deadline:
            time.sleep(0.2)
        listed = httpx.get(url + "/api/v1/traces", params={"limit": 50}, timeout=10).json()["traces"]
        assert sorted(row["trace_id"] for row in listed) == traces
        assert all(row["span_count"] == 20 for row in listed)
        (held,) = httpx.get(url + "/api/v1/quarantine", timeout=10).json()["rows"]
        assert (held["trace_id"], held["span_id"]) == ("c" * 32, "00000000000000cc")
        assert "Decimal value is too big" in held["reason"]
    finally:
        second.terminate()
        second.communicate(timeout=30)


def _llm_layer(name: str, trace_id: str, span_id: str, parent: str = "") -> dict:
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 100,
    }
    return span(name, trace_id, span_id, parent, attributes=attributes)


@pytest.mark.slow
def test_two_servers_writing_the_two_layers_of_one_call_in_turns_count_it_once(tmp_path):
    # Nothing decides the marks in a server's memory: the second server, started on the same store after
    # the first one stopped, re-marks the trace from what the store holds.
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    trace_id = "d" * 32
    headers = {"content-type": "application/x-protobuf"}
    layers = [
        _llm_layer("framework", trace_id, "00000000000000f1"),
        _llm_layer("sdk", trace_id, "00000000000000f2", parent="00000000000000f1"),
    ]
    for layer in layers:
        server = _serve(tmp_path, port)
        try:
            _healthy(url, server)
            response = httpx.post(url + "/v1/traces", content=protobuf_request([layer]), headers=headers)
            assert response.status_code == 200
        finally:
            server.terminate()  # a clean stop inserts what the log holds
            server.communicate(timeout=30)

    server = _serve(tmp_path, port)
    try:
        _healthy(url, server)
        tree = httpx.get(url + f"/api/v1/traces/{trace_id}", timeout=10).json()
        framework, sdk = tree["spans"]
        assert (framework["duplicate_of"], sdk["duplicate_of"]) == (sdk["span_id"], None)
        assert Decimal(tree["cost"]) == Decimal(sdk["cost"]["total"])
    finally:
        server.terminate()
        server.communicate(timeout=30)
