"""What every ``tokentrail`` command shares: the app, the console, the common options and the REST
client the reading commands talk to a running server through."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

app = typer.Typer(help="tokentrail: trace trees of LLM applications with exact costs.", no_args_is_help=True)
console = Console()

DEFAULT_URL = "http://127.0.0.1:4318"
#: The variable the commands read their API key from.
API_KEY_ENV = "TOKENTRAIL_API_KEY"
Url = Annotated[str, typer.Option("--url", envvar="TOKENTRAIL_URL", help="Base URL of a tokentrail server.")]
ProjectOption = Annotated[
    str | None, typer.Option("--project", help="Project (default: the server's default).")
]

_AGE_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def iso_time(value: str | None, option: str = "--since") -> str | None:
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


def api_get(url: str, path: str, params: dict[str, Any]) -> Any:
    return api_request("GET", url, path, params)


def api_request(
    method: str,
    url: str,
    path: str,
    params: dict[str, Any],
    body: dict[str, Any] | None = None,
    *,
    content: bytes | None = None,
) -> Any:
    """Call the REST API with the key in ``TOKENTRAIL_API_KEY``, if set, sending ``body`` as JSON (or
    ``content`` as it is); an unreachable server or an error answer ends the command with its message."""
    clean = {key: value for key, value in params.items() if value is not None}
    key = os.environ.get(API_KEY_ENV)
    headers = {"authorization": f"Bearer {key}"} if key else None
    try:
        response = httpx.request(
            method,
            url.rstrip("/") + path,
            params=clean,
            json=body,
            content=content,
            headers=headers,
            timeout=30,
        )
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
