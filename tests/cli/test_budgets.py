"""``tokentrail budgets`` against a live server: add one (its webhook secret printed once), list it with its
spend, remove it; a bad field ends the command with the server's 400."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from tokentrail.cli import app

runner = CliRunner()


def run(server, *args):
    return runner.invoke(app, [*args, "--url", server.url], env={"COLUMNS": "250"})


def test_a_budget_is_added_listed_and_removed_from_the_command_line(server):
    added = run(
        server, "budgets", "add", "25", "--name", "support", "--scope", "tag", "--value", "support",
        "--period", "day", "--threshold", "0.9", "--webhook", "https://hooks.example.com/tt",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    budget_id = re.search(r"budget (\w+) added: \$25 per day", added.output)[1]
    assert "webhook secret (shown only now)" in added.output

    listed = run(server, "budgets", "list")
    assert listed.exit_code == 0 and budget_id in listed.output and "tag support" in listed.output
    assert "$0" in listed.output and "$25" in listed.output

    assert run(server, "budgets", "rm", budget_id).exit_code == 0
    assert budget_id not in run(server, "budgets", "list").output


def test_a_bad_scope_ends_the_command_with_the_servers_message(server):
    refused = run(server, "budgets", "add", "5", "--scope", "team", "--value", "x")
    assert refused.exit_code == 1 and "scope must be one of project, tag, user, service" in refused.output
