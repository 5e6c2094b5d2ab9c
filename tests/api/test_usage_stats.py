"""``GET /api/v1/usage-stats`` on a live server fed over OTLP: a project's traces per day, spans per trace and
what a span takes on disk."""

from __future__ import annotations

from decimal import Decimal

from otlp_builders import NOW_NS, new_span_id, new_trace_id, protobuf_request, span
from tokentrail.api.otlp import PROJECT_HEADER

PROTOBUF = "application/x-protobuf"
MS = 1_000_000
DAY = 86_400 * 10**9


def _trace(span_count, start_ns=NOW_NS):
    trace_id, root = new_trace_id(), new_span_id()
    children = [
        span("step", trace_id, parent=root, start_ns=start_ns + i * MS) for i in range(span_count - 1)
    ]
    return [span("turn", trace_id, root, start_ns=start_ns), *children]


def _send(server, spans, **headers):
    response = server.post_otlp(protobuf_request(spans), PROTOBUF, **headers)
    assert response.status_code == 200, response.text


def test_usage_stats_count_the_projects_traces_and_spans_since_the_start(server):
    _send(server, _trace(2) + _trace(3) + _trace(10))
    _send(server, _trace(4, start_ns=NOW_NS - 3 * DAY))  # before the window
    _send(server, _trace(50), **{PROJECT_HEADER: "elsewhere"})
    response = server.get("/api/v1/usage-stats", since="2025-12-31T00:00:00Z")
    assert response.status_code == 200, response.text
    stats = response.json()
    assert (stats["traces"], stats["spans"]) == (3, 15)
    assert stats["spans_per_trace"] == {"mean": "5", "median": 3}
    assert stats["start_time"] == "2025-12-31T00:00:00Z"
    days = Decimal(stats["days"])
    assert days > 300  # until now
    assert abs(Decimal(stats["traces_per_day"]) - 3 / days) < Decimal("0.01")
    storage = stats["storage"]
    assert Decimal(storage["compressed_bytes_per_span"]) > 0
    per_million = Decimal(storage["compressed_bytes_per_span"]) * 1_000_000
    assert abs(storage["compressed_bytes_per_million_spans"] - per_million) <= 5_000_000


def test_an_empty_window_has_no_rates_and_a_future_start_is_refused(server):
    stats = server.get("/api/v1/usage-stats").json()
    assert (stats["traces"], stats["spans"], stats["traces_per_day"]) == (0, 0, "0")
    assert stats["spans_per_trace"] == {"mean": "0", "median": 0}
    assert stats["days"] == "7"
    assert server.get("/api/v1/usage-stats", since="2999-01-01T00:00:00Z").status_code == 400
