"""The SDK installed on a fresh tracer provider per test (``init`` is once per process, so each test
shuts it down after), with an in-memory exporter beside tokentrail's to read the spans back."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import tokentrail
from tokentrail.sdk.instrumentations import INSTRUMENTATIONS

#: Instrumentors patch libraries process-wide: tests in this process keep them off (subprocesses test them).
NO_INSTRUMENTATION = dict.fromkeys(INSTRUMENTATIONS, False)


def closed_port() -> int:
    """A loopback port nothing listens on (a tokentrail server that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Traced:
    provider: TracerProvider
    memory: InMemorySpanExporter

    def spans(self) -> dict[str, ReadableSpan]:
        """The ended spans by name."""
        return {span.name: span for span in self.memory.get_finished_spans()}


def install(endpoint: str, **options: object) -> Iterator[Traced]:
    provider = TracerProvider()
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tokentrail.init(endpoint, tracer_provider=provider, instrument=NO_INSTRUMENTATION, **options)  # type: ignore[arg-type]
    try:
        yield Traced(provider, memory)
    finally:
        tokentrail.shutdown(timeout=1)


@pytest.fixture
def traced() -> Iterator[Traced]:
    """The SDK sending to a server that is down (the spans are read from memory)."""
    yield from install(f"http://127.0.0.1:{closed_port()}", export_timeout=0.2)


@pytest.fixture
def limited() -> Iterator[Traced]:
    """Like ``traced``, payloads capped at 100 characters."""
    yield from install(f"http://127.0.0.1:{closed_port()}", export_timeout=0.2, max_payload_chars=100)


@pytest.fixture
def traced_live(server) -> Iterator[Traced]:  # type: ignore[no-untyped-def]
    """The SDK sending to the live test server."""
    yield from install(server.url, service="sdk-test")
