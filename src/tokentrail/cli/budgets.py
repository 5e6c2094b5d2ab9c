"""``tokentrail budgets``: list, add and remove budgets through the REST API (adding and removing need
an admin key in ``TOKENTRAIL_API_KEY``, or a loopback server that no key protects yet)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tokentrail.cli.base import DEFAULT_URL, Url, api_get, api_request, app, console

budgets_app = typer.Typer(help="List, add and remove spend budgets and their webhooks.", no_args_is_help=True)
app.add_typer(budgets_app, name="budgets")

ProjectOption = Annotated[str | None, typer.Option(help="The project (default: the key's, or the server's).")]


@budgets_app.command("list")
def list_budgets(project: ProjectOption = None, url: Url = DEFAULT_URL) -> None:
    """List budgets with this period's spend, projection and alerts."""
    table = Table("id", "name", "scope", "period", "spend", "amount", "projected", "alerts this period")
    for budget in api_get(url, "/api/v1/budgets", {"project": project})["budgets"]:
        scope = budget["scope"]["kind"] + (f" {budget['scope']['value']}" if budget["scope"]["value"] else "")
        status = budget["status"]
        alerts = ", ".join(f"{a['kind']} {a['threshold']} ({a['state']})" for a in budget["alerts"])
        table.add_row(
            budget["id"],
            budget["name"],
            scope,
            budget["period"],
            f"${status['spend']}",
            f"${budget['amount']}",
            f"${status['projected']}" if status["projected"] is not None else "",
            alerts,
        )
    console.print(table)


@budgets_app.command("add")
def add_budget(
    amount: Annotated[str, typer.Argument(help="USD per period, e.g. 250 or 12.50.")],
    name: Annotated[str, typer.Option(help="What the budget is for.")] = "",
    scope: Annotated[str, typer.Option(help="project, tag, user or service.")] = "project",
    value: Annotated[str, typer.Option(help="The tag, user or service (not for a project budget).")] = "",
    period: Annotated[str, typer.Option(help="day or month (UTC).")] = "month",
    thresholds: Annotated[
        list[str] | None,
        typer.Option("--threshold", help="A fraction of the amount; repeatable (default 0.5, 0.8, 1)."),
    ] = None,
    webhook: Annotated[str, typer.Option(help="URL alerts are POSTed to (signed JSON).")] = "",
    project: ProjectOption = None,
    url: Url = DEFAULT_URL,
) -> None:
    """Add a budget; prints its id (and its webhook's signing secret, this once)."""
    body = {
        "project": project,
        "name": name,
        "scope": {"kind": scope, "value": value},
        "period": period,
        "amount": amount,
        "thresholds": thresholds or None,
        "webhook_url": webhook,
    }
    created = api_request("POST", url, "/api/v1/budgets", {}, body)
    console.print(f"budget [bold]{created['id']}[/] added: ${created['amount']} per {created['period']}")
    if created.get("webhook_secret"):
        console.print("webhook secret (shown only now):", highlight=False)
        console.print(created["webhook_secret"], soft_wrap=True, highlight=False)


@budgets_app.command("rm")
def remove_budget(budget_id: str, project: ProjectOption = None, url: Url = DEFAULT_URL) -> None:
    """Remove a budget: no more checks or alerts."""
    api_request("DELETE", url, f"/api/v1/budgets/{budget_id}", {"project": project})
    console.print(f"budget [bold]{budget_id}[/] removed")
