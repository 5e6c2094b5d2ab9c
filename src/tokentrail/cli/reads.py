"""Commands that read a running server: traces, one trace, unpriced spans, the quarantine."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.tree import Tree

from tokentrail.cli.base import DEFAULT_URL, ProjectOption, Url, api_get, app, console, iso_time
from tokentrail.display import duration, span_label, usd


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
    data = api_get(url, "/api/v1/traces", params)
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
    data = api_get(url, f"/api/v1/traces/{trace_id}", {"project": project})
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
    data = api_get(url, "/api/v1/costs/unpriced", {"project": project, "start": iso_time(since)})
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
    data = api_get(url, "/api/v1/quarantine", {"project": project, "limit": limit})
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
