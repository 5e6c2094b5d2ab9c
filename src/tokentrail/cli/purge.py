"""``tokentrail purge``: erase a trace, a session's traces or a user's traces (the right to be
forgotten), through the running server, which holds the store."""

from __future__ import annotations

from typing import Annotated

import typer

from tokentrail.cli.base import DEFAULT_URL, Url, api_request, app, console


@app.command("purge")
def purge(
    project: Annotated[str, typer.Option("--project", help="The project the spans belong to.")],
    trace: Annotated[str | None, typer.Option("--trace", help="Erase this trace.")] = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Erase every trace of this session.")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Erase every trace of this user.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    url: Url = DEFAULT_URL,
) -> None:
    """Erase every span of a trace, a session or a user from the store, the write-ahead log and the
    quarantine. Spans of those traces that arrive afterwards are stored again: stop the sender first."""
    named = {"trace_id": trace, "session_id": session, "user_id": user}
    given = {field: value for field, value in named.items() if value is not None}
    if len(given) != 1:
        raise typer.BadParameter("give exactly one of --trace, --session or --user")
    [(field, value)] = given.items()
    what = f"{field.removesuffix('_id')} {value!r}"
    if not yes and not typer.confirm(
        f"Erase every trace of {what} in project {project!r}? This cannot be undone"
    ):
        raise typer.Exit(1)
    erased = api_request("POST", url, "/api/v1/purge", {"project": project}, given)
    console.print(
        f"erased {erased['traces']:,} traces ({erased['spans']:,} spans) of {what}"
        + (f" and {erased['quarantined_rows']:,} quarantined rows" if erased["quarantined_rows"] else "")
    )
