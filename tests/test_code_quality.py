"""The code stays formatted, linted and typed: the same checks a reviewer would run."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tokentrail.pricing.providers import DISCOUNT_SIGNALS
from tokentrail.semconv.compile import TABLES

ROOT = Path(__file__).resolve().parents[1]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    lint = _run(sys.executable, "-m", "ruff", "check", "src", "tests", "bench")
    formatting = _run(sys.executable, "-m", "ruff", "format", "--check", "src", "tests", "bench")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert formatting.returncode == 0, formatting.stdout + formatting.stderr


@pytest.mark.slow
def test_mypy_finds_nothing():
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def _imported_modules(path: Path) -> set[str]:
    """The modules a source file imports, by their full names."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_pages_do_not_import_the_api():
    """The HTML pages and the JSON API are two presenters of the same reads: neither is built on the
    other (the app, in ``tokentrail.api.app``, mounts both)."""
    ui = ROOT / "src" / "tokentrail" / "ui"
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in _imported_modules(path)
            if name == "tokentrail.api" or name.startswith("tokentrail.api.")
        )
        for path in sorted(ui.rglob("*.py"))
    }
    assert not {path: names for path, names in offenders.items() if names}


#: Most lines a source module may have: past it, a module holds more than one job.
MAX_MODULE_LINES = 400


def test_no_module_is_over_four_hundred_lines():
    sources = sorted((ROOT / "src" / "tokentrail").rglob("*.py"))
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in sources
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}


#: Modules outside semconv/ that may name convention attributes: the demo emits spans as an app does, the
#: SDK writes them (it imports nothing of the server; tests/sdk/test_attributes.py holds them to the table),
#: and a released migration reads the attributes of rows stored before a field existed (never edited again).
_MAY_NAME_ATTRIBUTES = {"demo.py", "sdk/attributes.py", "store/schema.py"}


def test_only_semconv_reads_convention_attribute_names():
    """Pricing, analysis, the store and the pages read canonical fields (``tool_name``, ``billing_tier``,
    messages through ``semconv.conversation``), never the names a convention sent them under."""
    # Dotted names only: OpenInference's `metadata` is also a column's name.
    claimed = {name for name in TABLES.claims if "." in name}
    claimed.update(attribute for attribute, _, _ in DISCOUNT_SIGNALS)
    prefixes = tuple(family.prefix for family in (*TABLES.lists, *TABLES.maps))
    package = ROOT / "src" / "tokentrail"
    offenders = {}
    for path in sorted(package.rglob("*.py")):
        where = str(path.relative_to(package))
        if where.startswith("semconv/") or where in _MAY_NAME_ATTRIBUTES:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        names = {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and (node.value in claimed or node.value.startswith(prefixes))
        }
        if names:
            offenders[where] = sorted(names)
    assert offenders == {}
