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


def test_trace_shows_a_failed_call_without_usage_as_billed_nothing(server):
    trace_id = new_trace_id()
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini", "error.type": "429"}
    failed = span("chat", trace_id, start_ns=time.time_ns(), attributes=attributes, error="rate limited")
    server.post_otlp(protobuf_request([failed]), "application/x-protobuf")
    server.settle()

    tree = runner.invoke(app, ["trace", trace_id, "--url", server.url], env={"COLUMNS": "200"})

    assert tree.exit_code == 0, tree.output
    assert "failed, no billed usage" in tree.output and "unpriced" not in tree.output


def test_prices_set_list_remove_and_reprice_change_stored_costs(server):
    wide = {"COLUMNS": "220"}
    trace_id = new_trace_id()
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "ft:gpt-4o-mini:acme:support",
        "gen_ai.usage.input_tokens": 10_000,
        "gen_ai.usage.output_tokens": 1_000,
    }
    server.post_otlp(
        protobuf_request([span("chat", trace_id, attributes=attributes)]), "application/x-protobuf"
    )
    server.settle()

    saved = runner.invoke(
        app,
        [
            *("prices", "set", "ft", "--url", server.url, "--match", "ft:gpt-4o-mini:acme:*"),
            *("--price", "input=0.30", "--price", "output=1.20", "--note", "contract"),
        ],
    )
    listed = runner.invoke(app, ["prices", "list", "--url", server.url], env=wide)
    dry = runner.invoke(app, ["reprice", "--since", "2025-12-31", "--dry-run", "--url", server.url], env=wide)
    unchanged = server.get(f"/api/v1/traces/{trace_id}").json()["cost"]
    done = runner.invoke(app, ["reprice", "--since", "2025-12-31", "--url", server.url], env=wide)
    repriced = server.get(f"/api/v1/traces/{trace_id}").json()["cost"]
    removed = runner.invoke(app, ["prices", "remove", "ft", "--url", server.url])
    missing = runner.invoke(app, ["prices", "remove", "ft", "--url", server.url])
    bad_price = runner.invoke(
        app, ["prices", "set", "x", "--url", server.url, "--match", "m", "--price", "0.3"]
    )

    assert saved.exit_code == 0 and "price rule ft saved" in saved.output, saved.output
    assert "ft:gpt-4o-mini:acme:*" in listed.output and "input 0.3/Mtok" in listed.output, listed.output
    assert dry.exit_code == 0 and "1 spans re-priced, 1 would change" in dry.output, dry.output
    assert unchanged == "0"
    assert done.exit_code == 0 and "1 changed" in done.output and "$0.004200" in done.output, done.output
    assert repriced == "0.0042"  # 10,000 x $0.30 + 1,000 x $1.20 per million
    assert removed.exit_code == 0 and "removed" in removed.output
    assert missing.exit_code == 1 and "404" in missing.output
    assert bad_price.exit_code == 2 and "TYPE=USD" in bad_price.output


@pytest.mark.slow
def test_serve_with_demo_starts_and_loads_demo_data(tmp_path):
    port, grpc_port = _free_port(), _free_port()
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
        env={**os.environ, "TOKENTRAIL_STORE": "", "TOKENTRAIL_GRPC_PORT": str(grpc_port)},
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
    assert f"OTLP/gRPC endpoint: http://127.0.0.1:{grpc_port}" in output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_quarantine_lists_the_spans_the_store_refused(server):
    empty = runner.invoke(app, ["quarantine", "--url", server.url])
    refused = b'["default","' + b"c" * 32 + b'","00000000000000cc","huge"]'
    server.app.state.writer.quarantine.add(
        refused,
        "Code: 69. DB::Exception: Decimal value is too big",
        ("default", "c" * 32, "00000000000000cc"),
    )

    listed = runner.invoke(app, ["quarantine", "--url", server.url], env={"COLUMNS": "200"})
    other = runner.invoke(app, ["quarantine", "--url", server.url, "--project", "other"])

    assert empty.exit_code == 0 and "the quarantine holds no span" in empty.output
    assert listed.exit_code == 0, listed.output
    assert "c" * 32 in listed.output and "00000000000000cc" in listed.output
    assert "Decimal value is too big" in listed.output and "1 rows held" in listed.output
    assert "the quarantine holds no span of project other" in other.output
