"""A small traceloop-sdk app, run in its own process by test_traceloop.py (see there why).

Usage: ``python traceloop_app.py TOKENTRAIL_URL ANTHROPIC_URL MODEL``. Runs one ``@workflow`` turn that
plans with a tool call (non-streaming), runs the tool and answers (streaming), then prints
``{"trace_id": ..., "answer": ...}`` as JSON on the last line of stdout.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

QUESTION = "Is it sunny in Lisbon?"
SESSION = "tl-session-7"
USER = "rita@example.com"
SYSTEM: Any = [
    {
        "type": "text",
        "text": "You answer questions about the weather.",
        "cache_control": {"type": "ephemeral"},
    }
]
WEATHER_TOOL: Any = {
    "name": "get_weather",
    "description": "The current weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def main(tokentrail_url: str, anthropic_url: str, model: str) -> None:
    # Metrics would go to {api_endpoint}/v1/metrics, which tokentrail does not serve.
    os.environ["TRACELOOP_METRICS_ENABLED"] = "false"
    os.environ["TRACELOOP_TRACE_CONTENT"] = "true"

    import anthropic
    from opentelemetry import trace
    from traceloop.sdk import Traceloop
    from traceloop.sdk.decorators import task, tool, workflow
    from traceloop.sdk.instruments import Instruments

    # No tracer provider is registered yet, so Traceloop creates one, sets it as the global provider and
    # exports each span as it ends ({api_endpoint}/v1/traces, OTLP/HTTP protobuf).
    Traceloop.init(
        app_name="weather-app",
        api_endpoint=tokentrail_url,
        disable_batch=True,
        telemetry_enabled=False,
        instruments={Instruments.ANTHROPIC},
    )
    client = anthropic.Anthropic(base_url=anthropic_url, api_key="test", max_retries=0)

    @tool(name="get_weather")
    def get_weather(city: str) -> dict[str, Any]:
        return {"city": city, "sky": "sunny", "temp_c": 24}

    @task(name="plan")
    def plan(question: str) -> dict[str, Any]:
        message = client.messages.create(
            model=model,
            max_tokens=256,
            system=SYSTEM,
            tools=[WEATHER_TOOL],
            messages=[{"role": "user", "content": question}],
        )
        (call,) = [block for block in message.content if block.type == "tool_use"]
        return dict(call.input)

    @task(name="answer")
    def answer(question: str, weather: dict[str, Any]) -> str:
        prompt = f"{question}\nWeather: {json.dumps(weather)}"
        with client.messages.stream(
            model=model, max_tokens=256, system=SYSTEM, messages=[{"role": "user", "content": prompt}]
        ) as stream:
            return "".join(stream.text_stream)

    result: dict[str, str] = {}

    @workflow(name="weather_turn")
    def weather_turn(question: str) -> str:
        result["trace_id"] = format(trace.get_current_span().get_span_context().trace_id, "032x")
        Traceloop.set_association_properties({"session_id": SESSION, "user_id": USER})
        arguments = plan(question)
        return answer(question, get_weather(arguments["city"]))

    result["answer"] = weather_turn(QUESTION)
    trace.get_tracer_provider().force_flush()  # type: ignore[attr-defined]
    print(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:4])
