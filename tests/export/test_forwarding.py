"""Forwarding end to end, to a second tokentrail server on loopback (a subprocess with its own store):

- through the LangSmith preset (``/otel/v1/traces``, ``x-api-key``) and the Langfuse preset
  (``/api/public/otel/v1/traces``, Basic auth), each pointed at the destination by its SDK's base-URL
  variable and holding a real key of its own project there, the destination's trees match the source's:
  span ids, parents, names, kinds, usage, costs and sessions;
- a secret a redaction rule masks never reaches the destination;
- a destination that refuses for good (a wrong key: 401) is the destination's last error, its spans counted
  as failed, and ingest is still answered 200;
- a queue at its limit answers ingest with 503 and Retry-After.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import _free_port, start_server
from export.servers import ADMIN, eventually, project_key, serve, span_counts, stop
from otlp_builders import new_trace_id, protobuf_request, span
from tokentrail.ingest.otlp import PROTOBUF
from tokentrail.store.database import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def destination(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second tokentrail server, with authentication on, in a process of its own."""
    port = _free_port()
    process = serve(
        tmp_path_factory.mktemp("destination"), port, TOKENTRAIL_ADMIN_KEY=ADMIN["authorization"][7:]
    )
    yield f"http://127.0.0.1:{port}"
    stop(process)


def _agent_trace(secret: str = "") -> tuple[str, bytes]:
    trace = new_trace_id()
    now = time.time_ns()
    root = span(
        "agent run",
        trace,
        start_ns=now,
        attributes={
            "openinference.span.kind": "AGENT",
            "session.id": "s-42",
            "input.value": f"order {secret}",
        },
    )
    call = span(
        "chat gpt-4o",
        trace,
        parent=root["span_id"],
        start_ns=now,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 1200,
            "gen_ai.usage.output_tokens": 300,
        },
    )
    tool = span("lookup order", trace, parent=root["span_id"], start_ns=now, error="KeyError: order")
    return trace, protobuf_request([root, call, tool], service="support")


def _tree(url: str, trace: str, project: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    found = httpx.get(
        f"{url}/api/v1/traces/{trace}", params={"project": project}, headers=headers, timeout=30
    )
    found.raise_for_status()
    return [
        {
            "span_id": node["span_id"],
            "parent_span_id": node["parent_span_id"],
            "name": node["name"],
            "kind": node["kind"],
            "status": node["status"],
            "usage": node["usage"],
            "cost": node["cost"]["total"],
        }
        for node in found.json()["spans"]
    ]


def _session(url: str, trace: str, project: str, headers: dict[str, str] | None = None) -> str:
    listed = httpx.get(
        f"{url}/api/v1/traces", params={"project": project}, headers=headers, timeout=30
    ).json()
    return next(one["session_id"] for one in listed["traces"] if one["trace_id"] == trace)


def _forwarded(server: Any) -> dict[str, dict[str, Any]]:
    status = httpx.get(server.url + "/api/v1/forwarding", timeout=30).json()
    return {one["name"]: one for one in status["destinations"]}


def test_the_presets_deliver_the_same_trees_to_langsmith_and_langfuse_paths(
    destination: str, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    _, smith_key = project_key(destination, "via-langsmith")
    fuse_id, fuse_key = project_key(destination, "via-langfuse")
    monkeypatch.setenv("LANGSMITH_API_KEY", smith_key)
    monkeypatch.setenv("LANGSMITH_ENDPOINT", destination)
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", fuse_id)
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", fuse_key)
    monkeypatch.setenv("LANGFUSE_BASE_URL", destination)
    for server in start_server(store, tmp_path, forward=("langsmith", "langfuse")):
        trace, body = _agent_trace()
        assert server.post_otlp(body, PROTOBUF).status_code == 200
        server.settle()
        source = _tree(server.url, trace, "default")
        for project in ("via-langsmith", "via-langfuse"):
            eventually(lambda project=project: span_counts(destination, project), lambda n: n == 3)
            assert _tree(destination, trace, project, ADMIN) == source
            assert (
                _session(destination, trace, project, ADMIN)
                == "s-42"
                == _session(server.url, trace, "default")
            )
        status = _forwarded(server)
        assert status["langsmith"]["url"] == destination + "/otel/v1/traces"
        assert status["langfuse"]["url"] == destination + "/api/public/otel/v1/traces"
        assert status["langsmith"]["sent_spans"] == 3 and status["langsmith"]["queued_spans"] == 0
        assert smith_key not in str(status) and "Basic" not in str(status)  # header values masked
        metrics = httpx.get(server.url + "/metrics", timeout=30).text
        assert 'tokentrail_forward_sent_spans_total{destination="langfuse"} 3.0' in metrics
        assert "Forwarding" in httpx.get(server.url + "/forwarding", timeout=30).text


def test_a_masked_secret_never_reaches_the_destination(destination: str, store: Store, tmp_path: Path):
    _, key = project_key(destination, "redacted")
    rules = tmp_path / "redaction.toml"
    rules.write_text('[[rule]]\nname = "order"\npattern = "ORD-[0-9]{6}"\n')
    for server in start_server(
        store,
        tmp_path,
        redaction_file=rules,
        forward=(f"dest={destination}/v1/traces",),
        forward_headers=(f"dest=x-api-key:{key}",),
    ):
        trace, body = _agent_trace(secret="ORD-123456")
        assert server.post_otlp(body, PROTOBUF).status_code == 200
        eventually(lambda: span_counts(destination, "redacted"), lambda n: n == 3)
        found = httpx.get(
            f"{destination}/api/v1/traces/{trace}", params={"project": "redacted"}, headers=ADMIN, timeout=30
        ).text
        assert "[REDACTED:order]" in found and "ORD-123456" not in found


def test_a_refusing_destination_is_the_last_error_and_ingest_goes_on(
    destination: str, store: Store, tmp_path: Path
):
    for server in start_server(
        store,
        tmp_path,
        forward=(f"dest={destination}/v1/traces",),
        forward_headers=("dest=x-api-key:not-a-key",),
    ):
        _, body = _agent_trace()
        assert server.post_otlp(body, PROTOBUF).status_code == 200
        status = eventually(lambda at=server: _forwarded(at)["dest"], lambda one: one["failed_spans"] == 3)
        assert status["failed_spans"] == 3 and status["sent_spans"] == 0 and status["queued_spans"] == 0
        assert status["last_error"]["message"].startswith("HTTP 401")


def test_a_full_queue_answers_503_with_retry_after(store: Store, tmp_path: Path):
    nowhere = f"http://127.0.0.1:{_free_port()}/v1/traces"
    for server in start_server(store, tmp_path, forward=(f"down={nowhere}",), forward_queue_mb=1):
        answers = []
        while len(answers) < 200 and (not answers or answers[-1].status_code == 200):
            payload = "x" * 60_000
            spans = [span(f"s{i}", new_trace_id(), attributes={"input.value": payload}) for i in range(4)]
            answers.append(server.post_otlp(protobuf_request(spans), PROTOBUF))
        assert answers[-1].status_code == 503 and answers[-1].headers["retry-after"]
        assert "forwarding queue" in answers[-1].text
        assert all(answer.status_code == 200 for answer in answers[:-1]) and len(answers) > 2
