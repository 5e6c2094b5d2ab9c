"""Priced traces for the cost explainer's tests: a turn (a root and a chat call with usage, maybe a paid
tool) and a way to send turns, with resource attributes such as a release."""

from __future__ import annotations

from otlp_builders import new_trace_id, protobuf_request, span

PROTOBUF = "application/x-protobuf"


def turn(
    start_ns: int,
    tokens_in: int,
    tokens_out: int,
    model: str = "gpt-4o",
    *,
    name: str = "answer",
    tool: str | None = None,
    route: str | None = None,
    call_attributes: dict | None = None,
):
    """One trace: a root span and a chat call with usage (priced by the catalog, with any
    ``call_attributes`` besides), and maybe a paid tool."""
    trace_id = new_trace_id()
    root = span(
        name,
        trace_id,
        start_ns=start_ns,
        duration_ms=900,
        attributes={"http.route": route} if route else None,
    )
    chat = span(
        "chat",
        trace_id,
        parent=root["span_id"],
        start_ns=start_ns + 1_000,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": model,
            "gen_ai.usage.input_tokens": tokens_in,
            "gen_ai.usage.output_tokens": tokens_out,
            **(call_attributes or {}),
        },
    )
    spans = [root, chat]
    if tool:
        spans.append(
            span(
                "web_search",
                trace_id,
                parent=root["span_id"],
                start_ns=start_ns + 2_000,
                attributes={"tool.cost_usd": tool},
            )
        )
    return trace_id, spans


def send(server, traces, **resource):
    spans = [item for _, trace_spans in traces for item in trace_spans]
    response = server.post_otlp(protobuf_request(spans, resource=resource or None), PROTOBUF)
    assert response.status_code == 200, response.text
    server.settle()
