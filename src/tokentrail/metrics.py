"""What ``GET /metrics`` tells Prometheus: the counts of ingest, the writer's state, the disk.

Each app has its own :class:`Metrics` and its own ``CollectorRegistry`` (tests build many apps in one
process, and the global registry would mix them). Counters move as events happen, for a few microseconds
each; the state (queue depth, spans pending, quarantine, disk) is read when Prometheus scrapes, from
the callables given to :meth:`Metrics.watch`. docs/operations.md lists every metric and what it means.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterator, Mapping
from operator import itemgetter

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tokentrail.errors import (
    BadRequest,
    DiskFull,
    Overloaded,
    PayloadTooLarge,
    StoreUnavailable,
    TokentrailError,
    UnsupportedMediaType,
)
from tokentrail.ingest.chain import Batch

__all__ = ["CONTENT_TYPE", "REFUSAL_REASONS", "Metrics", "refusal_reason"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: Why a whole ingest request was refused, by the error that refused it; a class not listed takes its
#: nearest listed base's reason.
REFUSAL_REASONS: Mapping[type[Exception], str] = {
    UnsupportedMediaType: "unsupported",
    BadRequest: "malformed",
    PayloadTooLarge: "too_large",
    DiskFull: "disk",
    StoreUnavailable: "store",
    Overloaded: "overloaded",
    TokentrailError: "other",
}

#: Seconds one insert into the store may take: ClickHouse pays about 15 ms for the smallest, and a full
#: batch of 50,000 spans takes about a second.
_INSERT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

_project = itemgetter(0)  # of a row's key: (project, trace id, span id)


def refusal_reason(exc: Exception) -> str:
    """The ``reason`` label of a request refused with ``exc``."""
    for cls in type(exc).__mro__:
        reason = REFUSAL_REASONS.get(cls)
        if reason is not None:
            return reason
    return "other"


class Metrics:
    """One app's metrics, in a registry of its own; ``render()`` is the body of ``GET /metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._accepted = Counter(
            "tokentrail_spans_accepted",
            "Spans acknowledged (durable in the write-ahead log), by project.",
            ["project"],
            registry=self.registry,
        )
        self._rejected = Counter(
            "tokentrail_spans_rejected",
            "Spans left out of an accepted request (OTLP partial success), by reason.",
            ["reason"],
            registry=self.registry,
        )
        self._refused = Counter(
            "tokentrail_ingest_requests_refused",
            "Ingest requests refused whole, by reason: malformed, unsupported, too_large, overloaded, "
            "store, disk.",
            ["reason"],
            registry=self.registry,
        )
        self._responses = Counter(
            "tokentrail_responses",
            "Responses by transport (http, grpc), route template or gRPC method, and status or code.",
            ["transport", "route", "status"],
            registry=self.registry,
        )
        self._insert_seconds = Histogram(
            "tokentrail_store_insert_seconds",
            "Seconds each insert of the writer into the store took.",
            buckets=_INSERT_BUCKETS,
            registry=self.registry,
        )
        self._reprice_jobs = Counter(
            "tokentrail_reprice_jobs",
            "Re-pricing jobs finished, by outcome (done, failed).",
            ["outcome"],
            registry=self.registry,
        )
        self._state = _StateCollector()
        self.registry.register(self._state)

    def ingested(self, batch: Batch) -> None:
        """Count a request's spans once it is accepted: its rows by project, its rejections."""
        for project, count in Tally(map(_project, batch.rows)).items():  # map: no Python loop per span
            self._accepted.labels(project).inc(count)
        if batch.rejected:
            self._rejected.labels("invalid").inc(len(batch.rejected))

    def refused(self, exc: Exception) -> None:
        """Count an ingest request refused whole with ``exc``."""
        self._refused.labels(refusal_reason(exc)).inc()

    def count_response(self, transport: str, status: int | str, route: str) -> None:
        """Count one response: ``("http", 200, "/v1/traces")`` or ``("grpc", "OK", "Export")``."""
        self._responses.labels(transport, route, str(status)).inc()

    def time_insert(self, seconds: float) -> None:
        """Record how long one insert into the store took (the writer's ``time_insert``)."""
        self._insert_seconds.observe(seconds)

    def reprice_finished(self, outcome: str) -> None:
        self._reprice_jobs.labels(outcome).inc()

    def watch(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        """Report ``read()`` as the gauge ``name`` at every scrape (it replaces a gauge of that name)."""
        self._state.gauges[name] = (documentation, read)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _StateCollector(Collector):
    """Gauges read at scrape time, from the callables :meth:`Metrics.watch` was given."""

    def __init__(self) -> None:
        self.gauges: dict[str, tuple[str, Callable[[], float]]] = {}

    def collect(self) -> Iterator[Metric]:
        for name, (documentation, read) in list(self.gauges.items()):
            yield GaugeMetricFamily(name, documentation, value=read())
