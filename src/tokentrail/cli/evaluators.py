"""``tokentrail evaluators``: list, add, remove and run LLM-as-judge evaluators through the REST API (adding
and removing need an admin key in ``TOKENTRAIL_API_KEY``, or a loopback server that no key protects yet).
See docs/evaluations.md."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tokentrail.cli.base import DEFAULT_URL, Url, api_get, api_request, app, console

evaluators_app = typer.Typer(help="List, add, remove and run LLM-as-judge evaluators.", no_args_is_help=True)
app.add_typer(evaluators_app, name="evaluators")

ProjectOption = Annotated[str | None, typer.Option(help="The project (default: the key's, or the server's).")]


@evaluators_app.command("list")
def list_evaluators(project: ProjectOption = None, url: Url = DEFAULT_URL) -> None:
    """List evaluators: their judge, score and online rules."""
    table = Table("name", "judge", "score", "sample", "budget/day", "quiet s", "online")
    for found in api_get(url, "/api/v1/evaluators", {"project": project})["evaluators"]:
        table.add_row(
            found["name"],
            f"{found['provider']} {found['model']}",
            f"{found['score_name']} ({found['data_type']})",
            str(found["sample_rate"]),
            f"${found['daily_budget_usd']}",
            str(found["quiet_s"]),
            "on" if found["enabled"] else "off",
        )
    console.print(table)


@evaluators_app.command("add")
def add_evaluator(
    name: Annotated[str, typer.Argument(help="The evaluator's name (defining it again replaces it).")],
    model: Annotated[str, typer.Option(help="The judge model, e.g. gpt-4o-mini.")],
    prompt: Annotated[
        str, typer.Option(help="Template: {{input}} {{output}} {{context}} {{expected}} {{metadata.KEY}}.")
    ],
    score: Annotated[str, typer.Option(help="The name of the score it gives.")],
    provider: Annotated[str, typer.Option(help="openai (any compatible endpoint) or anthropic.")] = "openai",
    base_url: Annotated[str, typer.Option(help="The judge API's URL (default: the provider's).")] = "",
    api_key_env: Annotated[str, typer.Option(help="Server environment variable holding the key.")] = "",
    data_type: Annotated[str, typer.Option(help="numeric, boolean or categorical.")] = "numeric",
    categories: Annotated[
        list[str] | None, typer.Option("--category", help="A category (categorical); repeatable.")
    ] = None,
    sample_rate: Annotated[str, typer.Option(help="Share of new traces judged online, 0 to 1.")] = "1",
    daily_budget: Annotated[str, typer.Option(help="USD of judge calls per UTC day online (0: none).")] = "0",
    quiet_s: Annotated[int, typer.Option(help="Seconds a trace must be quiet before it is judged.")] = 30,
    trace_name: Annotated[str, typer.Option(help="Judge online only traces whose name has this.")] = "",
    service: Annotated[str, typer.Option(help="Judge online only traces of this service.")] = "",
    offline: Annotated[bool, typer.Option("--offline", help="Do not judge online; only on request.")] = False,
    project: ProjectOption = None,
    url: Url = DEFAULT_URL,
) -> None:
    """Define an evaluator. The key is read on the server from --api-key-env (never sent from here)."""
    body = {
        "project": project,
        "name": name,
        "provider": provider,
        "base_url": base_url,
        "model": model,
        "api_key_env": api_key_env,
        "prompt": prompt,
        "score_name": score,
        "data_type": data_type,
        "categories": categories or [],
        "filter": {"name": trace_name, "service": service},
        "sample_rate": sample_rate,
        "daily_budget_usd": daily_budget,
        "quiet_s": quiet_s,
        "enabled": not offline,
    }
    created = api_request("POST", url, "/api/v1/evaluators", {}, body)
    console.print(f"evaluator [bold]{created['name']}[/] defined: {created['provider']} {created['model']}")


@evaluators_app.command("rm")
def remove_evaluator(name: str, project: ProjectOption = None, url: Url = DEFAULT_URL) -> None:
    """Remove an evaluator: no more online judging (its scores stay)."""
    api_request("DELETE", url, f"/api/v1/evaluators/{name}", {"project": project})
    console.print(f"evaluator [bold]{name}[/] removed")


@evaluators_app.command("run")
def run_evaluator(
    name: str,
    trace_ids: Annotated[list[str], typer.Argument(help="The traces to judge now (at most 100).")],
    project: ProjectOption = None,
    url: Url = DEFAULT_URL,
) -> None:
    """Judge traces now; prints each one's score, judge trace, cost and error."""
    body = {"traces": [{"trace_id": trace_id} for trace_id in trace_ids]}
    result = api_request("POST", url, f"/api/v1/evaluators/{name}/run", {"project": project}, body)
    scores = {score["trace_id"]: score for score in result["scores"]}
    table = Table("trace", "score", "judge trace", "cost", "error")
    for run in result["runs"]:
        score = scores.get(run["trace_id"])
        shown = "" if score is None else score["string_value"] or str(score["value"])
        table.add_row(run["trace_id"], shown, run["run_id"], f"${run['cost']}", run["error"])
    console.print(table)
