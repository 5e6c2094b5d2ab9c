"""``tokentrail collector-config``: prints the Collector configuration or writes it to a file, takes
tokentrail's URL from ``--tokentrail-url`` or ``TOKENTRAIL_URL``, and refuses what it cannot configure
with a message naming what it can."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from collector_schema import problems
from tokentrail.cli import app

runner = CliRunner()
EVERY_DESTINATION = ["--to", "langsmith", "--to", "langfuse", "--to", "tokentrail"]


def run(*args, **env):
    return runner.invoke(app, ["collector-config", *args], env={"COLUMNS": "200", **env})


def test_the_file_written_is_the_configuration_printed(tmp_path):
    printed = run(*EVERY_DESTINATION, "--tokentrail-url", "http://tokentrail.internal:4318")
    assert printed.exit_code == 0, printed.output
    target = tmp_path / "collector.yaml"
    written = run(
        *EVERY_DESTINATION, "--tokentrail-url", "http://tokentrail.internal:4318", "-o", str(target)
    )
    assert written.exit_code == 0 and str(target) in written.output
    assert target.read_text() == printed.output
    config = yaml.safe_load(target.read_text())
    assert problems(config) == []
    assert list(config["exporters"]) == ["otlphttp/langsmith", "otlphttp/langfuse", "otlphttp/tokentrail"]
    assert (
        config["exporters"]["otlphttp/tokentrail"]["traces_endpoint"]
        == "http://tokentrail.internal:4318/v1/traces"
    )


def test_options_choose_region_base_urls_and_the_queue_directory():
    result = run(
        *EVERY_DESTINATION,
        "--region",
        "eu",
        "--langfuse-url",
        "https://langfuse.corp",
        "--storage-dir",
        "/srv/otelcol",
        TOKENTRAIL_URL="https://traces.corp",
    )
    assert result.exit_code == 0, result.output
    config = yaml.safe_load(result.output)
    endpoints = [exporter["traces_endpoint"] for exporter in config["exporters"].values()]
    assert endpoints == [
        "https://eu.api.smith.langchain.com/otel/v1/traces",
        "https://langfuse.corp/api/public/otel/v1/traces",
        "https://traces.corp/v1/traces",
    ]
    assert config["extensions"]["file_storage"]["directory"] == "/srv/otelcol"


def test_an_unknown_destination_or_region_is_refused_by_name():
    unknown = run("--to", "langsmith", "--to", "datadog")
    assert unknown.exit_code == 2
    assert (
        "unknown destination 'datadog'" in unknown.output
        and "langsmith, langfuse, tokentrail" in unknown.output
    )
    region = run("--to", "langfuse", "--region", "mars")
    assert region.exit_code == 2 and "unknown region 'mars'" in region.output
    assert run().exit_code == 2, "--to is required"
