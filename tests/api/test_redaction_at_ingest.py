"""Redaction against a live server: a secret sent in any text of a span never reaches the write-ahead log's
bytes nor any table of the store, ids and costs come through unchanged, and a project's own rules apply to
that project only."""

from __future__ import annotations

import json

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from conftest import start_server
from otlp_builders import new_trace_id, protobuf_request, span

PROTOBUF = "application/x-protobuf"
OPENAI_KEY = "sk-proj-Zq8Wn3Rt5Yp1Ab2Cd3Ef4Gh5Ij6Kl7Mn8"
EMAIL = "jane.doe@customer-mail.example.com"
CARD = "4242 4242 4242 4242"
EMPLOYEE = "EMP-734512"
SECRETS = (OPENAI_KEY, EMAIL, CARD, EMPLOYEE)

RULES = """
[[rule]]
name = "employee_id"
pattern = 'EMP-\\d{6}'
project = "hr"

[[disable]]
project = "support"
rules = ["email"]
"""


def _leaky_request(trace_id: str, span_id: str) -> bytes:
    """An LLM call with the secrets in its input, output, attributes, an event, its name, its status and
    its resource."""
    said = f"my key is {OPENAI_KEY}, mail {EMAIL}, card {CARD}, badge {EMPLOYEE}"
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 5,
        "session.id": "session-17",
        "input.value": json.dumps([{"role": "user", "content": said}]),
        "output.value": f"noted: {said}",
        "app.note": said,
    }
    item = span(f"chat {EMAIL}", trace_id, span_id, attributes=attributes, error=f"refused {OPENAI_KEY}")
    request = ExportTraceServiceRequest.FromString(protobuf_request([item]))
    resource_spans = request.resource_spans[0]
    resource_spans.resource.attributes.append(
        KeyValue(key="deploy.owner", value=AnyValue(string_value=EMAIL))
    )
    event = resource_spans.scope_spans[0].spans[0].events.add()
    event.name, event.time_unix_nano = "log", 1
    event.attributes.append(KeyValue(key="message", value=AnyValue(string_value=said)))
    return request.SerializeToString()


def _wal_bytes(live) -> bytes:
    return b"".join(
        path.read_bytes() for path in sorted(live.settings.wal_dir(live.store.database).iterdir())
    )


def _store_text(store) -> str:
    """Every row of every table of the store, as text."""
    tables = [name for (name,) in store.query("SHOW TABLES")]
    return "\n".join(repr(store.query(f"SELECT * FROM `{table}`")) for table in tables)


def test_secrets_never_reach_the_log_or_the_store_and_costs_are_unchanged(store, tmp_path):
    rules = tmp_path / "redaction.toml"
    rules.write_text(RULES)
    # Flushes held back: what was accepted is still in the log when it is read.
    for live in start_server(store, tmp_path, redaction_file=rules, flush_interval_ms=600_000):
        trace_id, span_id = new_trace_id(), "00f067aa0ba902b7"

        response = live.post_otlp(
            _leaky_request(trace_id, span_id), PROTOBUF, **{"x-tokentrail-project": "hr"}
        )

        assert response.status_code == 200
        logged = _wal_bytes(live)
        assert trace_id.encode() in logged and span_id.encode() in logged  # the span is in the log
        assert b"[REDACTED:openai_key]" in logged and b"[REDACTED:employee_id]" in logged
        for secret in SECRETS:
            assert secret.encode() not in logged

        live.settle()
        stored = _store_text(live.store)
        assert trace_id in stored and "[REDACTED:card_number]" in stored
        for secret in SECRETS:
            assert secret not in stored
        (chat,) = live.get(f"/api/v1/traces/{trace_id}", project="hr").json()["spans"]
        assert chat["span_id"] == span_id and chat["session_id"] == "session-17"
        assert chat["request_model"] == "gpt-4o" and chat["usage"] == {"input": 1000, "output": 5}
        assert chat["cost"]["total"] == "0.00255"  # 1,000 input at $2.50/M and 5 output at $10/M


def test_a_projects_rules_apply_to_it_alone(store, tmp_path):
    rules = tmp_path / "redaction.toml"
    rules.write_text(RULES)
    for live in start_server(store, tmp_path, redaction_file=rules):
        stored = {}
        for project in ("shop", "support"):
            trace_id = new_trace_id()
            response = live.post_otlp(
                _leaky_request(trace_id, "00000000000000a1"), PROTOBUF, **{"x-tokentrail-project": project}
            )
            assert response.status_code == 200
            (stored[project],) = live.get(f"/api/v1/traces/{trace_id}", project=project).json()["spans"]

        assert EMPLOYEE in stored["shop"]["input"]  # hr's rule only
        assert EMAIL not in stored["shop"]["input"] and OPENAI_KEY not in stored["shop"]["input"]
        assert EMAIL in stored["support"]["input"]  # support switched the email rule off
        assert OPENAI_KEY not in stored["support"]["input"]
