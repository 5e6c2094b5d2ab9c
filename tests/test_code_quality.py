"""The code stays formatted, linted and typed: the same checks a reviewer would run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
