"""``tokentrail serve`` and ``tokentrail demo``."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from tokentrail.cli.base import API_KEY_ENV, DEFAULT_URL, ProjectOption, Url, app, console
from tokentrail.config import SETTINGS, ConfigError, Settings, is_loopback
from tokentrail.export.destinations import destinations
from tokentrail.store.access import key_rows


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help=SETTINGS["host"].help)] = None,
    port: Annotated[int | None, typer.Option(help=SETTINGS["port"].help)] = None,
    grpc_port: Annotated[int | None, typer.Option("--grpc-port", help=SETTINGS["grpc_port"].help)] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=SETTINGS["data_dir"].help)] = None,
    store: Annotated[str | None, typer.Option("--store", help=SETTINGS["store"].help)] = None,
    database: Annotated[str | None, typer.Option(help=SETTINGS["database"].help)] = None,
    forward: Annotated[
        list[str] | None,
        typer.Option(
            "--forward", help="Repeatable. " + SETTINGS["forward"].help.replace("';'-separated", "")
        ),
    ] = None,
    forward_header: Annotated[
        list[str] | None,
        typer.Option("--forward-header", help="Repeatable. " + SETTINGS["forward_headers"].help),
    ] = None,
    with_demo: Annotated[
        bool, typer.Option("--demo", help="Once started, load demo traffic (a RAG agent) into the store.")
    ] = False,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Listen where other machines reach it, unauthenticated.")
    ] = False,
) -> None:
    """Run the server: OTLP/HTTP at /v1/traces, OTLP/gRPC on its own port, and the REST API at /api/v1
    (embedded store by default)."""
    import uvicorn

    from tokentrail.api import create_app
    from tokentrail.ingest.offload import settle_heap

    try:
        settings = Settings.from_env(
            host=host,
            port=port,
            grpc_port=grpc_port,
            data_dir=data_dir,
            store=store,
            database=database,
            forward=tuple(forward) if forward else None,
            forward_headers=tuple(forward_header) if forward_header else None,
        )
        # A preset without its key, or a header naming no destination, stops the server here.
        for destination in destinations(settings.forward, settings.forward_headers, os.environ):
            console.print(f"forwarding to [bold]{destination.name}[/]: {destination.url}")
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None
    # Keys created earlier turn authentication on (so the store is opened here to look).
    opened = None if settings.admin_key else _open_store(settings)
    if settings.admin_key or (opened is not None and key_rows(opened)):
        console.print("Authentication on: every request needs an API key (the UI: sign in with one).")
    elif is_loopback(settings.host) or insecure:
        console.print(
            f"[yellow]No authentication: anyone who reaches {settings.host}:{settings.port} can read and "
            "write every project (create keys with: tokentrail keys create).[/]"
        )
    else:
        console.print(
            f"[red]refusing to listen on {settings.host}: no API key is configured, so anyone who reaches "
            "it could read and write every project. Set TOKENTRAIL_ADMIN_KEY (and create keys), listen "
            "on 127.0.0.1, or pass --insecure (and set TOKENTRAIL_ALLOWED_HOSTS).[/]"
        )
        raise typer.Exit(2)
    console.print(f"tokentrail: store [bold]{settings.store_url}[/], database [bold]{settings.database}[/]")
    console.print(
        f"OTLP/HTTP endpoint: [bold]http://{settings.host}:{settings.port}[/]  "
        f"(set OTEL_EXPORTER_OTLP_ENDPOINT to it)  API: /api/v1  docs: /docs"
    )
    if settings.grpc_port:
        console.print(
            f"OTLP/gRPC endpoint: [bold]http://{settings.host}:{settings.grpc_port}[/]  "
            "(with OTEL_EXPORTER_OTLP_PROTOCOL=grpc)"
        )
    # Live-tail streams never end by themselves: at shutdown they get 5 s, then they are cancelled.
    config = uvicorn.Config(
        create_app(settings, store=opened),
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
    if opened is not None:
        opened.close()


def _open_store(settings: Settings) -> Any:
    from tokentrail.store.database import Store

    return Store(settings.store_url, settings.database, cluster=settings.clickhouse_cluster or None)


def _send_demo_when_up(server: Any, settings: Settings) -> None:
    from tokentrail.demo import send_demo

    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.1)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    key = settings.admin_key or os.environ.get(API_KEY_ENV)
    summary = send_demo(f"http://{host}:{settings.port}", seed=42, api_key=key)
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
    api_key: Annotated[
        str | None, typer.Option("--api-key", envvar=API_KEY_ENV, help="API key to send the spans with.")
    ] = None,
    with_services: Annotated[
        bool,
        typer.Option(
            "--services",
            help="Instead, run a gateway, a Celery worker (through redis-server) and a tool service as "
            "separate processes and ask them questions: one trace per question across the three.",
        ),
    ] = False,
) -> None:
    """Send realistic demo traffic (a RAG support agent) to a running server over OTLP."""
    if with_services:
        _demo_services(url, api_key, project)
        return
    from tokentrail.demo import send_demo

    summary = send_demo(url, sessions=sessions, turns=turns, seed=seed, project=project, api_key=api_key)
    console.print(
        f"sent {summary.spans} spans in {summary.traces} traces across {summary.sessions} sessions to {url}\n"
        "list them with: [bold]tokentrail traces[/]"
    )


def _demo_services(url: str, api_key: str | None, project: str | None) -> None:
    from tokentrail.demo_services.runner import run_conversations, services

    console.print("starting redis-server, the tool service, the worker and the gateway ...")
    try:
        with services(url, api_key, project=project) as running:
            answers = run_conversations(running)
    except RuntimeError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    for answer in answers:
        console.print(f"{answer.session} {answer.user}: {answer.question}")
        console.print(f"  {url.rstrip('/')}/traces/{answer.trace_id}")
    console.print(f"{len(answers)} questions, one trace each across gateway, worker and tool service")
