"""The ``tokentrail`` command against a live server, and ``serve --demo`` as a real process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from typer.testing import CliRunner

from otlp_builders import new_trace_id, protobuf_request, span
from tokentrail.cli import app
from tokentrail.demo import send_demo

runner = CliRunner()


def test_traces_and_trace_print_what_the_api_holds(server):
    send_demo(server.url, sessions=1, turns=2, seed=3)
    listed = server.get("/api/v1/traces", sort="cost").json()["traces"]

    table = runner.invoke(app, ["traces", "--url", server.url, "--sort", "cost"], env={"COLUMNS": "200"})
    tree = runner.invoke(app, ["trace", listed[0]["trace_id"], "--url", server.url], env={"COLUMNS": "200"})

    assert table.exit_code == 0, table.output
    assert listed[0]["trace_id"] in table.output and "support-agent.turn" in table.output
    assert tree.exit_code == 0, tree.output
    assert f"trace {listed[0]['trace_id']}" in tree.output
    assert "web_search" in tree.output and "self $0.005000 (custom)" in tree.output
    assert "o3-mini" in tree.output


def test_reading_commands_explain_errors(server):
    missing = runner.invoke(app, ["trace", "0" * 31 + "1", "--url", server.url])
    unreachable = runner.invoke(app, ["traces", "--url", "http://127.0.0.1:1"])

    assert missing.exit_code == 1 and "404" in missing.output
    assert unreachable.exit_code == 2 and "tokentrail serve" in unreachable.output


def test_empty_store_tells_how_to_send_traces(server):
    result = runner.invoke(app, ["traces", "--url", server.url])

    assert result.exit_code == 0 and "tokentrail demo" in result.output


def test_unpriced_lists_what_could_not_be_priced_and_why(server):
    wide = {"COLUMNS": "220"}
    assert (
        "every LLM and embedding span was priced"
        in runner.invoke(app, ["unpriced", "--url", server.url], env=wide).output
    )
    trace_id = new_trace_id()
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-9-preview",
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 5,
    }
    server.post_otlp(
        protobuf_request([span("chat", trace_id, start_ns=time.time_ns(), attributes=attributes)]),
        "application/x-protobuf",
    )
    server.settle()

    listed = runner.invoke(app, ["unpriced", "--url", server.url, "--since", "7d"], env=wide)
    bad_since = runner.invoke(app, ["unpriced", "--url", server.url, "--since", "last tuesday"])

    assert listed.exit_code == 0, listed.output
    assert "unknown_model" in listed.output and "gpt-9-preview" in listed.output and trace_id in listed.output
    assert "1 unpriced spans in 1 traces" in listed.output
    assert bad_since.exit_code == 2 and "neither an age" in bad_since.output


@pytest.mark.slow
def test_serve_with_demo_starts_and_loads_demo_data(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tokentrail.cli",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
        ],
        env={**os.environ, "TOKENTRAIL_STORE": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        traces: list = []
        while time.monotonic() < deadline and len(traces) < 12:
            time.sleep(0.5)
            try:
                traces = httpx.get(f"http://127.0.0.1:{port}/api/v1/traces", timeout=5).json()["traces"]
            except httpx.HTTPError:
                continue
        assert len(traces) == 12
        assert (tmp_path / "chdb").is_dir()
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode()
    assert "OTLP/HTTP endpoint" in output
