"""``GET /metrics`` scraped from a live server after real ingest: the numbers move as they should."""

from __future__ import annotations

import httpx

from otlp_builders import json_request, new_trace_id, span
from scrape import scrape, value
from tokentrail.metrics import Metrics

JSON = "application/json"


def test_ingest_counts_accepted_spans_by_project_and_rejections_by_reason(server):
    before = scrape(server.url)
    trace_id = new_trace_id()
    spans = [span(f"step-{i}", trace_id) for i in range(7)]
    assert server.post_otlp(json_request(spans), JSON, **{"x-tokentrail-project": "shop"}).status_code == 200
    other = [span("one", new_trace_id())]
    assert server.post_otlp(json_request(other), JSON, **{"x-tokentrail-project": "lab"}).status_code == 200
    partly = [span("good", trace_id), span("bad-trace-id", trace_id[:30])]
    assert server.post_otlp(json_request(partly), JSON, **{"x-tokentrail-project": "shop"}).status_code == 200
    assert server.post_otlp(b'{"resourceSpans": [', JSON).status_code == 400
    assert server.post_otlp(b"{}", "text/plain").status_code == 415
    server.settle()

    after = scrape(server.url)

    assert value(before, "tokentrail_spans_accepted_total", project="shop") == 0
    assert value(after, "tokentrail_spans_accepted_total", project="shop") == 8
    assert value(after, "tokentrail_spans_accepted_total", project="lab") == 1
    assert value(after, "tokentrail_spans_rejected_total", reason="invalid") == 1
    assert value(after, "tokentrail_ingest_requests_refused_total", reason="malformed") == 1
    assert value(after, "tokentrail_ingest_requests_refused_total", reason="unsupported") == 1
    assert value(after, "tokentrail_spans_pending") == 0
    assert value(after, "tokentrail_ingest_requests_queued") == 0
    assert value(after, "tokentrail_quarantined_spans") == 0
    # Every accepted span went through at least one timed insert.
    assert value(after, "tokentrail_store_insert_seconds_count") >= 1
    assert value(after, "tokentrail_store_insert_seconds_sum") > 0


def test_responses_are_counted_by_route_template_and_status(server):
    trace_id = new_trace_id()
    assert server.post_otlp(json_request([span("a", trace_id)]), JSON).status_code == 200
    assert server.get(f"/api/v1/traces/{trace_id}").status_code == 200
    assert server.get(f"/api/v1/traces/{new_trace_id()}").status_code == 404
    assert httpx.get(server.url + "/no/such/page", timeout=30).status_code == 404
    assert httpx.get(server.url + "/static/app.js", timeout=30).status_code == 200

    samples = scrape(server.url)

    def responses(route: str, status: str) -> float:
        return value(samples, "tokentrail_responses_total", transport="http", route=route, status=status)

    assert responses("/v1/traces", "200") == 1
    assert responses("/api/v1/traces/{trace_id}", "200") == 1
    assert responses("/api/v1/traces/{trace_id}", "404") == 1
    assert responses("unmatched", "404") == 1
    assert responses("/static/{path}", "200") == 1
    # No series per trace id: the template is the only label a route gets.
    assert not any(trace_id in str(labels) for _, labels in samples)


def test_reprice_jobs_are_counted_by_outcome(server):
    assert server.post_otlp(json_request([span("a", new_trace_id())]), JSON).status_code == 200
    server.settle()

    server.reprice(since="2000-01-01T00:00:00Z")

    assert value(scrape(server.url), "tokentrail_reprice_jobs_total", outcome="done") == 1


def test_the_data_directory_and_its_free_space_are_reported(server):
    samples = scrape(server.url)

    assert value(samples, "tokentrail_data_directory_bytes") > 0  # the log and the store are there
    assert value(samples, "tokentrail_disk_free_bytes") > 0


def test_each_app_counts_in_a_registry_of_its_own():
    first, second = Metrics(), Metrics()
    first.count_response("grpc", "OK", "Export")

    def exports(metrics: Metrics) -> float:
        labels = {"transport": "grpc", "route": "Export", "status": "OK"}
        return metrics.registry.get_sample_value("tokentrail_responses_total", labels) or 0.0

    assert exports(first) == 1
    assert exports(second) == 0
