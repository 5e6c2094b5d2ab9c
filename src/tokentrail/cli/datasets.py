"""``tokentrail datasets``: list a project's datasets, and upload a JSON Lines or CSV file of items to one
(made if it does not exist), through the REST API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tokentrail.cli.base import DEFAULT_URL, ProjectOption, Url, api_get, api_request, app, console

datasets_app = typer.Typer(help="List datasets and upload items to them.", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")


@datasets_app.command("list")
def list_datasets(project: ProjectOption = None, url: Url = DEFAULT_URL) -> None:
    """List datasets with their item counts."""
    table = Table("id", "name", "items", "created", "description")
    for dataset in api_get(url, "/api/v1/datasets", {"project": project})["datasets"]:
        table.add_row(
            dataset["id"],
            dataset["name"],
            str(dataset["item_count"]),
            dataset["created_at"],
            dataset["description"],
        )
    console.print(table)


@datasets_app.command("upload")
def upload(
    name: Annotated[str, typer.Argument(help="The dataset (made when the project has none of that name).")],
    file: Annotated[Path, typer.Argument(help="A .jsonl or .csv file: input, expected_output, metadata.")],
    project: ProjectOption = None,
    url: Url = DEFAULT_URL,
) -> None:
    """Add every item of a file to a dataset; a bad line adds nothing and names its number."""
    if not file.is_file():
        raise typer.BadParameter(f"no file {file}", param_hint="FILE")
    found = api_get(url, "/api/v1/datasets", {"project": project, "name": name})["datasets"]
    dataset = (
        found[0]
        if found
        else api_request("POST", url, "/api/v1/datasets", {"project": project}, {"name": name})
    )
    file_format = "csv" if file.suffix.lower() == ".csv" else "jsonl"
    added = api_request(
        "POST",
        url,
        f"/api/v1/datasets/{dataset['id']}/upload",
        {"project": project, "format": file_format},
        content=file.read_bytes(),
    )
    console.print(f"{len(added['items'])} items added to [bold]{name}[/] ({dataset['id']})")
