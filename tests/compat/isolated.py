"""Instrumented apps in their own process: an app script from ``tests/compat/apps/`` run against the live
server and a stand-in provider, in the test environment's Python or in a library's own virtual environment.

Some libraries set process-wide state the test process cannot undo (a global tracer provider of their own,
callbacks registered at import), and some pin versions that conflict with other libraries of the suite
(LlamaIndex's OpenAI integration needs ``openai`` 2, the rest of the suite runs 3). Both run here as a
subprocess. A library's own environment is built once from pinned requirements and cached between runs
under ``$TOKENTRAIL_COMPAT_VENVS`` (default ``~/.cache/tokentrail/compat-venvs``), keyed by the requirements
and the Python version, so a changed pin builds a new one.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["APPS", "library_python", "reported_facts", "run_app"]

APPS = Path(__file__).parent / "apps"

_VENVS = Path(
    os.environ.get("TOKENTRAIL_COMPAT_VENVS", Path.home() / ".cache" / "tokentrail" / "compat-venvs")
)

#: Every app exports with the OpenTelemetry SDK; its own environment needs these beside the library.
_APP_BASE = ("opentelemetry-sdk>=1.30", "opentelemetry-exporter-otlp-proto-http>=1.30")


def library_python(name: str, requirements: Sequence[str]) -> Path:
    """The Python of a virtual environment holding ``requirements`` (pinned), built on first use."""
    wanted = [*_APP_BASE, *requirements]
    key = hashlib.sha256("\n".join([sys.version, *wanted]).encode()).hexdigest()[:12]
    venv = _VENVS / f"{name}-{key}"
    python = venv / "bin" / "python"
    done = venv / ".complete"
    _VENVS.mkdir(parents=True, exist_ok=True)
    with open(_VENVS / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers or two checkouts build it once
        if done.exists():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *wanted],
            capture_output=True,
            text=True,
        )
        if installed.returncode != 0:
            raise RuntimeError(f"could not build the {name} environment:\n{installed.stderr[-4000:]}")
        done.touch()
    return python


def run_app(
    script: str,
    *,
    server_url: str,
    stand_in_url: str,
    env: Mapping[str, str | None] | None = None,
    python: Path | str = sys.executable,
    timeout: float = 180,
) -> dict[str, Any]:
    """Run ``apps/<script>`` exporting to ``server_url`` and calling ``stand_in_url``; the facts it reported.

    The app's environment is this process's without its ``OTEL_*`` settings, plus the endpoint, the
    stand-in's URL and ``env`` (where ``None`` removes a variable: MLflow wants only the traces endpoint).
    """
    environment = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_")}
    environment.update(
        OTEL_EXPORTER_OTLP_ENDPOINT=server_url,
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        STAND_IN_URL=stand_in_url,
        PYTHONPATH=str(APPS),
    )
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    completed = subprocess.run(
        [str(python), str(APPS / script)], capture_output=True, text=True, timeout=timeout, env=environment
    )
    return reported_facts(completed, script)


def reported_facts(completed: subprocess.CompletedProcess[str], app: str) -> dict[str, Any]:
    """What an app that ran to completion reported: the JSON object on its last output line."""
    if completed.returncode != 0:
        raise AssertionError(f"{app} exited {completed.returncode}:\n{completed.stderr[-6000:]}")
    lines = completed.stdout.strip().splitlines()
    if not lines:
        raise AssertionError(f"{app} reported nothing:\n{completed.stderr[-3000:]}")
    facts: dict[str, Any] = json.loads(lines[-1])
    return facts
