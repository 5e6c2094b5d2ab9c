"""One user question across three services, as each service's OpenTelemetry SDK would export it: a
gateway enqueues a Celery task, a worker runs it and calls a priced tool service over HTTP."""

from __future__ import annotations

from otlp_builders import NOW_NS, protobuf_request, span

MS = 1_000_000


def three_service_requests(trace_id: str) -> dict[str, bytes]:
    """The OTLP request each service sends (one resource each), by service name. Hops: gateway → worker
    by queue, 40 ms after the enqueuing span started; worker → tools by HTTP, 2 ms after the call."""
    question = span(
        "POST /ask", trace_id, start_ns=NOW_NS, duration_ms=400, attributes={"http.route": "/ask"}
    )
    enqueue = span(
        "apply_async/answer",
        trace_id,
        parent=question["span_id"],
        start_ns=NOW_NS + 5 * MS,
        duration_ms=3,
        attributes={"celery.action": "apply_async", "messaging.message.id": "task-1"},
    )
    run = span(
        "run/answer",
        trace_id,
        parent=enqueue["span_id"],
        start_ns=NOW_NS + 45 * MS,
        duration_ms=300,
        attributes={"celery.action": "run", "messaging.destination": "celery"},
    )
    call = span(
        "POST",
        trace_id,
        parent=run["span_id"],
        start_ns=NOW_NS + 60 * MS,
        duration_ms=100,
        attributes={"http.method": "POST", "http.url": "http://tools:8001/price"},
    )
    serve = span(
        "POST /price",
        trace_id,
        parent=call["span_id"],
        start_ns=NOW_NS + 62 * MS,
        duration_ms=90,
        attributes={"http.method": "POST", "http.route": "/price", "tool.cost_usd": "0.05"},
    )
    return {
        "gateway": protobuf_request([question, enqueue], service="gateway"),
        "worker": protobuf_request([run, call], service="worker"),
        "tools": protobuf_request([serve], service="tools"),
    }
