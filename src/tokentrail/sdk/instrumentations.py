"""The instrumentations ``init`` turns on: for each name, the instrumentors to try, best first.

The first one installed (with its library) is used; a name none of whose instrumentors is installed is
skipped. Each is switched by ``init(instrument={"openai": False})`` or ``TOKENTRAIL_INSTRUMENT_OPENAI=false``.
The extras of the ``tokentrail`` package install them: ``sdk-openai``, ``sdk-anthropic``,
``sdk-langchain``, ``sdk-llama-index``, ``sdk-web`` (httpx, requests, FastAPI, threading), ``sdk-celery``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping

from opentelemetry.trace import TracerProvider

__all__ = ["INSTRUMENTATIONS", "instrument"]

_logger = logging.getLogger("tokentrail.sdk")

#: Name -> ``module:Class`` of the instrumentors that can trace it, in order of preference.
INSTRUMENTATIONS: Mapping[str, tuple[str, ...]] = {
    "openai": (
        "openinference.instrumentation.openai:OpenAIInstrumentor",
        "opentelemetry.instrumentation.openai_v2:OpenAIInstrumentor",
    ),
    "anthropic": ("openinference.instrumentation.anthropic:AnthropicInstrumentor",),
    "langchain": ("openinference.instrumentation.langchain:LangChainInstrumentor",),
    "llama_index": ("openinference.instrumentation.llama_index:LlamaIndexInstrumentor",),
    "httpx": ("opentelemetry.instrumentation.httpx:HTTPXClientInstrumentor",),
    "requests": ("opentelemetry.instrumentation.requests:RequestsInstrumentor",),
    "fastapi": ("opentelemetry.instrumentation.fastapi:FastAPIInstrumentor",),
    "celery": ("opentelemetry.instrumentation.celery:CeleryInstrumentor",),
    # Not a library's calls: the context (span, session, user) carried into threads and thread pools.
    "threading": ("opentelemetry.instrumentation.threading:ThreadingInstrumentor",),
}


def instrument(provider: TracerProvider, switches: Mapping[str, bool]) -> dict[str, str]:
    """Turn on every instrumentation not switched off whose instrumentor is installed; returns the
    ``module:Class`` used for each name turned on (or found already on)."""
    unknown = sorted(set(switches) - set(INSTRUMENTATIONS))
    if unknown:
        raise ValueError(f"unknown instrumentation(s) {unknown}; known: {sorted(INSTRUMENTATIONS)}")
    used = {}
    for name, candidates in INSTRUMENTATIONS.items():
        if switches.get(name, True):
            found = next((path for path in candidates if _turned_on(path, provider)), None)
            if found is not None:
                used[name] = found
    return used


def _turned_on(path: str, provider: TracerProvider) -> bool:
    """Whether the instrumentor at ``path`` is on once asked (it is not installed, or its library is not:
    False)."""
    module_name, class_name = path.split(":")
    try:
        instrumentor = getattr(importlib.import_module(module_name), class_name)()
    except ImportError:
        return False
    if not instrumentor.is_instrumented_by_opentelemetry:
        try:
            # Checks its library's version itself, and does nothing (logged at debug) when it is absent.
            instrumentor.instrument(tracer_provider=provider)
        except Exception:  # an instrumentor's bug must not stop the app: log it and go on without it
            _logger.warning("tokentrail: could not turn on %s", path, exc_info=True)
            return False
    return bool(instrumentor.is_instrumented_by_opentelemetry)
