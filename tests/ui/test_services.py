"""A trace across three services in a real browser: the trace list counts its services; the trace page
lists them with their spans, cost and busy time, tags every span with its service, marks each hop with
the service it entered, how it crossed and when, in text as well as colour, and the span detail says
where the span came from."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from otlp_builders import new_trace_id
from service_traces import three_service_requests
from ui.conftest import screenshot
from ui.test_accessibility import LOW_CONTRAST, UNNAMED_CONTROLS

pytestmark = pytest.mark.browser


@pytest.fixture
def trace_id(server):
    trace_id = new_trace_id()
    for body in three_service_requests(trace_id).values():
        assert server.post_otlp(body, "application/x-protobuf").status_code == 200
    server.settle()
    return trace_id


def test_the_trace_page_tags_spans_with_their_service_and_marks_the_hops(page: Page, server, trace_id):
    page.goto(server.url + "/traces?range=all")
    expect(page.locator(f'#traces tr[data-trace-id="{trace_id}"]')).to_contain_text("3 services")
    page.locator(f'#traces tr[data-trace-id="{trace_id}"] a').click()

    legend = page.get_by_role("region", name="3 services, 2 hops")
    expect(legend.locator("tbody tr")).to_have_count(3)
    expect(legend.locator("tbody tr").nth(2)).to_contain_text("tools")
    expect(legend.locator("tbody tr").nth(2)).to_contain_text("$0.05")
    items = page.get_by_role("tree", name="Spans").get_by_role("treeitem")
    expect(items).to_have_count(5)
    expect(items.nth(0).locator(".svc")).to_have_text("gateway")
    expect(items.nth(1).locator(".svc")).to_have_text("gateway")
    expect(items.nth(2).locator(".svc.hop")).to_have_text("→ worker")
    expect(items.nth(2).locator(".via")).to_have_text("queue +40 ms")
    expect(items.nth(3).locator(".svc")).to_have_text("worker")
    expect(items.nth(4).locator(".svc.hop")).to_have_text("→ tools")
    expect(items.nth(4).locator(".via")).to_have_text("HTTP +2 ms")
    colours = [
        items.nth(i).locator(".svc").evaluate("e => getComputedStyle(e).borderLeftColor") for i in (0, 2, 4)
    ]
    assert len(set(colours)) == 3  # one colour per service, besides the names
    assert items.nth(1).locator(".svc").evaluate("e => getComputedStyle(e).borderLeftColor") == colours[0]
    assert page.evaluate(UNNAMED_CONTROLS) == []
    low = page.evaluate(LOW_CONTRAST)
    assert low == [], low
    screenshot(page, "trace-services")

    items.nth(2).click()
    detail = page.get_by_role("complementary", name="Span detail")
    expect(detail).to_contain_text("from gateway by queue, 40 ms after its parent started")
