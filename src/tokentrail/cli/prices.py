"""Commands that change prices: price rules and re-pricing."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from tokentrail.cli.base import DEFAULT_URL, ProjectOption, Url, api_get, api_request, app, console, iso_time
from tokentrail.display import signed_usd, usd


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

    body = {"since": iso_time(since, "--since"), "until": iso_time(until, "--until"), "dry_run": dry_run}
    job = api_request("POST", url, "/api/v1/reprice", {"project": project}, body)
    columns = (TextColumn("re-pricing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("reprice", total=None)
        while job["state"] == "running":
            progress.update(task, total=job["total_spans"] or None, completed=job["done_spans"])
            time.sleep(0.2)
            job = api_get(url, f"/api/v1/reprice/{job['id']}", {})
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
    data = api_get(url, "/api/v1/prices", {"project": project})
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
        "effective_from": iso_time(effective_from, "--effective-from"),
        "prices": prices,
        "note": note,
    }
    rule = api_request("PUT", url, f"/api/v1/prices/{rule_id}", {"project": project}, body)
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
    api_request("DELETE", url, f"/api/v1/prices/{rule_id}", {"project": project})
    console.print(f"price rule [bold]{rule_id}[/] removed")
