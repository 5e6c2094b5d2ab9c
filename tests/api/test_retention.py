"""``/api/v1/retention`` and ``tokentrail retention``: a retention set through the API is stored, listed
and becomes the store's TTL at once; a server's default retention becomes it at start."""

from __future__ import annotations

import httpx
from typer.testing import CliRunner

from conftest import start_server
from otlp_builders import new_trace_id, protobuf_request, span
from tokentrail.cli import app
from tokentrail.store.database import Store

runner = CliRunner()


def _spans_ttl(store: Store) -> str:
    query = (
        "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = 'spans'"
    )
    definition = str(store.query(query)[0][0])
    return definition.partition(" TTL ")[2]


def test_a_retention_put_is_listed_and_is_the_tables_ttl_at_once(server):
    trace = protobuf_request([span("turn", new_trace_id())])
    server.post_otlp(trace, "application/x-protobuf", **{"x-tokentrail-project": "shop"})
    server.settle()
    before = server.get("/api/v1/retention").json()

    put = httpx.put(f"{server.url}/api/v1/retention/audit", json={"days": 400}, timeout=30)

    assert before == {
        "default_days": 0,
        "projects": [
            {"project": "default", "days": 0, "own": False},
            {"project": "shop", "days": 0, "own": False},
        ],
    }
    assert put.status_code == 200 and put.json() == {"project": "audit", "days": 400, "own": True}
    assert server.get("/api/v1/retention").json()["projects"][0] == {
        "project": "audit",
        "days": 400,
        "own": True,
    }
    assert "+ 34560000" in _spans_ttl(server.store) and "'audit'" in _spans_ttl(server.store)


def test_a_retention_is_whole_days_within_bounds_for_a_named_project(server):
    for body in ({"days": -1}, {"days": 36_501}, {"days": "soon"}, {}):
        assert httpx.put(f"{server.url}/api/v1/retention/shop", json=body, timeout=30).status_code == 400
    assert (
        httpx.put(f"{server.url}/api/v1/retention/bad%20name", json={"days": 1}, timeout=30).status_code
        == 400
    )
    assert _spans_ttl(server.store) == ""


def test_the_default_retention_is_the_tables_ttl_from_the_start(store, tmp_path):
    for started in start_server(store, tmp_path, retention_days=30):
        listed = httpx.get(f"{started.url}/api/v1/retention", timeout=30).json()
        assert listed["default_days"] == 30 and listed["projects"][0]["days"] == 30
        assert _spans_ttl(store).startswith("toDateTime(intDiv(start_ns, 1000000000) + 2592000)")


def test_the_retention_commands_set_and_list(server):
    done = runner.invoke(app, ["retention", "set", "shop", "90", "--url", server.url])
    listed = runner.invoke(app, ["retention", "list", "--url", server.url], env={"COLUMNS": "200"})
    refused = runner.invoke(app, ["retention", "set", "shop", "-3", "--url", server.url])

    assert done.exit_code == 0 and "project shop keeps its spans 90 days" in done.output
    assert listed.exit_code == 0, listed.output
    assert (
        "default: forever" in listed.output
        and "90 days" in listed.output
        and "no: the default" in listed.output
    )
    assert refused.exit_code != 0
