"""``tokentrail serve`` and ``tokentrail demo``."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from tokentrail.cli.base import DEFAULT_URL, ProjectOption, Url, app, console
from tokentrail.config import SETTINGS, ConfigError, Settings, is_loopback


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help=SETTINGS["host"].help)] = None,
    port: Annotated[int | None, typer.Option(help=SETTINGS["port"].help)] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=SETTINGS["data_dir"].help)] = None,
    store: Annotated[str | None, typer.Option("--store", help=SETTINGS["store"].help)] = None,
    database: Annotated[str | None, typer.Option(help=SETTINGS["database"].help)] = None,
    with_demo: Annotated[
        bool, typer.Option("--demo", help="Once started, load demo traffic (a RAG agent) into the store.")
    ] = False,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Listen where other machines reach it, unauthenticated.")
    ] = False,
) -> None:
    """Run the server: OTLP/HTTP at /v1/traces and the REST API at /api/v1 (embedded store by default)."""
    import uvicorn

    from tokentrail.api import create_app
    from tokentrail.ingest.offload import settle_heap

    try:
        settings = Settings.from_env(host=host, port=port, data_dir=data_dir, store=store, database=database)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None
    open_to = f"anyone who reaches {settings.host}:{settings.port} can read and write every project"
    if not is_loopback(settings.host) and not insecure:
        console.print(
            f"[red]refusing to listen on {settings.host}: no authentication, so {open_to}; "
            "listen on 127.0.0.1, or pass --insecure (and set TOKENTRAIL_ALLOWED_HOSTS).[/]"
        )
        raise typer.Exit(2)
    console.print(f"[yellow]No authentication: {open_to}.[/]")
    console.print(f"tokentrail: store [bold]{settings.store_url}[/], database [bold]{settings.database}[/]")
    console.print(
        f"OTLP/HTTP endpoint: [bold]http://{settings.host}:{settings.port}[/]  "
        f"(set OTEL_EXPORTER_OTLP_ENDPOINT to it)  API: /api/v1  docs: /docs"
    )
    # Live-tail streams never end by themselves: at shutdown they get 5 s, then they are cancelled.
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    settle_heap()
    if with_demo:
        threading.Thread(target=_send_demo_when_up, args=(server, settings), daemon=True).start()
    server.run()


def _send_demo_when_up(server: Any, settings: Settings) -> None:
    from tokentrail.demo import send_demo

    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.1)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    summary = send_demo(f"http://{host}:{settings.port}", seed=42)
    console.print(
        f"demo: loaded {summary.spans} spans in {summary.traces} traces; try [bold]tokentrail traces[/]"
    )


@app.command()
def demo(
    url: Url = DEFAULT_URL,
    sessions: Annotated[int, typer.Option(min=1, help="Chat sessions to send.")] = 4,
    turns: Annotated[int, typer.Option(min=1, help="Traces (turns) per session.")] = 3,
    seed: Annotated[int | None, typer.Option(help="Random seed, for repeatable data.")] = None,
    project: ProjectOption = None,
) -> None:
    """Send realistic demo traffic (a RAG support agent) to a running server over OTLP."""
    from tokentrail.demo import send_demo

    summary = send_demo(url, sessions=sessions, turns=turns, seed=seed, project=project)
    console.print(
        f"sent {summary.spans} spans in {summary.traces} traces across {summary.sessions} sessions to {url}\n"
        "list them with: [bold]tokentrail traces[/]"
    )
