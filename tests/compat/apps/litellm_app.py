"""LiteLLM's OpenTelemetry callback (``litellm.callbacks = ["otel"]``), set up as a LiteLLM user who sends
traces to their own OTLP backend does.

How the callback finds its tracer provider (``litellm/integrations/opentelemetry.py``, ``_init_tracing``):
when it is first built (on the first call, or when the app builds ``OpenTelemetry()`` itself) it takes the
global tracer provider if that is an SDK ``TracerProvider``; otherwise it builds its own from
``OTEL_EXPORTER_OTLP_PROTOCOL`` (else ``OTEL_EXPORTER``; default ``console``: spans to stdout, not OTLP),
``OTEL_EXPORTER_OTLP_ENDPOINT`` (else ``OTEL_ENDPOINT``; ``/v1/traces`` appended) and
``OTEL_EXPORTER_OTLP_HEADERS`` (else ``OTEL_HEADERS``), and sets it as the global one.

``LITELLM_PROVIDER`` picks which: ``app`` (default) sets the app's own global provider first (``common``);
``litellm`` builds the callback first (``OpenTelemetry()`` from the environment, which the test sets to
``http/protobuf`` and the live server), so LiteLLM's provider is the global one the app's span comes from.

The calls are ``litellm.completion`` against the stand-in APIs: OpenAI at ``STAND_IN_URL/v1``, Anthropic
at ``ANTHROPIC_URL``. ``LITELLM_PLAN`` (JSON) says what to run: ``{"session": ..., "user": ...,
"turns": [[call, ...], ...]}``, each turn in its own root span (``support turn``, with ``session.id``;
``user.id`` too unless ``"user_on_root": false``); a call is ``{"model": "openai/gpt-4o-mini"}`` (the
Anthropic ones send a cached system prompt), with ``"user": true`` to pass ``user=`` (LiteLLM's own way
to name the end user: ``llm.user`` on its span, and the provider's ``user`` / ``metadata.user_id``).

LiteLLM logs each call from a background thread after ``completion`` returns (``litellm.utils.executor``):
a turn's span stays open until the thread has logged its calls (``wait_for_logging``), because without
``USE_OTEL_LITELLM_REQUEST_SPAN=true`` LiteLLM writes the call onto that span, which must still be
recording. ``"end_at_once": true`` on a turn ends its span as soon as the calls return, as an app unaware
of that does.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import litellm
from common import report, stand_in_url, trace_id_of, tracer_provider
from litellm.integrations.custom_logger import CustomLogger
from opentelemetry import trace

ROOT = "support turn"
SYSTEM = "You answer questions about the weather. " * 8
QUESTION = "Is it sunny in Lisbon?"


def _completion(call: dict[str, Any], user: str) -> Any:
    model: str = call["model"]
    extra: dict[str, Any] = {"user": user} if call.get("user") else {}
    if model.startswith("anthropic/"):
        system = {"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}
        messages = [{"role": "system", "content": [system]}, {"role": "user", "content": QUESTION}]
        return litellm.completion(
            model=model,
            api_base=os.environ["ANTHROPIC_URL"],
            api_key="test-key",
            max_tokens=256,
            messages=messages,
            **extra,
        )
    return litellm.completion(
        model=model,
        api_base=stand_in_url() + "/v1",
        api_key="test-key",
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}],
        **extra,
    )


def wait_for_logging(calls: int, timeout: float = 20.0) -> None:
    """Block until LiteLLM's logging thread has logged ``calls`` calls in all (success callbacks run)."""
    deadline = time.monotonic() + timeout
    while _logged < calls:
        if time.monotonic() > deadline:
            raise TimeoutError(f"LiteLLM logged {_logged} of {calls} calls")
        time.sleep(0.01)


_logged = 0


class _Counter(CustomLogger):  # type: ignore[misc]
    """Counts the calls LiteLLM has logged (it runs after the otel callback, in the same thread)."""

    def log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        global _logged
        _logged += 1


def main() -> None:
    plan = json.loads(os.environ["LITELLM_PLAN"])
    if os.environ.get("LITELLM_PROVIDER", "app") == "litellm":
        from litellm.integrations.opentelemetry import OpenTelemetry

        otel: Any = OpenTelemetry()  # reads OTEL_EXPORTER_OTLP_* and sets its provider as the global one
        provider: Any = trace.get_tracer_provider()
    else:
        provider = tracer_provider("litellm-app")
        otel = "otel"
    litellm.callbacks = [otel, _Counter()]
    tracer = trace.get_tracer("litellm-app")

    turns = []
    logged = 0
    for turn in plan["turns"]:
        attributes = {"session.id": plan["session"]}
        if plan.get("user_on_root", True):
            attributes["user.id"] = plan["user"]
        with tracer.start_as_current_span(ROOT, attributes=attributes) as root:
            outputs = [_completion(call, plan["user"]).choices[0].message.content for call in turn["calls"]]
            logged += len(turn["calls"])
            if not turn.get("end_at_once"):
                wait_for_logging(logged)
        wait_for_logging(logged)
        turns.append({"trace_id": trace_id_of(root), "outputs": outputs})
    report({"turns": turns}, provider)


if __name__ == "__main__":
    main()
