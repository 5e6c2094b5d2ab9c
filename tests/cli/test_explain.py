"""``tokentrail explain``: the change between the last 7 days and the 7 before, two releases or two
traces, printed as parts with their largest drivers (or as the API's JSON)."""

from __future__ import annotations

import json
import time
from decimal import Decimal

from typer.testing import CliRunner

from priced_turns import send, turn
from tokentrail.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "250"}
DAY = 86_400 * 10**9


def test_the_last_week_against_the_one_before(server):
    now = time.time_ns()
    send(server, [turn(now - 9 * DAY + i, 1000, 100) for i in range(3)])
    send(server, [turn(now - DAY + i, 5000, 100) for i in range(3)])
    result = runner.invoke(app, ["explain", "--url", server.url, "--since", "7d"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "over 3 traces" in result.output
    assert "Input tokens per call" in result.output and "+$0.030000" in result.output
    assert "gpt-4o input tokens per call in answer > chat: 1000.0 -> 5000.0" in result.output
    document = json.loads(runner.invoke(app, ["explain", "--url", server.url, "--json"], env=WIDE).output)
    assert sum(Decimal(part["amount"]) for part in document["parts"]) == Decimal(document["change"])


def test_two_releases_and_two_traces(server):
    now = time.time_ns()
    old_trace = turn(now - DAY, 1000, 100)
    new_trace = turn(now - DAY + 1, 1000, 100, "gpt-4o-mini")
    send(server, [old_trace], **{"service.version": "1.0"})
    send(server, [new_trace], **{"service.version": "2.0"})
    releases = runner.invoke(
        app,
        ["explain", "--url", server.url, "--compare", "version", "--old", "1.0", "--new", "2.0"],
        env=WIDE,
    )
    assert releases.exit_code == 0, releases.output
    assert "version 1.0" in releases.output and "Model choice" in releases.output
    traces = runner.invoke(
        app, ["explain", "--url", server.url, "--old", old_trace[0], "--new", new_trace[0]], env=WIDE
    )
    assert "Model choice" in traces.output and "over 1 traces" in traces.output


def test_nothing_changed_and_a_bad_comparison(server):
    quiet = runner.invoke(app, ["explain", "--url", server.url], env=WIDE)
    assert quiet.exit_code == 0 and "nothing changed" in quiet.output
    bad = runner.invoke(
        app, ["explain", "--url", server.url, "--compare", "colour", "--old", "a", "--new", "b"]
    )
    assert bad.exit_code == 1 and "compare must be one of" in bad.output
