"""Commands for how long the store keeps each project's spans: ``tokentrail retention list|set``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tokentrail.cli.base import DEFAULT_URL, Url, api_get, api_request, app, console

retention_app = typer.Typer(help="List and set how long each project's spans are kept.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")


def _days(days: int) -> str:
    return "forever" if days == 0 else f"{days} days"


@retention_app.command("list")
def list_retention(url: Url = DEFAULT_URL) -> None:
    """List every project's retention, and the default the others follow."""
    data = api_get(url, "/api/v1/retention", {})
    console.print(f"default: {_days(data['default_days'])} (TOKENTRAIL_RETENTION_DAYS)")
    table = Table("project", "kept", "set for the project")
    for entry in data["projects"]:
        table.add_row(entry["project"], _days(entry["days"]), "yes" if entry["own"] else "no: the default")
    console.print(table)


@retention_app.command("set")
def set_retention(
    project: Annotated[str, typer.Argument(help="The project.")],
    days: Annotated[int, typer.Argument(help="Days its spans are kept; 0 keeps them forever.", min=0)],
    url: Url = DEFAULT_URL,
) -> None:
    """Keep a project's spans this many days: the store deletes older ones itself."""
    api_request("PUT", url, f"/api/v1/retention/{project}", {}, {"days": days})
    console.print(f"project [bold]{project}[/] keeps its spans {_days(days)}")
