"""``tokentrail datasets`` against a live server: a file uploaded to a dataset made on the way, listed with
its count; a bad line ends the command with the server's message and adds nothing."""

from __future__ import annotations

from typer.testing import CliRunner

from tokentrail.cli import app

runner = CliRunner()


def run(server, *args):
    return runner.invoke(app, [*args, "--url", server.url], env={"COLUMNS": "250"})


def test_a_file_is_uploaded_to_a_dataset_made_on_the_way_and_listed(server, tmp_path):
    items = tmp_path / "qa.csv"
    items.write_text("input,expected_output\nhello,hi\n2+2,4\n")

    first = run(server, "datasets", "upload", "greetings", str(items))
    again = run(server, "datasets", "upload", "greetings", str(items))
    listed = run(server, "datasets", "list")

    assert first.exit_code == 0, first.output
    assert "2 items added to greetings" in first.output and again.exit_code == 0
    assert listed.exit_code == 0 and "greetings" in listed.output and " 4 " in listed.output


def test_a_bad_line_ends_the_command_with_the_servers_message(server, tmp_path):
    items = tmp_path / "qa.jsonl"
    items.write_text('{"input": 1}\n{"expected_output": 2}\n')

    refused = run(server, "datasets", "upload", "broken", str(items))

    assert refused.exit_code == 1 and "line 2: an item needs an input" in refused.output
    assert server.get("/api/v1/datasets").json()["datasets"][0]["item_count"] == 0
