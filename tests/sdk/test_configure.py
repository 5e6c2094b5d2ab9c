"""init: beside an app's own tracer provider (its processors keep working, ours are added, nothing is
replaced), harmless when called twice, configured from the environment alone; and ``import tokentrail``
stays light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import tokentrail
from conftest import ADMIN_KEY, bearer
from tokentrail.sdk import configure
from tokentrail.sdk.instrumentations import INSTRUMENTATIONS

SRC = Path(tokentrail.__file__).parents[1]


def _run(script: str, **env: str) -> dict:
    """``script`` in a fresh Python (init and the global tracer provider are once per process); it prints
    one JSON line."""
    environment = {**os.environ, "PYTHONPATH": str(SRC), **env}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=environment, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_tokentrail_imports_neither_the_server_nor_opentelemetry():
    found = _run(
        "import json, sys, tokentrail; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'fastapi', 'chdb', 'clickhouse_connect', 'opentelemetry', 'uvicorn'})))"
    )
    assert found == []


def test_init_adds_to_the_apps_provider_and_keeps_its_processors(server):
    spans = _run(
        f"""
import json
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
import tokentrail

app_provider = TracerProvider()
memory = InMemorySpanExporter()
app_provider.add_span_processor(SimpleSpanProcessor(memory))
trace.set_tracer_provider(app_provider)
provider = tokentrail.init("{server.url}", service="ignored")
again = tokentrail.init("http://elsewhere:1")

with tokentrail.session("s-app"):
    with trace.get_tracer("app").start_as_current_span("app span"):
        pass
ok = tokentrail.flush(10)
print(json.dumps({{"same": provider is app_provider is again, "flushed": ok,
                  "memory": [s.name for s in memory.get_finished_spans()],
                  "session": memory.get_finished_spans()[0].attributes.get("tokentrail.session.id")}}))
""",
        TOKENTRAIL_INSTRUMENT_THREADING="false",
    )
    assert spans == {"same": True, "flushed": True, "memory": ["app span"], "session": "s-app"}
    (trace,) = server.get("/api/v1/traces").json()["traces"]
    assert (trace["name"], trace["session_id"]) == ("app span", "s-app")


def test_init_reads_the_environment_alone(secured_server):
    result = _run(
        """
import json, tokentrail
provider = tokentrail.init()

@tokentrail.trace
def step():
    return 1

step()
print(json.dumps({"flushed": tokentrail.flush(10),
                  "service": provider.resource.attributes["service.name"],
                  "on": sorted(tokentrail.sdk.configure.installed().instrumentations)}))
""",
        TOKENTRAIL_ENDPOINT=secured_server.url,
        TOKENTRAIL_API_KEY=ADMIN_KEY,
        TOKENTRAIL_PROJECT="env-project",
        OTEL_SERVICE_NAME="from-env",
        **{f"TOKENTRAIL_INSTRUMENT_{name.upper()}": "false" for name in INSTRUMENTATIONS},
    )
    assert result == {"flushed": True, "service": "from-env", "on": []}
    secured_server.settle()
    traces = httpx.get(
        secured_server.url + "/api/v1/traces", params={"project": "env-project"}, headers=bearer(ADMIN_KEY)
    ).json()["traces"]
    assert [(trace["name"], trace["service"]) for trace in traces] == [("step", "from-env")]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TOKENTRAIL_PROTOCOL", "http/json", "unknown OTLP protocol"),
        ("TOKENTRAIL_CAPTURE_CONTENT", "maybe", "TOKENTRAIL_CAPTURE_CONTENT"),
    ],
)
def test_a_bad_environment_value_is_named_at_init(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=message):
        tokentrail.init()
    assert configure.installed() is None
