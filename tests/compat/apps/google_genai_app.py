"""The ``google-genai`` SDK on the Gemini Developer API, traced by one of its two instrumentations.

``GENAI_INSTRUMENTATION`` picks it: ``openinference`` (``openinference-instrumentation-google-genai``,
``GoogleGenAIInstrumentor``) or ``opentelemetry`` (the OpenTelemetry contrib
``opentelemetry-instrumentation-google-genai``, ``GoogleGenAiSdkInstrumentor``; its message content only
with ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=span_only``, which the test sets). The client is
``genai.Client(api_key=..., http_options={"base_url": STAND_IN_URL})``: the Gemini Developer API, not
Vertex AI.

Five turns of one conversation, each in the app's own root span ``turn`` with ``session.id`` and
``user.id`` (neither instrumentation has a mechanism of its own for them), in this order:

- ``ask``: ``models.generate_content`` with thinking on (``include_thoughts``), answered from a context
  cache (the stand-in counts cached content and thoughts);
- ``stream``: ``models.generate_content_stream``, read to the end;
- ``tools``: ``models.generate_content`` with a Python function as its tool, so the SDK's automatic
  function calling asks the model, runs the function and asks again: two model responses in one call;
- ``code``: ``models.generate_content`` with the built-in code execution tool, whose tool-use prompt the
  API counts apart (``toolUsePromptTokenCount``);
- ``error``: ``models.generate_content`` answered with an API error, which the app catches.

It reports each turn's trace id, the texts it got, what the SDK's own objects said about usage, and each
span's name, instrumentation scope and raw provider attributes as the library wrote them.
"""

from __future__ import annotations

import os
from typing import Any

from common import report, stand_in_url, trace_id_of, tracer_provider
from google import genai
from google.genai import errors, types
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

MODEL = "gemini-2.5-flash"
#: Raw attributes that name the provider, in every convention an instrumentation may write.
PROVIDER_ATTRIBUTES = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")


def instrument(which: str) -> None:
    if which == "openinference":
        from openinference.instrumentation.google_genai import GoogleGenAIInstrumentor

        GoogleGenAIInstrumentor().instrument()
    elif which == "opentelemetry":
        from opentelemetry.instrumentation.google_genai import GoogleGenAiSdkInstrumentor

        GoogleGenAiSdkInstrumentor().instrument()
    else:
        raise SystemExit(f"GENAI_INSTRUMENTATION must be openinference or opentelemetry, not {which!r}")


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def usage_of(response: types.GenerateContentResponse) -> dict[str, Any]:
    usage = response.usage_metadata
    return usage.model_dump(exclude_none=True, mode="json") if usage else {}


def main() -> None:
    provider = tracer_provider("google-genai-app")
    spans = InMemorySpanExporter()  # to report the raw provider attributes as the library wrote them
    provider.add_span_processor(SimpleSpanProcessor(spans))
    instrument(os.environ["GENAI_INSTRUMENTATION"])
    tracer = trace.get_tracer("google-genai-app")
    client = genai.Client(api_key="test-key", http_options={"base_url": stand_in_url()})
    session, user = os.environ["GENAI_SESSION"], os.environ["GENAI_USER"]
    facts: dict[str, Any] = {}

    def turn(name: str) -> Any:
        attributes = {"session.id": session, "user.id": user, "turn": name}
        return tracer.start_as_current_span("turn", attributes=attributes)

    with turn("ask") as root:
        thinking = types.ThinkingConfig(include_thoughts=True, thinking_budget=1024)
        response = client.models.generate_content(
            model=MODEL,
            contents="Why is a cached prompt cheaper?",
            config=types.GenerateContentConfig(
                system_instruction="Answer in one sentence.", thinking_config=thinking
            ),
        )
    facts["ask"] = {"trace_id": trace_id_of(root), "text": response.text, "usage": usage_of(response)}

    with turn("stream") as root:
        pieces, last = [], None
        for chunk in client.models.generate_content_stream(model=MODEL, contents="Stream a short answer."):
            pieces.append(chunk.text or "")
            last = chunk
    assert last is not None
    facts["stream"] = {"trace_id": trace_id_of(root), "text": "".join(pieces), "usage": usage_of(last)}

    with turn("tools") as root:
        response = client.models.generate_content(
            model=MODEL,
            contents="Is it sunny in Lisbon?",
            config=types.GenerateContentConfig(tools=[get_weather]),
        )
    history = response.automatic_function_calling_history or []
    facts["tools"] = {
        "trace_id": trace_id_of(root),
        "text": response.text,
        "usage": usage_of(response),
        "history": [content.model_dump(exclude_none=True, mode="json") for content in history],
    }

    with turn("code") as root:
        response = client.models.generate_content(
            model=MODEL,
            contents="What is the sum of the numbers from 1 to 100? Run code to check.",
            config=types.GenerateContentConfig(tools=[types.Tool(code_execution=types.ToolCodeExecution())]),
        )
    facts["code"] = {"trace_id": trace_id_of(root), "text": response.text, "usage": usage_of(response)}

    with turn("error") as root:
        try:
            client.models.generate_content(model=MODEL, contents="Fail, please.")
        except errors.APIError as error:
            failure = {"code": error.code, "status": error.status, "message": error.message}
    facts["error"] = {"trace_id": trace_id_of(root), "error": failure}

    facts["spans"] = [
        {
            "name": span.name,
            "scope": span.instrumentation_scope.name if span.instrumentation_scope else None,
            "provider": {
                name: span.attributes[name] for name in PROVIDER_ATTRIBUTES if name in span.attributes
            },
        }
        for span in spans.get_finished_spans()
        if span.name != "turn"
    ]
    report(facts, provider)


if __name__ == "__main__":
    main()
