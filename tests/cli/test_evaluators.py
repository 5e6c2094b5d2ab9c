"""``tokentrail evaluators`` against a live server and a stand-in judge: add one, list it, run it over a
stored trace (its score, judge trace and cost printed), remove it; a bad template ends with the server's
400."""

from __future__ import annotations

from typer.testing import CliRunner

from judge_server import serve_judge, verdict
from otlp_builders import new_trace_id, protobuf_request, span
from tokentrail.cli import app

runner = CliRunner()


def run(server, *args):
    return runner.invoke(app, [*args, "--url", server.url], env={"COLUMNS": "250"})


def test_an_evaluator_is_added_listed_run_and_removed_from_the_command_line(server, monkeypatch):
    monkeypatch.setenv("JUDGE_KEY", "sk-from-the-server-env")
    trace_id = new_trace_id()
    body = protobuf_request(
        [span("turn", trace_id, attributes={"input.value": "hi", "output.value": "hello"})]
    )
    assert server.post_otlp(body, "application/x-protobuf").status_code == 200
    server.settle()
    with serve_judge() as judge:
        judge.reply(verdict(label="polite", reasoning="greets back"))
        added = run(
            server, "evaluators", "add", "tone", "--model", "gpt-4o-mini", "--prompt", "Reply: {{output}}",
            "--score", "tone", "--base-url", judge.openai_base_url, "--api-key-env", "JUDGE_KEY",
            "--data-type", "categorical", "--category", "polite", "--category", "rude", "--offline",
        )  # fmt: skip
        assert added.exit_code == 0, added.output
        listed = run(server, "evaluators", "list")
        assert "tone" in listed.output and "openai gpt-4o-mini" in listed.output and "off" in listed.output
        ran = run(server, "evaluators", "run", "tone", trace_id)
    assert ran.exit_code == 0, ran.output
    assert trace_id in ran.output and "polite" in ran.output
    (request,) = judge.requests
    assert request.headers["authorization"] == "Bearer sk-from-the-server-env"
    assert run(server, "evaluators", "rm", "tone").exit_code == 0
    assert "tone" not in run(server, "evaluators", "list").output


def test_an_unknown_template_variable_ends_the_command_with_the_servers_message(server):
    result = run(server, "evaluators", "add", "x", "--model", "m", "--prompt", "{{answer}}", "--score", "s")
    assert result.exit_code != 0
    assert "unknown template variables answer" in result.output
