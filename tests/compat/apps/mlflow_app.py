"""An app traced by MLflow (mlflow-tracing): ``mlflow.openai.autolog()`` over the real ``openai`` client,
``@mlflow.trace`` on the app's own functions, every span exported over OTLP/HTTP to the test's live server.

``MLFLOW_SCENARIO`` picks what the app does; each turn is one trace, and the app reports the ids of its
traces in order. The test scripts the stand-in's replies before starting the app.

What mlflow-tracing 3.17.2 needs to export over OTLP at all (found running it; see ``test_mlflow.py``):

- ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, the full ``.../v1/traces`` URL, and **no**
  ``OTEL_EXPORTER_OTLP_ENDPOINT``: the latter also turns on MLflow's OTLP span-duration metrics, whose
  code reads the experiment id through a registry that only the full ``mlflow`` package has; the
  ``NameError`` ends every span without exporting it. ``run_app`` always sets it, so the app drops it.
- ``MLFLOW_TRACKING_URI`` set (to any URI but Databricks; in OTLP mode nothing contacts it): without it,
  MLflow looks for an ``mlruns`` folder through a module that imports ``sqlparse``, which mlflow-tracing
  does not install: every span is a no-op, with a warning ("Failed to start span ...: No module named
  'sqlparse'").

Session and user: ``mlflow.update_current_trace(session_id=..., user=...)`` is MLflow's own way, but it
writes trace metadata, which the OTLP export drops. The app calls it as a user would, and also sets
``session.id`` and ``user.id`` on its root span, which MLflow writes JSON-encoded (``"\\"s-1\\""``).
Trace tags (``update_current_trace(tags=...)``, ``mlflow.tracing.context(tags=...)``) are not an option:
MLflow writes them into the ended root span's attributes, which OpenTelemetry 1.45 keeps immutable, so the
root span fails to end and is never exported.
"""

from __future__ import annotations

import os
import sys

import mlflow
import openai
from common import report, stand_in_url
from mlflow.tracing.provider import provider

# Before the first span, when MLflow reads its configuration: the traces endpoint alone (see above).
os.environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)

USER = "ana@example.com"

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}

# The test environment also holds openai-agents, which this app does not use; autolog would import it to
# patch its runner (3 s). Hidden, autolog skips it as it does where it is not installed.
sys.modules["agents"] = None  # type: ignore[assignment]
mlflow.openai.autolog()
client = openai.OpenAI(base_url=stand_in_url() + "/v1", api_key="test", max_retries=0)
traces: list[str] = []


def in_session(session: str) -> None:
    """Put the turn's trace in ``session`` for ``USER``, the two ways an MLflow user would."""
    mlflow.update_current_trace(session_id=session, user=USER)
    root = mlflow.get_current_active_span()
    root.set_attributes({"session.id": session, "user.id": USER})
    traces.append(root.trace_id.removeprefix("tr-"))


@mlflow.trace(span_type="TOOL")
def get_weather(city: str) -> str:
    return "sunny"


@mlflow.trace(name="turn", span_type="AGENT")
def ask_with_cached_prompt(session: str) -> str:
    in_session(session)
    answer = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Why is a cached prompt cheaper?"},
        ],
    )
    return answer.choices[0].message.content or ""


@mlflow.trace(name="think", span_type="AGENT")
def think(session: str) -> str:
    in_session(session)
    answer = client.chat.completions.create(
        model="o4-mini",
        messages=[{"role": "user", "content": "Think hard, answer briefly."}],
        reasoning_effort="low",
    )
    return answer.choices[0].message.content or ""


@mlflow.trace(name="respond", span_type="AGENT")
def respond(session: str) -> str:
    in_session(session)
    response = client.responses.create(
        model="o4-mini", input="Use the Responses API.", instructions="Be brief."
    )
    return response.output_text


@mlflow.trace(name="weather", span_type="AGENT")
def weather(session: str) -> str:
    in_session(session)
    messages: list[dict[str, object]] = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[WEATHER_TOOL])
    (call,) = first.choices[0].message.tool_calls or []
    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": get_weather("Paris")})
    second = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[WEATHER_TOOL])
    return second.choices[0].message.content or ""


SCENARIOS = {
    "cached": [(ask_with_cached_prompt, "s-mlflow-chat")],
    "reasoning": [(think, "s-mlflow-reasoning"), (respond, "s-mlflow-reasoning")],
    "tool": [(weather, "s-mlflow-tool")],
}

if __name__ == "__main__":
    answers = [turn(session) for turn, session in SCENARIOS[os.environ["MLFLOW_SCENARIO"]]]
    provider.get().force_flush()  # MLflow's own tracer provider (a batch processor), not the global one
    print(f"answers: {answers}", file=sys.stderr)
    report({"traces": traces, "answers": answers})
