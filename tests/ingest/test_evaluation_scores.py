"""OpenTelemetry evaluation events sent by the real OpenTelemetry SDK (``span.add_event``) become scores
on the span they are on, or on the span that answered the response they name, once; a failed evaluation
is no score."""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

EVENT = "gen_ai.evaluation.result"


def _tracer(memory: InMemorySpanExporter):
    provider = TracerProvider(resource=Resource.create({"service.name": "support"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return provider.get_tracer("evals")


def _export(server, memory: InMemorySpanExporter) -> None:
    OTLPSpanExporter(endpoint=server.url + "/v1/traces").export(memory.get_finished_spans())


def _scores(server, **filters):
    return sorted(server.get("/api/v1/scores", **filters).json()["scores"], key=lambda s: s["name"])


def test_evaluation_events_on_a_span_are_its_scores_once_however_often_it_is_sent(server):
    memory = InMemorySpanExporter()
    with _tracer(memory).start_as_current_span("chat gpt-4o") as span:
        span.add_event(
            EVENT,
            {
                "gen_ai.evaluation.name": "relevance",
                "gen_ai.evaluation.score.value": 0.8,
                "gen_ai.evaluation.explanation": "answers the question",
            },
        )
        span.add_event(EVENT, {"gen_ai.evaluation.name": "tone", "gen_ai.evaluation.score.label": "polite"})
        span.add_event(EVENT, {"gen_ai.evaluation.name": "broken", "error.type": "timeout"})
    trace_id, span_id = f"{span.context.trace_id:032x}", f"{span.context.span_id:016x}"

    _export(server, memory)
    _export(server, memory)
    scores = _scores(server, trace_id=trace_id)

    assert [
        (s["name"], s["data_type"], s["value"], s["string_value"], s["comment"], s["span_id"]) for s in scores
    ] == [
        ("relevance", "numeric", 0.8, "", "answers the question", span_id),
        ("tone", "categorical", None, "polite", "", span_id),
    ]
    assert {(s["source"], s["evaluator"], s["run_id"]) for s in scores} == {
        ("evaluator", "relevance", ""),
        ("evaluator", "tone", ""),
    }


def test_an_event_naming_a_response_scores_the_span_that_answered_it(server):
    memory = InMemorySpanExporter()
    tracer = _tracer(memory)
    with tracer.start_as_current_span(
        "chat gpt-4o",
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.response.id": "chatcmpl-42",
        },
    ) as answered:
        pass
    _export(server, memory)
    server.settle()
    memory.clear()
    with tracer.start_as_current_span("judge") as judge:  # a trace of its own, later
        judge.add_event(
            EVENT,
            {
                "gen_ai.evaluation.name": "faithful",
                "gen_ai.evaluation.score.value": 1,
                "gen_ai.response.id": "chatcmpl-42",
            },
        )
    _export(server, memory)

    (score,) = _scores(server, name="faithful")

    assert (score["trace_id"], score["span_id"]) == (
        f"{answered.context.trace_id:032x}",
        f"{answered.context.span_id:016x}",
    )
    assert score["run_id"] == f"{judge.context.trace_id:032x}"
