"""The web UI in a real browser, on demo data: list, filter, open a trace, walk its tree, read a span,
follow its session, the cost chart, the errors, the live tail, and the empty state."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from otlp_builders import new_trace_id, protobuf_request, span
from ui.conftest import screenshot

pytestmark = pytest.mark.browser


def test_the_trace_list_shows_demo_traffic_and_filters_live_in_the_url(page: Page, demo_server):
    page.goto(demo_server.url + "/")

    expect(page).to_have_url(re.compile(r"/traces"))
    rows = page.locator("#traces tbody tr")
    expect(rows).to_have_count(12)
    screenshot(page, "traces")
    page.get_by_label("Errors only").check()
    page.get_by_role("button", name="Apply").click()

    expect(page).to_have_url(re.compile(r"errors=1"))
    failing = page.locator("#traces tbody tr")
    assert failing.count() >= 1
    for index in range(failing.count()):
        expect(failing.nth(index).locator(".status")).to_contain_text("error")
    page.goto(demo_server.url + "/traces?sort=cost&model=o3-mini")
    costs = [
        Decimal(text.strip("$+? ").replace(",", ""))
        for text in page.locator("#traces tbody td:nth-child(6)").all_inner_texts()
    ]
    assert costs and costs == sorted(costs, reverse=True)


def test_a_trace_opens_as_a_tree_beside_its_waterfall_and_a_span_shows_its_messages_and_cost(
    page: Page, demo_server
):
    page.goto(demo_server.url + "/traces")
    page.locator("#traces tbody tr a").first.click()

    tree = page.get_by_role("tree", name="Spans")
    items = tree.get_by_role("treeitem")
    assert items.count() >= 8
    expect(page.locator(".row.critical").first).to_be_visible()
    root = items.first
    root.focus()
    page.keyboard.press("ArrowLeft")  # collapse the root: only it stays visible
    expect(root).to_have_attribute("aria-expanded", "false")
    expect(items.nth(1)).to_be_hidden()
    page.keyboard.press("ArrowRight")
    expect(items.nth(1)).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(items.nth(1)).to_be_focused()

    # The last Claude call of a turn is the one that answered (earlier ones failed and were retried).
    answering = items.filter(has_text="chat claude-sonnet-4-5").last
    answering.click()
    detail = page.get_by_role("complementary", name="Span detail")
    expect(detail.get_by_role("heading", name="Messages")).to_be_visible()
    expect(detail.locator(".msg.role-user").first).to_be_visible()
    expect(detail.locator(".msg.answer").first).to_be_visible()
    expect(detail.get_by_role("heading", name="Cost")).to_be_visible()
    expect(detail).to_contain_text("genai-prices:")
    expect(page).to_have_url(re.compile(r"span=[0-9a-f]{16}"))
    screenshot(page, "trace")


def test_a_session_reads_turn_by_turn_and_each_turn_opens_its_trace(page: Page, demo_server):
    page.goto(demo_server.url + "/sessions")
    expect(page.locator("table tbody tr")).to_have_count(4)
    screenshot(page, "sessions")
    page.locator("table tbody tr a").first.click()

    turns = page.get_by_role("list", name="Conversation").locator("li.turn")
    expect(turns).to_have_count(3)
    expect(turns.first.locator(".msg.role-user")).to_be_visible()
    screenshot(page, "session")
    turns.first.locator(".turn-head a").click()
    expect(page.get_by_role("tree", name="Spans")).to_be_visible()


def test_the_cost_chart_renders_and_a_bar_opens_the_traces_behind_it(page: Page, demo_server):
    page.goto(demo_server.url + "/costs?range=7d")

    chart = page.locator("svg#cost-chart")
    expect(chart).to_be_visible()
    assert chart.locator("rect").count() >= 2
    expect(page.get_by_role("heading", name="Most expensive traces")).to_be_visible()
    # The slower panels load after the page, in place, with the page's range.
    for title in ("By kind", "Most expensive sessions", "Most expensive users"):
        panel = page.get_by_role("region", name=title)
        expect(panel.get_by_role("table")).to_be_visible()
        expect(panel.locator("tbody tr").first).to_be_visible()
    expect(page.locator("[aria-busy]")).to_have_count(0)
    screenshot(page, "costs")
    segment = chart.locator("a").first
    segment.click()

    expect(page).to_have_url(re.compile(r"/traces\?.*model="))
    assert page.locator("#traces tbody tr").count() >= 1


def test_errors_are_grouped_by_the_span_where_they_started(page: Page, demo_server):
    page.goto(demo_server.url + "/errors")

    groups = page.get_by_role("table", name="Failures grouped by the span where they started").locator(
        "tbody tr"
    )
    assert groups.count() >= 1
    expect(groups.first.locator(".status.error")).to_be_visible()
    screenshot(page, "errors")


def test_the_live_tail_shows_a_new_trace_without_reloading(page: Page, demo_server):
    page.goto(demo_server.url + "/traces")
    page.get_by_role("button", name="Live tail").click()
    expect(page.get_by_role("button", name="Live tail")).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(300)  # the stream is open

    trace_id = new_trace_id()
    started = time.time_ns()
    fresh = span("live-check", trace_id, start_ns=started, duration_ms=5)
    demo_server.post_otlp(protobuf_request([fresh]), "application/x-protobuf")

    expect(page.locator(f'#traces tr[data-trace-id="{trace_id}"]')).to_contain_text(
        "live-check", timeout=15_000
    )
    expect(page.locator("#live-status")).to_contain_text("1 new trace")


def test_an_empty_store_tells_how_to_send_the_first_trace(page: Page, server):
    page.goto(server.url + "/traces")

    empty = page.get_by_role("region", name="No traces yet: send your first one")
    expect(empty).to_contain_text(f"{server.url}/v1/traces")
    expect(empty).to_contain_text("OTEL_EXPORTER_OTLP_ENDPOINT")
    expect(empty).to_contain_text("tokentrail demo")
    screenshot(page, "empty")
