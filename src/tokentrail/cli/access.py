"""``tokentrail projects`` and ``tokentrail keys``: create, list and revoke projects and API keys (with
an admin key in ``TOKENTRAIL_API_KEY``, or on a loopback server that no key protects yet)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tokentrail.cli.base import DEFAULT_URL, Url, api_get, api_request, app, console

projects_app = typer.Typer(help="Create, list and archive projects.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(projects_app, name="projects")
app.add_typer(keys_app, name="keys")


@projects_app.command("list")
def list_projects(url: Url = DEFAULT_URL) -> None:
    """List projects."""
    table = Table("project", "description", "created", "archived")
    for project in api_get(url, "/api/v1/projects", {})["projects"]:
        archived = project["archived_at"] or ""
        table.add_row(project["name"], project["description"], project["created_at"], archived)
    console.print(table)


@projects_app.command("create")
def create_project(
    name: str,
    description: Annotated[str, typer.Option(help="What the project holds.")] = "",
    url: Url = DEFAULT_URL,
) -> None:
    """Create a project."""
    api_request("POST", url, "/api/v1/projects", {}, {"name": name, "description": description})
    console.print(f"project [bold]{name}[/] created; give it a key: tokentrail keys create --project {name}")


@projects_app.command("archive")
def archive_project(name: str, url: Url = DEFAULT_URL) -> None:
    """Archive a project and revoke its keys (its spans stay until purged or expired)."""
    api_request("DELETE", url, f"/api/v1/projects/{name}", {})
    console.print(f"project [bold]{name}[/] archived; its keys are revoked")


@keys_app.command("list")
def list_keys(
    project: Annotated[str | None, typer.Option(help="Only this project's keys.")] = None,
    url: Url = DEFAULT_URL,
) -> None:
    """List keys (never the keys themselves: they are shown once, when created)."""
    table = Table("id", "name", "project", "rights", "created", "revoked")
    for key in api_get(url, "/api/v1/keys", {"project": project})["keys"]:
        rights = "admin" if key["admin"] else ", ".join(key["rights"])
        revoked = key["revoked_at"] or ""
        table.add_row(key["id"], key["name"], key["project"] or "*", rights, key["created_at"], revoked)
    console.print(table)


@keys_app.command("create")
def create_key(
    project: Annotated[str | None, typer.Option(help="The key's project (not with --admin).")] = None,
    rights: Annotated[
        list[str] | None, typer.Option("--right", help="ingest, read or write; repeatable (default: ingest).")
    ] = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="An admin key: every project, keys, global rules.")
    ] = False,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "",
    url: Url = DEFAULT_URL,
) -> None:
    """Create a key and print it, this once."""
    granted = [] if admin else (rights or ["ingest"])
    body = {"name": name, "project": project, "admin": admin, "rights": granted}
    created = api_request("POST", url, "/api/v1/keys", {}, body)
    console.print(created["key"], soft_wrap=True, highlight=False)
    console.print(
        f"[dim]key {created['id']} ({'admin' if admin else ', '.join(created['rights'])}); shown only now. "
        f"OTLP: 'Authorization: Bearer <key>'; Langfuse SDK: public key {created['id']}, secret key <key>; "
        "LangSmith SDK: LANGSMITH_API_KEY=<key>.[/]",
        highlight=False,
    )


@keys_app.command("revoke")
def revoke_key(key_id: str, url: Url = DEFAULT_URL) -> None:
    """Revoke a key by its id."""
    api_request("DELETE", url, f"/api/v1/keys/{key_id}", {})
    console.print(f"key [bold]{key_id}[/] revoked")
