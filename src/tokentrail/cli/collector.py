"""``tokentrail collector-config``: an OpenTelemetry Collector configuration for teams that run a
collector in front, exporting to LangSmith, Langfuse and tokentrail (see
:mod:`tokentrail.export.collector`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tokentrail.cli.base import DEFAULT_URL, app, console
from tokentrail.export.collector import DEFAULT_STORAGE_DIR, DESTINATIONS, REGIONS, collector_config, render


@app.command("collector-config")
def collector_config_command(
    to: Annotated[
        list[str],
        typer.Option("--to", help=f"A destination: {', '.join(DESTINATIONS)}; repeat for each."),
    ],
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help=f"LangSmith's and Langfuse's region, {' or '.join(REGIONS)} (default: each SDK's own).",
        ),
    ] = None,
    tokentrail_url: Annotated[
        str,
        typer.Option(
            "--tokentrail-url",
            envvar="TOKENTRAIL_URL",
            help="tokentrail's base URL, as the collector reaches it.",
        ),
    ] = DEFAULT_URL,
    langsmith_url: Annotated[
        str | None, typer.Option("--langsmith-url", help="A self-hosted LangSmith's API URL.")
    ] = None,
    langfuse_url: Annotated[
        str | None, typer.Option("--langfuse-url", help="A self-hosted Langfuse's base URL.")
    ] = None,
    storage_dir: Annotated[
        str, typer.Option("--storage-dir", help="Where the collector keeps its on-disk sending queues.")
    ] = DEFAULT_STORAGE_DIR,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the configuration here, not to stdout.")
    ] = None,
) -> None:
    """Print an OpenTelemetry Collector configuration: an OTLP receiver, memory_limiter and batch
    processors, and an otlphttp exporter per destination with a durable queue on disk."""
    base_urls = {"tokentrail": tokentrail_url, "langsmith": langsmith_url, "langfuse": langfuse_url}
    try:
        config = collector_config(
            to,
            region=region,
            base_urls={name: url for name, url in base_urls.items() if url},
            storage_dir=storage_dir,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    text = render(config)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text)
    console.print(f"wrote {output}: exporting to {', '.join(dict.fromkeys(to))}")
