"""``tokentrail explain``: why the cost changed, as the parts of the change and what drives each."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table

from tokentrail.cli.base import DEFAULT_URL, ProjectOption, Url, api_get, app, console, iso_time
from tokentrail.display import percent_change, signed_usd, usd

_Filter = Annotated[str | None, typer.Option(help="Only traces with this value (both sets).")]
_BAR_WIDTH = 24


@app.command("explain")
def explain(
    url: Url = DEFAULT_URL,
    since: Annotated[
        str, typer.Option("--since", help="Start of the new window: an age (7d) or ISO time.")
    ] = "7d",
    until: Annotated[
        str | None, typer.Option("--until", help="End of the new window (default: now).")
    ] = None,
    vs: Annotated[
        str,
        typer.Option(
            "--vs", help="The old window: 'previous' (as long, just before), or its start (age or ISO)."
        ),
    ] = "previous",
    vs_until: Annotated[str | None, typer.Option("--vs-until", help="End of the old window.")] = None,
    compare: Annotated[
        str | None,
        typer.Option(
            help="Compare two values of a field over one window: "
            "name, service, model, user, session, tag, version, attribute (name=value)."
        ),
    ] = None,
    old: Annotated[
        str | None, typer.Option("--old", help="With --compare: the old value; else an old trace id.")
    ] = None,
    new: Annotated[
        str | None, typer.Option("--new", help="With --compare: the new value; else a new trace id.")
    ] = None,
    name: _Filter = None,
    service: _Filter = None,
    model: _Filter = None,
    user: _Filter = None,
    tag: _Filter = None,
    version: _Filter = None,
    attribute: Annotated[str | None, typer.Option(help="Only traces with a span holding name=value.")] = None,
    drivers: Annotated[int, typer.Option(min=0, max=100, help="Drivers shown per part.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's document.")] = False,
    project: ProjectOption = None,
) -> None:
    """Split the change in cost between two windows, releases or traces into its parts."""
    params: dict[str, Any] = {
        "project": project,
        "drivers": drivers,
        "name": name,
        "service": service,
        "model": model,
        "user": user,
        "tag": tag,
        "version": version,
        "attribute": attribute,
    }
    if compare is None and (old or new):
        params.update(old_trace=old, new_trace=new)
    else:
        params.update(start=iso_time(since), end=iso_time(until, "--until"))
        if compare is not None:
            params.update(compare=compare, old_value=old, new_value=new)
        elif vs != "previous":
            params.update(vs_start=iso_time(vs, "--vs"), vs_end=iso_time(vs_until, "--vs-until"))
    body = api_get(url, "/api/v1/explain", params)
    if as_json:
        console.print_json(json.dumps(body))
        return
    print_explanation(body)


def print_explanation(body: dict[str, Any]) -> None:
    """The change, a waterfall of its parts, and each part's largest drivers."""
    old, new, change = body["old"], body["new"], Decimal(body["change"])
    ratio = f" ({percent_change(body['change_ratio'])})" if body["change_ratio"] is not None else ""
    console.print(
        f"{old['label']}: [bold]{usd(old['cost'])}[/] over {old['traces']:,} traces -> "
        f"{new['label']}: [bold]{usd(new['cost'])}[/] over {new['traces']:,} traces: "
        f"[bold]{signed_usd(change)}[/]{ratio}"
    )
    moved = [part for part in body["parts"] if Decimal(part["amount"])]
    if not moved:
        console.print("nothing changed")
        return
    largest = max(abs(Decimal(part["amount"])) for part in moved)
    table = Table("part", "change", "", "largest driver")
    for part in moved:
        amount = Decimal(part["amount"])
        bar = "█" * max(1, round(_BAR_WIDTH * abs(amount) / largest))
        colour = "red" if amount > 0 else "green"
        top = part["drivers"][0]["text"] if part["drivers"] else ""
        table.add_row(part["label"], signed_usd(amount), f"[{colour}]{bar}[/]", top)
    table.add_row("[bold]total[/]", f"[bold]{signed_usd(change)}[/]", "", "")
    console.print(table)
    for part in moved:
        for driver in part["drivers"][1:]:
            console.print(f"  {part['label']}: {signed_usd(driver['amount'])}  {driver['text']}")
    console.print(f"[dim]{body['method']}[/]")
