"""One user question across three services, as each service's OpenTelemetry SDK would export it: a
gateway enqueues a Celery task, a worker runs it and calls a priced tool service over HTTP."""

from __future__ import annotations

from otlp_builders import NOW_NS, new_span_id, protobuf_request, span

MS = 1_000_000

# Each span: service, name, its parent (by name), start after the question (ms), duration (ms), attributes.
_SPANS = (
    ("gateway", "POST /ask", "", 0, 400, {"http.route": "/ask"}),
    (
        "gateway",
        "apply_async/answer",
        "POST /ask",
        5,
        3,
        {"celery.action": "apply_async", "messaging.message.id": "t1"},
    ),
    (
        "worker",
        "run/answer",
        "apply_async/answer",
        45,
        300,
        {"celery.action": "run", "messaging.destination": "celery"},
    ),
    ("worker", "POST", "run/answer", 60, 100, {"http.method": "POST", "http.url": "http://tools:8001/price"}),
    (
        "tools",
        "POST /price",
        "POST",
        62,
        90,
        {"http.method": "POST", "http.route": "/price", "tool.cost_usd": "0.05"},
    ),
)


def three_service_requests(trace_id: str) -> dict[str, bytes]:
    """The OTLP request each service sends (one resource each), by service name. Hops: gateway → worker
    by queue, 40 ms after the enqueuing span started; worker → tools by HTTP, 2 ms after the call."""
    ids = {name: new_span_id() for _, name, *_ in _SPANS}
    by_service: dict[str, list[dict[str, object]]] = {}
    for service, name, parent, start_ms, duration_ms, attributes in _SPANS:
        built = span(
            name,
            trace_id,
            ids[name],
            ids.get(parent, ""),
            start_ns=NOW_NS + start_ms * MS,
            duration_ms=duration_ms,
            attributes=attributes,
        )
        by_service.setdefault(service, []).append(built)
    return {service: protobuf_request(spans, service=service) for service, spans in by_service.items()}
