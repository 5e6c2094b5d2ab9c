"""``tokentrail estimate``: what hosted tracing offers would bill a month for the traces observed here, beside
what tokentrail's own store takes on disk for them."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table

from tokentrail.cli.base import DEFAULT_URL, ProjectOption, Url, api_get, app, console, iso_time
from tokentrail.documents.encoding import money
from tokentrail.estimate.offers import DAYS_PER_MONTH, OFFERS, monthly_bill

__all__ = ["estimate", "estimate_json"]


@app.command("estimate")
def estimate(
    traces_per_day: Annotated[
        float | None, typer.Option("--traces-per-day", min=0, help="Instead of the observed rate.")
    ] = None,
    spans_per_trace: Annotated[
        float | None, typer.Option("--spans-per-trace", min=0, help="Instead of the observed mean.")
    ] = None,
    url: Url = DEFAULT_URL,
    project: ProjectOption = None,
    since: Annotated[
        str, typer.Option("--since", help="The observed window's start: an age like 7d, or an ISO time.")
    ] = "7d",
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimate as JSON.")] = False,
) -> None:
    """Monthly bills of hosted tracing offers for this project's traces per day and spans per trace (read
    from the server unless both are given), and the disk tokentrail's store takes for them."""
    observed: dict[str, Any] | None = None
    if traces_per_day is None or spans_per_trace is None:
        observed = api_get(url, "/api/v1/usage-stats", {"project": project, "since": iso_time(since)})
    traces = _rate(traces_per_day, observed, lambda stats: stats["traces_per_day"])
    spans = _rate(spans_per_trace, observed, lambda stats: stats["spans_per_trace"]["mean"])
    report = estimate_json(traces, spans, observed)
    if as_json:
        console.print_json(json.dumps(report))
        return
    _print(report)


def _rate(given: float | None, observed: Any, read: Callable[[Any], str]) -> Decimal:
    """The rate given on the command line, else the one observed."""
    return Decimal(str(given)) if given is not None else Decimal(read(observed))


def estimate_json(
    traces_per_day: Decimal, spans_per_trace: Decimal, observed: dict[str, Any] | None
) -> dict[str, Any]:
    """The estimate as a document: each offer's bill, and the store's disk when ``observed`` (the server's
    ``/api/v1/usage-stats``) says what a span takes."""
    offers = []
    for offer in OFFERS:
        bill = monthly_bill(offer, traces_per_day, spans_per_trace)
        offers.append(
            {
                "vendor": offer.vendor,
                "plan": offer.plan,
                "unit": offer.unit,
                "units_per_month": money(bill.units),
                "monthly_bill": None if bill.amount is None else money(bill.amount),
                "how": offer.how,
                "note": offer.note,
                "as_of": offer.as_of.isoformat(),
                "source": list(offer.source),
            }
        )
    per_million = None if observed is None else observed["storage"]["compressed_bytes_per_million_spans"]
    spans_per_month = traces_per_day * DAYS_PER_MONTH * spans_per_trace
    return {
        "traces_per_day": money(traces_per_day),
        "spans_per_trace": money(spans_per_trace),
        "days_per_month": DAYS_PER_MONTH,
        "observed": observed,
        "offers": offers,
        "tokentrail": {
            "spans_per_month": money(spans_per_month),
            "compressed_bytes_per_million_spans": per_million,
            "disk_bytes_per_month": None
            if per_million is None
            else round(spans_per_month * per_million / 10**6),
        },
    }


def _print(report: dict[str, Any]) -> None:
    window = report["observed"]
    where = f"observed {window['start_time'][:10]} to {window['end_time'][:10]}" if window else "given"
    console.print(
        f"{report['traces_per_day']} traces a day, {report['spans_per_trace']} spans a trace ({where}); "
        f"a month of {report['days_per_month']} days. [bold]List prices change[/]: check each source."
    )
    table = Table("offer", "plan", "monthly bill", "how", "prices as of")
    for row in report["offers"]:
        bill = "over its limit" if row["monthly_bill"] is None else f"${Decimal(row['monthly_bill']):,.2f}"
        how = row["how"] + (f" [dim]({row['note']})[/]" if row["note"] else "")
        table.add_row(row["vendor"], row["plan"], bill, how, row["as_of"])
    console.print(table)
    own = report["tokentrail"]
    if own["compressed_bytes_per_million_spans"] is None:
        console.print(f"tokentrail: {_spans(own['spans_per_month'])} spans a month; disk per span unknown")
        return
    console.print(
        f"tokentrail: {own['compressed_bytes_per_million_spans'] / 2**20:,.1f} MiB per million spans "
        f"compressed in this store; {_spans(own['spans_per_month'])} spans a month take "
        f"{own['disk_bytes_per_month'] / 2**30:,.2f} GiB of disk"
    )


def _spans(count: str) -> str:
    return f"{Decimal(count):,.0f}"
