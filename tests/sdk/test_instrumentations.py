"""Every instrumentation init finds installed is turned on, and each one's switch turns it off. Instrumentors
patch libraries process-wide, so each case runs in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tokentrail
from tokentrail.sdk.instrumentations import INSTRUMENTATIONS

SRC = Path(tokentrail.__file__).parents[1]

#: The ones this test environment installs (LlamaIndex runs in its own environment, tests/compat).
INSTALLED = sorted(set(INSTRUMENTATIONS) - {"llama_index"})

_SCRIPT = """
import json, importlib, tokentrail
tokentrail.init("http://127.0.0.1:9")
used = dict(tokentrail.sdk.configure.installed().instrumentations)
def on(path):
    module, name = path.split(":")
    try:
        return getattr(importlib.import_module(module), name)().is_instrumented_by_opentelemetry
    except ImportError:
        return False
print(json.dumps({"used": used, "patched": {name: any(map(on, paths)) for name, paths in %r.items()}}))
"""


def _init(**env: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT % dict(INSTRUMENTATIONS)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC), **env},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_installed_instrumentation_is_turned_on_by_default():
    result = _init()
    assert sorted(result["used"]) == INSTALLED
    assert result["used"]["openai"] == INSTRUMENTATIONS["openai"][0]  # OpenInference is preferred
    assert {name for name, patched in result["patched"].items() if patched} == set(INSTALLED)


@pytest.mark.parametrize("name", INSTALLED)
def test_each_instrumentation_has_its_switch(name):
    result = _init(**{f"TOKENTRAIL_INSTRUMENT_{name.upper()}": "false"})
    assert name not in result["used"]
    assert result["patched"][name] is False
    assert sorted(result["used"]) == sorted(set(INSTALLED) - {name})


def test_an_unknown_instrumentation_name_is_refused():
    with pytest.raises(ValueError, match="unknown instrumentation"):
        tokentrail.sdk.instrumentations.instrument(None, {"opena1": True})  # type: ignore[arg-type]
