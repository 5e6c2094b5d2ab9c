"""Forwarded spans read back the same: canonical spans encoded to OTLP (export.otlp_encode) and decoded and
normalized again by tokentrail's own chain keep their ids, tree, times, status, kind, model, usage, total
cost (stated, so a destination need not price it again), session, user, tags, metadata, input, output,
events and kept attributes."""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otlp_builders import new_trace_id, protobuf_request, span
from tokentrail.config import Settings
from tokentrail.export.otlp_encode import encode_spans
from tokentrail.ingest.chain import Batch
from tokentrail.ingest.otlp import PROTOBUF
from tokentrail.ingest.stages import processors
from tokentrail.model import Span

#: The fields of a span tokentrail reads from what it was sent (not ``ingested`` bookkeeping).
COMPARED = (
    *("trace_id", "span_id", "parent_span_id", "name", "service", "scope", "start_ns", "end_ns", "kind"),
    *("status", "error_type", "error_message", "provider", "request_model", "response_model"),
    *("response_id", "tool_name", "usage", "cost_total", "session_id", "user_id", "trace_name", "tags"),
    *("metadata", "input", "output", "attributes", "events"),
)


def _chain(body: bytes) -> list[Span]:
    batch = Batch(body=body, media_type=PROTOBUF)
    for processor in processors(Settings(), None)[:-1]:  # up to pricing and redaction, not store rows
        processor.process(batch)
    assert not batch.rejected
    return batch.spans


#: The stated cost is kept as received too (a JSON object is), beside the cost read from it.
STATED_COST = "langfuse.observation.cost_details"


def _fields(spans: list[Span]) -> list[dict[str, object]]:
    fields = [{name: getattr(one, name) for name in COMPARED} for one in spans]
    for one in fields:
        one["attributes"] = {k: v for k, v in one["attributes"].items() if k != STATED_COST}  # type: ignore[attr-defined]
    return fields


def _differences(before: list[Span], after: list[Span]) -> list[tuple[str, object, object]]:
    return [
        (name, was, now)
        for old, new in zip(_fields(before), _fields(after), strict=True)
        for name, was in old.items()
        if (now := new[name]) != was
    ]


def test_an_agent_trace_reads_back_the_same_after_encoding():
    trace = new_trace_id()
    root = span(
        "agent run",
        trace,
        attributes={
            "openinference.span.kind": "AGENT",
            "session.id": "s-1",
            "user.id": "u-7",
            "tag.tags": ["beta", "eu"],
            "metadata": '{"tenant": "acme"}',
            "input.value": "What is the refund policy?",
            "deployment": "blue",
        },
    )
    call = span(
        "chat gpt-4o",
        trace,
        parent=root["span_id"],
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.response.model": "gpt-4o-2024-08-06",
            "gen_ai.usage.input_tokens": 1200,
            "gen_ai.usage.output_tokens": 300,
            "gen_ai.usage.cache_read.input_tokens": 1000,
        },
    )
    failed = span("lookup", trace, parent=root["span_id"], error="ValueError: no such order")
    before = _chain(protobuf_request([root, call, failed], service="support"))
    after = _chain(encode_spans(before))
    assert _differences(before, after) == []
    assert after[1].cost_total > 0 and after[0].session_id == "s-1"


def test_spans_of_several_services_keep_their_resources():
    trace = new_trace_id()
    spans = _chain(protobuf_request([span("a", trace)], service="one")) + _chain(
        protobuf_request([span("b", trace)], service="two")
    )
    request = ExportTraceServiceRequest.FromString(encode_spans(spans))
    assert len(request.resource_spans) == 2
    assert [one.service for one in _chain(request.SerializeToString())] == ["one", "two"]


def test_no_spans_encode_to_nothing():
    assert encode_spans([]) == b""
