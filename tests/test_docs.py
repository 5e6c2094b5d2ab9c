"""The docs stay true to the code: every setting, route and command is documented, and the README's
test command is the one CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tokentrail.api import create_app
from tokentrail.cli import app as cli_app
from tokentrail.config import SETTINGS, Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_setting_is_documented(name):
    assert f"`{SETTINGS[name].env}`" in (DOCS / "configuration.md").read_text()


def api_routes() -> set[str]:
    """``METHOD /path`` of every route in the app's OpenAPI description (the pages are not API routes)."""
    paths = create_app(Settings()).openapi()["paths"]
    return {f"{method.upper()} {path}" for path, operations in paths.items() for method in operations}


def documented_routes() -> set[str]:
    """``METHOD /path`` of every route docs/api.md names in code quotes (a query string left off)."""
    api_doc = (DOCS / "api.md").read_text()
    return set(re.findall(r"`((?:GET|POST|PUT|PATCH|DELETE) /[^`?\s]*)", api_doc))


def test_every_route_is_documented():
    routes = api_routes()
    assert {"POST /v1/traces", "GET /api/v1/traces/{trace_id}", "GET /healthz"} <= routes
    assert routes - documented_routes() == set()


def test_the_api_docs_name_only_real_routes():
    assert documented_routes() - api_routes() == set()


def test_every_cli_command_is_documented():
    cli_doc = (DOCS / "cli.md").read_text()
    names = [command.name or command.callback.__name__ for command in cli_app.registered_commands]
    for group in cli_app.registered_groups:
        names += [f"{group.name} {command.name}" for command in group.typer_instance.registered_commands]
    assert {"serve", "demo", "traces", "trace", "prices list"} <= set(names)
    headings = [line for line in cli_doc.splitlines() if line.startswith("## ")]
    for name in names:
        assert any(f"`tokentrail {name}" in heading for heading in headings), name


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```sh\n(.+?)\n```", readme)
    install_and_serve, install_and_test = commands[0], commands[1]
    assert "tokentrail serve" in install_and_serve
    assert install_and_test in (ROOT / ".ci" / "run").read_text().splitlines()


def test_docs_link_to_files_that_exist():
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(((?:docs/)?[\w-]+\.md)\)", page.read_text()):
            assert (page.parent / target).exists(), (page.name, target)
