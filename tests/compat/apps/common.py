"""What every instrumented app in this folder shares. It runs in the app's own process (and, for a library
whose pins conflict with the test environment's, in that library's own virtual environment), so it needs
nothing but the OpenTelemetry SDK and its OTLP/HTTP exporter.

The test that starts an app passes it everything in the environment: ``OTEL_EXPORTER_OTLP_ENDPOINT`` (the
live tokentrail server), ``STAND_IN_URL`` (the stand-in provider API); ``COMPAT_DUMP_SPANS=1`` also
prints every span to stderr. The app reports what the test needs to find its trace by printing one JSON
object as the last line of its standard output.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

__all__ = ["report", "stand_in_url", "trace_id_of", "tracer_provider"]


def stand_in_url() -> str:
    """The stand-in provider API's base URL (``http://127.0.0.1:<port>``)."""
    return os.environ["STAND_IN_URL"]


def tracer_provider(service: str, *, set_global: bool = True) -> TracerProvider:
    """A tracer provider exporting every span over OTLP/HTTP to the test's live server, set as the global
    one unless told otherwise. :func:`report` flushes it."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if os.environ.get("COMPAT_DUMP_SPANS"):  # to read what a library emits: every span to stderr
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    if set_global:
        trace.set_tracer_provider(provider)
    return provider


def trace_id_of(span: trace.Span) -> str:
    return format(span.get_span_context().trace_id, "032x")


def report(facts: dict[str, Any], *providers: TracerProvider) -> None:
    """Flush and shut down ``providers``, then print ``facts`` for the test as the last output line."""
    for provider in providers:
        provider.force_flush()
        provider.shutdown()
    sys.stdout.write("\n" + json.dumps(facts) + "\n")
    sys.stdout.flush()
