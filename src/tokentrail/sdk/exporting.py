"""The exporter side of "never hurts the app": a bounded batch processor that counts what it drops.

The OpenTelemetry SDK's ``BatchSpanProcessor`` already exports on its own thread, but when its queue is
full it logs a warning for every span it drops and counts nothing an application can read. Here the
bound is kept in front of it: :class:`BoundedBatchProcessor` admits a span only while fewer than
``max_queue_size`` are waiting or being exported (its exporter wrapper, :class:`_Counted`, releases them as
each export ends), so the SDK's own queue never fills. Spans refused there, and spans an export failed
to deliver (the server down past the exporter's short timeout), are counted in :func:`dropped_spans` and
logged once per process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

__all__ = ["PROTOCOLS", "BoundedBatchProcessor", "dropped_spans", "otlp_exporter"]

_logger = logging.getLogger("tokentrail.sdk")


class _Drops:
    """The process's count of spans that never reached the server; the first drop is logged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self, count: int, why: str) -> None:
        with self._lock:
            first = self.count == 0
            self.count += count
        if first:
            _logger.warning(
                "tokentrail: dropping spans (%s); the app is unaffected. Later drops are counted, not "
                "logged: tokentrail.sdk.dropped_spans()",
                why,
            )


_DROPS = _Drops()


def dropped_spans() -> int:
    """How many spans this process has dropped so far: refused while the export queue was full, or not
    delivered because the server could not be reached."""
    return _DROPS.count


#: The loggers the OTLP exporters report each failed batch to (shared with any exporter of the app's).
_EXPORTER_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.http._common",
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
)


class _OwnExports(logging.Filter):
    """Leaves out what the OTLP exporters log while exporting for tokentrail (on the thread that runs
    :meth:`_Counted.export`): those failures are counted and logged once instead. The app's own
    exporters, on other threads, log as they always do."""

    def __init__(self) -> None:
        super().__init__()
        self.exporting = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(self.exporting, "active", False)


_OWN_EXPORTS = _OwnExports()
for _name in _EXPORTER_LOGGERS:
    logging.getLogger(_name).addFilter(_OWN_EXPORTS)


class _Counted(SpanExporter):
    """An exporter that releases its processor's places as each batch ends and counts failed batches."""

    def __init__(self, exporter: SpanExporter, release: Any) -> None:
        self._exporter = exporter
        self._release = release

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        _OWN_EXPORTS.exporting.active = True
        try:
            result = self._exporter.export(spans)
        except Exception as exc:  # an exporter must not raise; one that does still loses the batch
            _DROPS.add(len(spans), f"export failed: {exc!r}")
            raise
        finally:
            _OWN_EXPORTS.exporting.active = False
            self._release(len(spans))
        if result is not SpanExportResult.SUCCESS:
            _DROPS.add(len(spans), "the tokentrail server could not be reached or refused them")
        return result

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)


class BoundedBatchProcessor(BatchSpanProcessor):
    """A ``BatchSpanProcessor`` holding at most ``max_queue_size`` spans (queued or being exported);
    spans past that are dropped at once and counted, never waited for."""

    def __init__(
        self,
        exporter: SpanExporter,
        *,
        max_queue_size: int = 2048,
        max_export_batch_size: int = 512,
        schedule_delay_millis: float = 1000,
        shutdown_timeout_millis: int = 3000,
    ) -> None:
        self._lock = threading.Lock()
        self._held = 0
        self._bound = max_queue_size
        self._shutdown_timeout_millis = shutdown_timeout_millis
        super().__init__(
            _Counted(exporter, self._release),
            # Room for a batch being exported beside a full queue: the SDK's own queue never drops.
            max_queue_size=max_queue_size + max_export_batch_size,
            schedule_delay_millis=schedule_delay_millis,
            max_export_batch_size=min(max_export_batch_size, max_queue_size),
        )

    def on_end(self, span: ReadableSpan) -> None:
        if not (span.context and span.context.trace_flags.sampled):
            return
        with self._lock:
            admitted = self._held < self._bound
            self._held += admitted
        if admitted:
            super().on_end(span)
        else:
            _DROPS.add(1, f"the export queue is full ({self._bound} spans)")

    def _release(self, count: int) -> None:
        with self._lock:
            self._held = max(self._held - count, 0)

    def shutdown(self) -> None:
        # The provider's exit hook calls this with no timeout, and the SDK's public shutdown takes none:
        # its inner processor's does, and a down server must not hold the app's exit for 30 s.
        self._batch_processor.shutdown(timeout_millis=self._shutdown_timeout_millis)


#: ``protocol`` -> (module, class) of the OTLP exporter; both take endpoint, headers and timeout.
PROTOCOLS: dict[str, tuple[str, str]] = {
    "http": ("opentelemetry.exporter.otlp.proto.http.trace_exporter", "OTLPSpanExporter"),
    "http/protobuf": ("opentelemetry.exporter.otlp.proto.http.trace_exporter", "OTLPSpanExporter"),
    "grpc": ("opentelemetry.exporter.otlp.proto.grpc.trace_exporter", "OTLPSpanExporter"),
}


def otlp_exporter(protocol: str, endpoint: str, headers: dict[str, str], timeout: float) -> SpanExporter:
    """The OTLP span exporter for ``protocol`` (``http`` or ``grpc``), sending to ``endpoint``."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown OTLP protocol {protocol!r}; expected one of {sorted(PROTOCOLS)}")
    module, name = PROTOCOLS[protocol]
    exporter_class = getattr(__import__(module, fromlist=[name]), name)
    if protocol != "grpc":
        endpoint = endpoint.rstrip("/") + "/v1/traces"
    exporter: SpanExporter = exporter_class(endpoint=endpoint, headers=headers, timeout=timeout)
    return exporter
