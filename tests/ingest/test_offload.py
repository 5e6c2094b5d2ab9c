"""The chain's processors in a pool of ingest processes: the same answers as on a thread, duplicates still
marked across requests, and bad bodies and bad spans answered as on a thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from conftest import LiveServer, start_server
from otlp_builders import new_span_id, new_trace_id, protobuf_request, span
from tokentrail.store.database import Store

PROTOBUF = "application/x-protobuf"

pytestmark = pytest.mark.slow  # spawning the ingest process takes a few seconds


@pytest.fixture
def pooled_server(store: Store, tmp_path: Path) -> Iterator[LiveServer]:
    yield from start_server(store, tmp_path, ingest_processes=1)


def _llm(name: str, trace_id: str, parent: str = "", span_id: str | None = None) -> dict[str, object]:
    return span(
        name,
        trace_id,
        span_id,
        parent,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 1200,
            "gen_ai.usage.output_tokens": 80,
        },
    )


def test_spans_prepared_in_an_ingest_process_come_back_priced(pooled_server):
    trace_id = new_trace_id()
    root = span("turn", trace_id, attributes={"session.id": "s-1"})
    body = protobuf_request([root, _llm("chat", trace_id, parent=root["span_id"])])

    assert pooled_server.post_otlp(body, PROTOBUF).status_code == 200

    tree = pooled_server.get(f"/api/v1/traces/{trace_id}").json()
    assert tree["span_count"] == 2
    assert tree["spans"][1]["kind"] == "llm"
    assert tree["spans"][1]["cost"]["origin"] == "inferred"
    assert tree["cost"] == tree["spans"][1]["cost"]["total"]


def test_a_layer_arriving_in_a_later_request_is_still_marked_as_the_same_call(pooled_server):
    trace_id, outer_id = new_trace_id(), new_span_id()
    outer = _llm("framework", trace_id, span_id=outer_id)
    inner = _llm("sdk", trace_id, parent=outer_id)

    pooled_server.post_otlp(protobuf_request([inner]), PROTOBUF)
    pooled_server.post_otlp(protobuf_request([outer]), PROTOBUF)

    spans = {node["name"]: node for node in pooled_server.get(f"/api/v1/traces/{trace_id}").json()["spans"]}
    assert spans["framework"]["duplicate_of"] == spans["sdk"]["span_id"]
    assert spans["sdk"]["duplicate_of"] is None


def test_bad_bodies_and_bad_spans_are_answered_as_on_a_thread(pooled_server):
    trace_id = new_trace_id()
    good = span("good", trace_id)
    bad = span("bad", trace_id)
    bad["span_id"] = "00" * 8
    body = protobuf_request([good, bad])

    response = pooled_server.post_otlp(body, PROTOBUF)
    assert response.status_code == 200
    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert partial.rejected_spans == 1
    assert "span_id must be 8 non-zero bytes" in partial.error_message

    assert pooled_server.post_otlp(body[:-7], PROTOBUF).status_code == 400
    assert pooled_server.get(f"/api/v1/traces/{trace_id}").json()["span_count"] == 1
