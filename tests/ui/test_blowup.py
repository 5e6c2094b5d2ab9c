"""The trace page's "where it blew up" section in a real browser: a failing trace shows where its failure
started, the path it went up and what it cost, part by part."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from otlp_builders import NOW_NS, new_span_id, new_trace_id, protobuf_request, tool_span
from ui.conftest import screenshot

pytestmark = pytest.mark.browser
MS = 1_000_000


def test_a_failing_trace_shows_where_it_blew_up_and_what_it_cost(page: Page, server):
    trace_id, root, attempt = new_trace_id(), new_span_id(), new_span_id()
    spans = [
        tool_span(
            "turn", trace_id, start_ns=NOW_NS, cost="0.001", error="gave up", span_id=root, duration_ms=500
        ),
        tool_span(
            "search",
            trace_id,
            parent=root,
            start_ns=NOW_NS + 10 * MS,
            cost="0.02",
            error="timeout",
            span_id=attempt,
        ),
        tool_span("search", trace_id, parent=root, start_ns=NOW_NS + 30 * MS, cost="0.02"),
        tool_span("answer", trace_id, parent=root, start_ns=NOW_NS + 50 * MS, cost="0.3", error="refused"),
    ]
    sent = server.post_otlp(protobuf_request(spans, service="rag"), "application/x-protobuf")
    assert sent.status_code == 200, sent.text
    server.settle()

    page.goto(f"{server.url}/traces/{trace_id}")
    section = page.get_by_role("region", name="Where it blew up")
    expect(section).to_contain_text("Failure started in search")
    expect(section.get_by_label("Propagation path")).to_contain_text("search → turn")
    cost = section.get_by_role("table", name="What the failure cost")
    expect(cost.get_by_role("row", name="failed spans")).to_contain_text("$0.301000")
    expect(cost.get_by_role("row", name="retried attempts")).to_contain_text("$0.020000")
    expect(cost.get_by_role("row", name="work thrown away")).to_contain_text("$0.020000")
    expect(cost).to_contain_text("$0.341000 of $0.341000")
    expect(section).to_contain_text("No span of the critical path took longer than its p95.")
    screenshot(page, "trace-blowup")

    section.get_by_role("link", name="search").first.click()
    expect(page).to_have_url(f"{server.url}/traces/{trace_id}?span={attempt}")
