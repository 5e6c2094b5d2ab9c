"""A pydantic-ai agent traced by Logfire, set up as a Logfire user who sends to their own OTLP backend does.

``logfire.configure(send_to_logfire=False)`` adds an OTLP/HTTP span exporter by itself when
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (the test sets it to the live tokentrail server): no
``additional_span_processors`` needed. ``metrics=False`` keeps Logfire from also posting metrics to
``<endpoint>/v1/metrics``, which a traces-only backend does not serve. ``logfire.instrument_pydantic_ai()``
instruments every agent.

Two turns of one conversation, each in the app's own root span (``support turn``, with ``user.id``): the
first asks a question the agent answers after one tool call (two model requests), the second a follow-up
answered at once (one request). The conversation is pydantic-ai's own: ``conversation_id=`` on the run
(inherited from ``message_history`` when left out, a fresh UUID7 when there is none), which pydantic-ai writes
as ``gen_ai.conversation.id`` on the agent run span and puts in the baggage, which Logfire copies onto every
span below. ``session.id`` set by hand on a Logfire span would reach the server as
``[Scrubbed due to 'session']``: Logfire's default scrubbing matches the word "session" in attribute names.

``PAI_MODEL`` picks the model: ``gemini`` (``GoogleModel`` on ``GoogleProvider(base_url=STAND_IN_URL)``, the
stand-in Gemini API) or ``openai`` (``OpenAIChatModel`` on ``OpenAIProvider(base_url=STAND_IN_URL/v1)``).
``PAI_INSTRUMENT_OPENAI=1`` adds ``logfire.instrument_openai()``, ``PAI_INSTRUMENT_GOOGLE_GENAI=1``
``logfire.instrument_google_genai()``: a span of the provider SDK's for each call, inside pydantic-ai's.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import logfire
from common import report, stand_in_url
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from pydantic_ai import Agent
from pydantic_ai.models import Model
from pydantic_ai.settings import ModelSettings

ROOT = "support turn"
QUESTIONS = ("Is it sunny in Lisbon?", "And tomorrow?")


def _model() -> tuple[Model, ModelSettings]:
    """The model, and the agent's model settings for it."""
    name = os.environ["PAI_MODEL_NAME"]
    if os.environ["PAI_MODEL"] == "gemini":
        from pydantic_ai.models.google import GoogleModel, GoogleModelSettings
        from pydantic_ai.providers.google import GoogleProvider

        provider = GoogleProvider(api_key="test-key", base_url=stand_in_url())
        # Thought summaries in the answer (Gemini 2.5 thinks either way; this only shows it).
        settings = GoogleModelSettings(google_thinking_config={"include_thoughts": True})
        return GoogleModel(name, provider=provider), settings
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    provider = OpenAIProvider(base_url=stand_in_url() + "/v1", api_key="test-key")
    return OpenAIChatModel(name, provider=provider), ModelSettings()


def main() -> None:
    dump = os.environ.get("COMPAT_DUMP_SPANS")
    logfire.configure(
        send_to_logfire=False,
        service_name="pydantic-ai-app",
        console=False,
        metrics=False,
        additional_span_processors=[SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr))]
        if dump
        else None,
    )
    logfire.instrument_pydantic_ai()
    if os.environ.get("PAI_INSTRUMENT_OPENAI"):
        logfire.instrument_openai()
    if os.environ.get("PAI_INSTRUMENT_GOOGLE_GENAI"):
        logfire.instrument_google_genai()

    model, settings = _model()
    agent = Agent(
        model,
        instructions="You answer questions about the weather.",
        name="weather_agent",
        model_settings=settings,
    )

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    session, user = os.environ["PAI_SESSION"], os.environ["PAI_USER"]
    turns: list[dict[str, Any]] = []
    history = None
    for question in QUESTIONS:
        with logfire.span(ROOT, **{"user.id": user}) as root:
            result = agent.run_sync(question, message_history=history, conversation_id=session)
        history = result.all_messages()
        turns.append(
            {
                "trace_id": format(root.get_span_context().trace_id, "032x"),
                "output": result.output,
                "requests": result.usage.requests,
            }
        )
    logfire.force_flush()
    report({"turns": turns})
    logfire.shutdown()


if __name__ == "__main__":
    main()
