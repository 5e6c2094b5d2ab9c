"""Fixtures for the compatibility tests: real instrumentation libraries exporting over OTLP to a live
tokentrail server on loopback, and the trace read back through the REST API.

Some libraries only use the global tracer provider (the anthropic SDK's native spans, LangSmith's OTel
mode), and OpenTelemetry lets a process set it once. So one global provider serves the whole test
process; its processor forwards each ended span to the OTLP exporter of the test that is running.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from tests.compat.traces import only_trace, tree_of

if TYPE_CHECKING:
    from conftest import LiveServer


#: Instrumentation scopes of the tokentrail server's own spans (it runs in the test process).
_SERVER_SCOPES = frozenset({"fastapi"})


class _CurrentTestProcessor(SpanProcessor):
    """Sends spans to whichever test's exporter is installed; drops none while one is, except the live
    server's own: FastAPI (0.165+) traces its requests natively through the global provider, and exporting
    those synchronously from the server's event loop to the same server would deadlock it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._target: SimpleSpanProcessor | None = None

    def install(self, target: SimpleSpanProcessor | None) -> None:
        with self._lock:
            previous, self._target = self._target, target
        if previous is not None:
            previous.shutdown()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        target = self._target
        scope = span.instrumentation_scope
        if target is not None and (scope is None or scope.name not in _SERVER_SCOPES):
            target.on_end(span)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        target = self._target
        return True if target is None else target.force_flush(timeout_millis)


_PROCESSOR = _CurrentTestProcessor()
_PROVIDER = TracerProvider(resource=Resource.create({"service.name": "compat-app"}))
_PROVIDER.add_span_processor(_PROCESSOR)
trace.set_tracer_provider(_PROVIDER)


@dataclass
class Exported:
    """The process's tracer provider, exporting every span as it ends to this test's live server."""

    provider: TracerProvider
    server: LiveServer

    def trace(self, trace_id: str, *, spans: int, timeout: float = 20.0) -> dict[str, Any]:
        """The trace tree from the API once it holds ``spans`` spans (exports and writes are async)."""
        self.provider.force_flush()
        return tree_of(self.server, trace_id, spans=spans, timeout=timeout)

    def only_trace(self, *, spans: int, timeout: float = 20.0) -> dict[str, Any]:
        """The one trace the server holds (each test has a fresh database)."""
        self.provider.force_flush()
        return only_trace(self.server, spans=spans, timeout=timeout)


@pytest.fixture
def exported(server: LiveServer) -> Iterator[Exported]:
    _PROCESSOR.install(SimpleSpanProcessor(OTLPSpanExporter(endpoint=server.url + "/v1/traces")))
    try:
        yield Exported(_PROVIDER, server)
    finally:
        _PROCESSOR.install(None)


def trace_id_of(span: trace.Span) -> str:
    return format(span.get_span_context().trace_id, "032x")


def by_name(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The tree's spans keyed by name (names must be unique in the scenario)."""
    nodes: dict[str, dict[str, Any]] = {}
    for node in tree["spans"]:
        assert node["name"] not in nodes, f"span name {node['name']!r} is not unique in this trace"
        nodes[node["name"]] = node
    return nodes
