"""``tokentrail projects`` and ``tokentrail keys`` against a live server: bootstrapping an open server,
then managing keys with the admin key the first command printed."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from otlp_builders import json_request, new_trace_id, span
from tokentrail.cli import app
from tokentrail.demo import send_demo

runner = CliRunner()
KEY = re.compile(r"tt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}")


def run(server, *args, key=None):
    env = {"COLUMNS": "250", **({"TOKENTRAIL_API_KEY": key} if key else {})}
    result = runner.invoke(app, [*args, "--url", server.url], env=env)
    return result


def test_an_open_server_is_bootstrapped_and_its_keys_managed_from_the_command_line(server):
    assert run(server, "projects", "create", "shop").exit_code == 0
    made = run(server, "keys", "create", "--admin", "--name", "ops")
    assert made.exit_code == 0, made.output
    admin = KEY.search(made.output)[0]

    assert run(server, "projects", "list").exit_code == 1, "the first key turns authentication on"
    listed = run(server, "projects", "list", key=admin)
    assert listed.exit_code == 0 and "shop" in listed.output

    sender = run(server, "keys", "create", "--project", "shop", "--name", "ci", key=admin)
    reader = run(server, "keys", "create", "--project", "shop", "--right", "read", key=admin)
    sender_key, reader_key = KEY.search(sender.output)[0], KEY.search(reader.output)[0]
    assert "ingest" in sender.output and "public key" in sender.output

    summary = send_demo(server.url, sessions=1, turns=1, seed=1, api_key=sender_key)
    assert summary.traces == 1
    server.settle()
    traces = run(server, "traces", key=reader_key)
    assert traces.exit_code == 0 and "support-agent" in traces.output
    assert run(server, "keys", "list", key=reader_key).exit_code == 1  # not an admin

    keys = run(server, "keys", "list", "--project", "shop", key=admin)
    assert keys.exit_code == 0 and sender_key not in keys.output and sender_key.split("_")[1] in keys.output
    assert run(server, "keys", "revoke", sender_key.split("_")[1], key=admin).exit_code == 0
    assert server.app.state.access.authenticate(sender_key) is None
    body = json_request([span("late", new_trace_id())])
    refused = server.post_otlp(body, "application/json", authorization=f"Bearer {sender_key}")
    assert refused.status_code == 401
