"""The ``tokentrail`` command: run the server, send demo traffic, read traces and costs, manage prices.

Reading commands talk to a running server through its REST API, like any other client.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from tokentrail.config import SETTINGS, ConfigError, Settings, is_loopback
from tokentrail.display import duration, signed_usd, span_label, usd

app = typer.Typer(help="tokentrail: trace trees of LLM applications with exact costs.", no_args_is_help=True)
console = Console()

DEFAULT_URL = "http://127.0.0.1:4318"
Url = Annotated[str, typer.Option("--url", envvar="TOKENTRAIL_URL", help="Base URL of a tokentrail server.")]
ProjectOption = Annotated[
    str | None, typer.Option("--project", help="Project (default: the server's default).")
]


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


@app.command("traces")
def list_traces(
    url: Url = DEFAULT_URL,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    sort: Annotated[str, typer.Option(help="time, cost or duration")] = "time",
    session: Annotated[str | None, typer.Option("--session", help="Only this session's traces.")] = None,
    errors: Annotated[bool, typer.Option("--errors", help="Only failing traces.")] = False,
    project: ProjectOption = None,
) -> None:
    """List recent traces with duration, spans, tokens, cost and errors."""
    params: dict[str, Any] = {"limit": limit, "sort": sort, "session_id": session, "project": project}
    if errors:
        params["has_error"] = "true"
    data = _get(url, "/api/v1/traces", params)
    table = Table("trace id", "name", "start", "duration", "spans", "tokens", "cost (USD)", "errors")
    for row in data["traces"]:
        table.add_row(
            row["trace_id"],
            row["name"],
            row["start_time"][:19].replace("T", " "),
            duration(row["duration_ns"]),
            str(row["span_count"]),
            f"{row['tokens']:,}",
            usd(row["cost"]),
            f"[red]{row['error_count']}[/]" if row["error_count"] else "0",
        )
    console.print(table)
    if not data["traces"]:
        console.print("no traces yet: send some with [bold]tokentrail demo[/] or any OTLP exporter")


@app.command("trace")
def show_trace(
    trace_id: Annotated[str, typer.Argument(help="32 hex characters.")],
    url: Url = DEFAULT_URL,
    project: ProjectOption = None,
) -> None:
    """Print one trace as a tree with each span's own and subtree cost."""
    data = _get(url, f"/api/v1/traces/{trace_id}", {"project": project})
    console.print(
        f"trace [bold]{data['trace_id']}[/]  {data['span_count']} spans  {duration(data['duration_ns'])}  "
        f"cost [bold]{usd(data['cost'])}[/]  errors {data['error_count']}"
    )
    root = Tree("", hide_root=True)
    branches: dict[str, Tree] = {}
    for span in data["spans"]:  # depth-first: a parent is always printed before its children
        parent = branches.get(span["parent_span_id"] or "", root) if not span["broken_link"] else root
        branches[span["span_id"]] = parent.add(span_label(span))
    console.print(root)


@app.command("unpriced")
def list_unpriced(
    url: Url = DEFAULT_URL,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only spans started since: an ISO time, or an age like 30m, 24h, 7d."),
    ] = None,
    project: ProjectOption = None,
) -> None:
    """List the models and spans that could not be priced, and why."""
    data = _get(url, "/api/v1/costs/unpriced", {"project": project, "start": _since(since)})
    if not data["groups"]:
        console.print("every LLM and embedding span was priced" + (f" since {since}" if since else ""))
        return
    table = Table("reason", "provider", "model", "spans", "traces", "first seen", "last seen", "latest trace")
    for row in data["groups"]:
        table.add_row(
            f"[yellow]{row['reason']}[/]",
            row["provider"] or "-",
            row["model"] or "-",
            f"{row['span_count']:,}",
            f"{row['trace_count']:,}",
            row["first_seen"][:19].replace("T", " "),
            row["last_seen"][:19].replace("T", " "),
            row["sample_trace_ids"][0] if row["sample_trace_ids"] else "",
        )
    console.print(table)
    reasons = ", ".join(
        f"{row['reason']} {row['span_count']:,} ({row['trace_count']:,} traces)" for row in data["by_reason"]
    )
    console.print(f"{data['span_count']:,} unpriced spans in {data['trace_count']:,} traces: {reasons}")


@app.command("quarantine")
def list_quarantine(
    url: Url = DEFAULT_URL,
    project: Annotated[
        str | None, typer.Option("--project", help="Only this project's rows (default: every project).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Most rows listed, newest first.")] = 100,
) -> None:
    """List the spans the store refused (held on disk in the quarantine), and why."""
    data = _get(url, "/api/v1/quarantine", {"project": project, "limit": limit})
    if not data["rows"]:
        console.print("the quarantine holds no span" + (f" of project {project}" if project else ""))
        return
    table = Table("quarantined", "project", "trace", "span", "reason")
    for row in data["rows"]:
        table.add_row(
            row["quarantined_at"][:19].replace("T", " "),
            row["project"] or "?",
            row["trace_id"] or "?",
            row["span_id"] or "?",
            row["reason"][:200],
        )
    console.print(table)
    console.print(f"{data['count']:,} rows held in the quarantine")


@app.command("reprice")
def reprice(
    since: Annotated[
        str, typer.Option("--since", help="Spans started since: an ISO date or time, or an age like 7d.")
    ],
    until: Annotated[
        str | None, typer.Option("--until", help="...and before this date, time or age.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would change, and by how much; write nothing.")
    ] = False,
    url: Url = DEFAULT_URL,
    project: ProjectOption = None,
) -> None:
    """Price stored spans again with the current price rules and catalog, after a price change."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    body = {"since": _since(since, "--since"), "until": _since(until, "--until"), "dry_run": dry_run}
    job = _request("POST", url, "/api/v1/reprice", {"project": project}, body)
    columns = (TextColumn("re-pricing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("reprice", total=None)
        while job["state"] == "running":
            progress.update(task, total=job["total_spans"] or None, completed=job["done_spans"])
            time.sleep(0.2)
            job = _get(url, f"/api/v1/reprice/{job['id']}", {})
    if job["state"] != "done":
        console.print(f"[red]re-pricing failed after {job['done_spans']:,} spans: {job['error']}[/]")
        raise typer.Exit(1)
    verb = "would change" if dry_run else "changed"
    console.print(
        f"{job['done_spans']:,} spans re-priced, {job['changed_spans']:,} {verb}: cost "
        f"{usd(job['cost_before'])} → [bold]{usd(job['cost_after'])}[/] ({signed_usd(job['cost_change'])})"
    )


prices_app = typer.Typer(help="List, set and remove price rules.", no_args_is_help=True)
app.add_typer(prices_app, name="prices")


@prices_app.command("list")
def list_prices(url: Url = DEFAULT_URL, project: ProjectOption = None) -> None:
    """List the price rules that apply to a project: its own and those for every project."""
    data = _get(url, "/api/v1/prices", {"project": project})
    if not data["rules"]:
        console.print("no price rules: every price comes from the genai-prices catalog")
        return
    table = Table("id", "project", "kind", "match", "provider", "from", "prices (USD)", "source", "note")
    for rule in data["rules"]:
        unit = "/call" if rule["kind"] == "call" else "/Mtok"
        table.add_row(
            rule["id"],
            rule["project"],
            rule["kind"],
            rule["match"],
            rule["provider"] or "any",
            (rule["effective_from"] or "always")[:19].replace("T", " "),
            ", ".join(
                f"{key} {value}{unit if key != 'request' else '/call'}"
                for key, value in rule["prices"].items()
            ),
            rule["source"],
            rule["note"],
        )
    console.print(table)


@prices_app.command("set")
def set_price(
    rule_id: Annotated[str, typer.Argument(help="The rule's id (replaces a rule of this id).")],
    match: Annotated[str, typer.Option("--match", help="Model or tool name, exact or a glob pattern.")],
    price: Annotated[
        list[str],
        typer.Option(
            "--price",
            help="TYPE=USD, repeatable: per million tokens (input=0.30, output=1.20, cache_read=...), "
            "request=USD per call, or call=USD for a call rule.",
        ),
    ],
    kind: Annotated[str, typer.Option("--kind", help="model (per token) or call (per call).")] = "model",
    provider: Annotated[str, typer.Option("--provider", help="Only at this provider.")] = "",
    effective_from: Annotated[
        str | None, typer.Option("--effective-from", help="For spans starting at or after this date or time.")
    ] = None,
    note: Annotated[str, typer.Option("--note")] = "",
    url: Url = DEFAULT_URL,
    project: Annotated[
        str | None, typer.Option("--project", help="The rule's project, or '*' for every project.")
    ] = None,
) -> None:
    """Add or replace a price rule; new spans are priced with it (``tokentrail reprice`` for stored ones)."""
    prices: dict[str, str] = {}
    for item in price:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise typer.BadParameter(f"{item!r} is not TYPE=USD, e.g. input=0.30", param_hint="--price")
        prices[key.strip()] = value.strip()
    body = {
        "kind": kind,
        "match": match,
        "provider": provider,
        "effective_from": _since(effective_from, "--effective-from"),
        "prices": prices,
        "note": note,
    }
    rule = _request("PUT", url, f"/api/v1/prices/{rule_id}", {"project": project}, body)
    console.print(f"price rule [bold]{rule['id']}[/] saved for project {rule['project']}")


@prices_app.command("remove")
def remove_price(
    rule_id: Annotated[str, typer.Argument(help="The rule's id.")],
    url: Url = DEFAULT_URL,
    project: Annotated[
        str | None, typer.Option("--project", help="The rule's project, or '*' for every project.")
    ] = None,
) -> None:
    """Remove a price rule."""
    _request("DELETE", url, f"/api/v1/prices/{rule_id}", {"project": project})
    console.print(f"price rule [bold]{rule_id}[/] removed")


_AGE_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def _since(value: str | None, option: str = "--since") -> str | None:
    """An ISO time (UTC) for a time option: an age such as ``24h`` or ``7d``, or an ISO time or date."""
    if value is None:
        return None
    text = value.strip()
    if text[:-1].isdigit() and text[-1:].lower() in _AGE_SECONDS:
        moment = datetime.now(UTC) - timedelta(seconds=int(text[:-1]) * _AGE_SECONDS[text[-1].lower()])
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise typer.BadParameter(
                f"{value!r} is neither an age (30m, 24h, 7d) nor an ISO time", param_hint=option
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _get(url: str, path: str, params: dict[str, Any]) -> Any:
    return _request("GET", url, path, params)


def _request(
    method: str, url: str, path: str, params: dict[str, Any], body: dict[str, Any] | None = None
) -> Any:
    """Call the REST API; an unreachable server or an error answer ends the command with its message."""
    clean = {key: value for key, value in params.items() if value is not None}
    try:
        response = httpx.request(method, url.rstrip("/") + path, params=clean, json=body, timeout=30)
    except httpx.HTTPError as exc:
        console.print(f"[red]cannot reach tokentrail at {url}: {exc}[/]\nstart it with: tokentrail serve")
        raise typer.Exit(2) from None
    if not response.is_success:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text
        console.print(f"[red]{response.status_code}: {message}[/]")
        raise typer.Exit(1)
    return response.json() if response.content else None


if __name__ == "__main__":
    app()
