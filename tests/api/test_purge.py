"""``POST /api/v1/purge`` erases a trace, a session's traces or a user's traces: read back from every
table of the store (every row version), the raw bytes of the write-ahead log and of the quarantine, the
purged spans' marker is gone and every other trace is whole."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from conftest import LiveServer, start_server
from otlp_builders import new_trace_id, protobuf_request, span
from tokentrail.cli import app

PROTOBUF = "application/x-protobuf"
runner = CliRunner()


@pytest.fixture
def server(store, tmp_path) -> Iterator[LiveServer]:
    # Accepted spans wait in the write-ahead log until a flush: the purge must flush them first.
    yield from start_server(store, tmp_path, flush_interval_ms=600_000)


def _send(server: LiveServer, project: str, spans: list[dict]) -> None:
    response = server.post_otlp(protobuf_request(spans), PROTOBUF, **{"x-tokentrail-project": project})
    assert response.status_code == 200, response.text


def _trace(trace_id: str, marker: str, root_attributes: dict) -> list[dict]:
    """A root carrying the ids, and a child that carries none of them, both with the marker."""
    root = span("turn", trace_id, attributes={**root_attributes, "input.value": marker})
    child = span("llm", trace_id, parent=root["span_id"], attributes={"output.value": marker})
    return [root, child]


def _table_rows(server: LiveServer) -> str:
    """Every row of every table of the database, every version (no FINAL), as text."""
    store = server.store
    tables = [
        row[0] for row in store.query("SELECT name FROM system.tables WHERE database = currentDatabase()")
    ]
    return "\n".join(repr(store.query(f"SELECT * FROM {table}")) for table in tables)


def _files(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file())


def _purge(server: LiveServer, project: str, **body: str) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/purge", params={"project": project}, json=body, timeout=60)


def test_a_users_traces_go_from_every_table_the_log_and_the_quarantine(server):
    marker, kept_marker = f"FORGET-{secrets.token_hex(8)}", f"KEEP-{secrets.token_hex(8)}"
    first, second, other_user, other_project = (new_trace_id() for _ in range(4))
    user = {"user.id": "u-42", "session.id": "s-1"}
    first_spans = _trace(first, marker, user)
    _send(server, "shop", first_spans)
    server.settle()
    first_spans[0]["attributes"]["input.value"] = marker + " again"  # a second version of the root
    _send(server, "shop", first_spans)
    server.settle()
    _send(server, "shop", _trace(second, marker, user))  # still only in the write-ahead log
    _send(server, "shop", _trace(other_user, kept_marker, {"user.id": "u-7", "session.id": "s-1"}))
    _send(server, "other", _trace(other_project, kept_marker, user))  # the same user id, another project
    quarantine = server.app.state.writer.quarantine
    quarantine.add(f'["shop","{second}","{marker}"]'.encode(), "refused", ("shop", second, "0" * 16))
    quarantine.add(f'["{first}","{marker}" unreadable'.encode(), "unreadable", None)
    quarantine.add(
        f'["shop","{other_user}","{kept_marker}"]'.encode(), "refused", ("shop", other_user, "1" * 16)
    )
    wal_dir = server.settings.wal_dir(server.store.database)
    quarantine_dir = server.settings.quarantine_dir(server.store.database)
    assert marker.encode() in _files(wal_dir) and marker.encode() in _files(quarantine_dir)
    assert server.store.query("SELECT count() FROM spans WHERE trace_id = {t:String}", {"t": first}) == [(4,)]

    response = _purge(server, "shop", user_id="u-42")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "project": "shop",
        "traces": 2,
        "spans": 4,
        "quarantined_rows": 2,
    }
    rows = _table_rows(server)
    for gone in (marker, first, second):
        assert gone not in rows
        assert gone.encode() not in _files(wal_dir)
        assert gone.encode() not in _files(quarantine_dir)
    assert other_user in rows and other_project in rows and kept_marker in rows
    assert kept_marker.encode() in _files(quarantine_dir) and quarantine.count == 1
    kept = server.get("/api/v1/traces", project="shop").json()["traces"]
    assert [trace["trace_id"] for trace in kept] == [other_user]
    assert server.get(f"/api/v1/traces/{other_project}", project="other").status_code == 200


def test_a_session_purge_takes_its_traces_whole_and_a_trace_purge_one_trace(server):
    marker = f"FORGET-{secrets.token_hex(8)}"
    in_session, alone, other_session = (new_trace_id() for _ in range(3))
    _send(server, "shop", _trace(in_session, marker, {"session.id": "s-1"}))
    _send(server, "shop", _trace(alone, marker, {}))
    _send(server, "shop", _trace(other_session, "kept", {"session.id": "s-2"}))
    scores = [
        {"name": "helpful", "trace_id": in_session, "value": 1, "comment": marker},
        {"name": "resolved", "session_id": "s-1", "data_type": "boolean", "value": 1, "comment": marker},
        {"name": "resolved", "session_id": "s-2", "data_type": "boolean", "value": 1},
    ]
    assert httpx.post(f"{server.url}/api/v1/scores?project=shop", json=scores).status_code == 201

    session = _purge(server, "shop", session_id="s-1")
    trace = _purge(server, "shop", trace_id=alone)

    assert (session.json()["traces"], session.json()["spans"]) == (
        1,
        2,
    )  # the child without the session id too
    assert (trace.json()["traces"], trace.json()["spans"]) == (1, 2)
    rows = _table_rows(server)
    assert marker not in rows and in_session not in rows and alone not in rows
    assert other_session in rows
    kept_scores = server.get("/api/v1/scores", project="shop").json()["scores"]
    assert [score["session_id"] for score in kept_scores] == ["s-2"]


def test_a_purge_names_exactly_one_trace_session_or_user(server):
    assert _purge(server, "shop").status_code == 400
    assert _purge(server, "shop", trace_id="t", user_id="u").status_code == 400
    assert _purge(server, "shop", user_id="").status_code == 400
    nothing = _purge(server, "shop", session_id="no-such-session")
    assert nothing.status_code == 200 and nothing.json()["traces"] == 0


def test_the_purge_command_asks_first_unless_told_yes(server):
    kept, gone = new_trace_id(), new_trace_id()
    _send(server, "shop", _trace(kept, "kept", {"user.id": "u-1"}))
    _send(server, "shop", _trace(gone, "gone", {"user.id": "u-1"}))

    refused = runner.invoke(
        app, ["purge", "--project", "shop", "--trace", gone, "--url", server.url], input="n\n"
    )
    neither = runner.invoke(app, ["purge", "--project", "shop", "--url", server.url, "--yes"])
    done = runner.invoke(app, ["purge", "--project", "shop", "--trace", gone, "--url", server.url, "--yes"])

    assert refused.exit_code == 1 and "Erase every trace of trace" in refused.output
    assert neither.exit_code != 0 and "exactly one of --trace, --session or --user" in neither.output
    assert done.exit_code == 0, done.output
    assert "erased 1 traces (2 spans)" in done.output
    listed = server.get("/api/v1/traces", project="shop").json()["traces"]
    assert [trace["trace_id"] for trace in listed] == [kept]
