"""``init``: tracing turned on in a few lines, from arguments or the environment; ``flush`` and
``shutdown`` for scripts, workers and serverless functions.

``init`` adds its processors (the context stamper and the bounded OTLP batch exporter) to the app's SDK
tracer provider when there is one, and installs a new one only when there is none: an app's own
processors keep working. A second call changes nothing and returns the same provider.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider

from tokentrail.sdk import capture, instrumentations
from tokentrail.sdk.capture import DEFAULT_MAX_PAYLOAD_CHARS, Capture
from tokentrail.sdk.context import ContextSpanProcessor
from tokentrail.sdk.exporting import BoundedBatchProcessor, dropped_spans, otlp_exporter

__all__ = ["ENVIRONMENT", "Installed", "flush", "init", "installed", "shutdown"]

_logger = logging.getLogger("tokentrail.sdk")

#: The project's key is a bearer token; the project header picks a project for an admin key.
_AUTHORIZATION = "authorization"
_PROJECT_HEADER = "x-tokentrail-project"
_DEFAULT_ENDPOINTS = {"http": "http://localhost:4318", "grpc": "http://localhost:4317"}
_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})


def _flag(text: str) -> bool:
    if text.strip().lower() not in _TRUE | _FALSE:
        raise ValueError(f"expected true or false, got {text!r}")
    return text.strip().lower() in _TRUE


def _protocol(text: str) -> str:
    # OTEL_EXPORTER_OTLP_PROTOCOL's names: http/protobuf and grpc (http/json is not offered).
    return {"http/protobuf": "http"}.get(text.strip().lower(), text.strip().lower())


#: ``init`` argument -> (environment variables read when it is not given, first set wins; parser).
ENVIRONMENT: Mapping[str, tuple[tuple[str, ...], Callable[[str], Any]]] = {
    "endpoint": (("TOKENTRAIL_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"), str),
    "api_key": (("TOKENTRAIL_API_KEY",), str),
    "service": (("TOKENTRAIL_SERVICE", "OTEL_SERVICE_NAME"), str),
    "project": (("TOKENTRAIL_PROJECT",), str),
    "protocol": (("TOKENTRAIL_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"), _protocol),
    "capture_content": (("TOKENTRAIL_CAPTURE_CONTENT",), _flag),
    "max_payload_chars": (("TOKENTRAIL_MAX_PAYLOAD_CHARS",), int),
    "redaction_file": (("TOKENTRAIL_REDACTION_FILE",), Path),
    "export_timeout": (("TOKENTRAIL_EXPORT_TIMEOUT",), float),
    "max_queue_size": (("TOKENTRAIL_MAX_QUEUE_SIZE",), int),
    "api_url": (("TOKENTRAIL_API_URL",), str),
}
_INSTRUMENT_PREFIX = "TOKENTRAIL_INSTRUMENT_"


def _from_environment(name: str, given: Any, default: Any) -> Any:
    if given is not None:
        return given
    variables, parse = ENVIRONMENT[name]
    for variable in variables:
        text = os.environ.get(variable)
        if text:
            try:
                return parse(text)
            except ValueError as exc:
                raise ValueError(f"{variable}: {exc}") from None
    return default


def _switches(given: Mapping[str, bool] | None) -> dict[str, bool]:
    """Each instrumentation's switch: ``TOKENTRAIL_INSTRUMENT_<NAME>``, overridden by ``instrument=``."""
    switches = {
        name: _flag(os.environ[_INSTRUMENT_PREFIX + name.upper()])
        for name in instrumentations.INSTRUMENTATIONS
        if os.environ.get(_INSTRUMENT_PREFIX + name.upper())
    }
    return {**switches, **(given or {})}


@dataclass(frozen=True)
class Installed:
    """What ``init`` set up: the provider its processors are on, and the instrumentations turned on."""

    provider: TracerProvider
    exporter: BoundedBatchProcessor
    instrumentations: Mapping[str, str]
    #: The tracer ``@trace`` and ``@tool`` start their spans with.
    tracer: trace_api.Tracer
    #: Where ``score``, datasets and experiments reach tokentrail's HTTP API, and the headers they send.
    api_url: str = _DEFAULT_ENDPOINTS["http"]
    api_headers: Mapping[str, str] = field(default_factory=dict)
    #: The project ``init`` named (None: the key's own, or the server's default).
    project: str | None = None


_INSTALLED: list[Installed] = []
_LOCK = threading.Lock()


def installed() -> Installed | None:
    """What ``init`` set up in this process, None before it (or after ``shutdown``)."""
    return _INSTALLED[0] if _INSTALLED else None


def init(
    endpoint: str | None = None,
    api_key: str | None = None,
    service: str | None = None,
    *,
    project: str | None = None,
    protocol: str | None = None,
    instrument: Mapping[str, bool] | None = None,
    capture_content: bool | None = None,
    max_payload_chars: int | None = None,
    redaction_file: str | Path | None = None,
    tracer_provider: TracerProvider | None = None,
    export_timeout: float | None = None,
    max_queue_size: int | None = None,
    api_url: str | None = None,
) -> TracerProvider:
    """Send this process's spans to tokentrail; returns the tracer provider they go through.

    Every argument left out is read from the environment (``TOKENTRAIL_*``, and the standard
    ``OTEL_SERVICE_NAME``, ``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_HEADERS``,
    ``OTEL_EXPORTER_OTLP_PROTOCOL``); see docs/sdk.md.
    """
    with _LOCK:
        if _INSTALLED:
            _logger.debug("tokentrail.init was already called; this call changes nothing")
            return _INSTALLED[0].provider
        protocol = _from_environment("protocol", protocol, "http")
        endpoint = _from_environment("endpoint", endpoint, None) or _DEFAULT_ENDPOINTS.get(protocol, "")
        headers = _headers(
            _from_environment("api_key", api_key, None), _from_environment("project", project, None)
        )
        rules = Capture(
            _from_environment("capture_content", capture_content, True),
            _from_environment("max_payload_chars", max_payload_chars, DEFAULT_MAX_PAYLOAD_CHARS),
            _from_environment("redaction_file", Path(redaction_file) if redaction_file else None, None),
            _from_environment("project", project, None) or "*",
        )
        exporter = otlp_exporter(
            protocol, endpoint, headers, _from_environment("export_timeout", export_timeout, 3.0)
        )
        processor = BoundedBatchProcessor(
            exporter, max_queue_size=_from_environment("max_queue_size", max_queue_size, 2048)
        )
        provider = (
            tracer_provider or _app_provider() or _new_provider(_from_environment("service", service, None))
        )
        provider.add_span_processor(ContextSpanProcessor())
        provider.add_span_processor(processor)
        capture.use(rules)
        used = instrumentations.instrument(provider, _switches(instrument))
        # OTLP/HTTP and the API share the server's port; a gRPC endpoint's server answers HTTP on 4318.
        api = _from_environment("api_url", api_url, None) or (
            endpoint if protocol == "http" else _DEFAULT_ENDPOINTS["http"]
        )
        _INSTALLED.append(
            Installed(
                provider,
                processor,
                used,
                provider.get_tracer("tokentrail.sdk"),
                api.rstrip("/"),
                headers,
                _from_environment("project", project, None),
            )
        )
        return provider


def _headers(api_key: str | None, project: str | None) -> dict[str, str]:
    headers = {_AUTHORIZATION: f"Bearer {api_key}"} if api_key else {}
    return {**headers, _PROJECT_HEADER: project} if project else headers


def _app_provider() -> TracerProvider | None:
    """The app's own SDK tracer provider, if it set one (the API's default proxy is none)."""
    current = trace_api.get_tracer_provider()
    return current if isinstance(current, TracerProvider) else None


def _new_provider(service: str | None) -> TracerProvider:
    # Resource.create reads OTEL_RESOURCE_ATTRIBUTES (and OTEL_SERVICE_NAME) itself.
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service} if service else {}))
    trace_api.set_tracer_provider(provider)
    return provider


def flush(timeout: float = 5.0) -> bool:
    """Send the spans ended so far; True when all were sent (none dropped) within ``timeout`` seconds.
    Call it before a script or a serverless function returns. Never waits longer than ``timeout``."""
    current = installed()
    if current is None:
        return True
    dropped = dropped_spans()
    outcome: list[bool] = []
    # The SDK's force_flush ignores its timeout (and waits on a down server): run it aside, wait so long.
    worker = threading.Thread(
        target=lambda: outcome.append(current.exporter.force_flush(int(timeout * 1000))),
        name="tokentrail-flush",
        daemon=True,
    )
    worker.start()
    worker.join(timeout)
    return bool(outcome and outcome[0]) and dropped_spans() == dropped


def shutdown(timeout: float = 5.0) -> None:
    """Flush (waiting at most ``timeout`` seconds) and stop exporting; ``init`` may be called again."""
    with _LOCK:
        current = _INSTALLED.pop() if _INSTALLED else None
    if current is not None:
        flush(timeout)
        current.exporter.shutdown()
