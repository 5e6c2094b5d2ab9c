"""The quality-per-dollar page in a browser: a point per model on the scatter, the frontier through the
ones nothing beats for less, the sentence that calls the cheaper model as good, and the grouping switched
to trace names."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from priced_turns import send, turn
from ui.conftest import screenshot

pytestmark = pytest.mark.browser
HOUR = 3_600 * 10**9


def _scored(server, values, model, name):
    now = time.time_ns()
    traces = [turn(now - HOUR + i, 1000, 200, model, name=name) for i in range(len(values))]
    send(server, traces)
    scores = [
        {"name": "helpful", "trace_id": t, "value": v} for (t, _), v in zip(traces, values, strict=True)
    ]
    assert httpx.post(f"{server.url}/api/v1/scores", json=scores, timeout=30).status_code == 201


def test_the_scatter_marks_the_frontier_and_says_where_cheaper_is_as_good(page: Page, server):
    _scored(server, [1.0, 0.76] * 10, "gpt-4o", "answer")
    _scored(server, [0.98, 0.74] * 10, "gpt-4o-mini", "summarize")
    _scored(server, [0.5, 0.3] * 5, "gpt-4-turbo", "answer")

    page.goto(server.url + "/quality")

    expect(page.get_by_role("heading", name="Quality per dollar")).to_be_visible()
    expect(page.locator("#quality-chart g.point")).to_have_count(3)
    expect(page.locator("#quality-chart g.on-frontier")).to_have_count(2)
    expect(page.locator("#frontier")).to_be_visible()
    expect(page.locator('#quality-chart g.on-frontier[data-key="gpt-4-turbo"]')).to_have_count(0)
    expect(page.locator("#as-good")).to_contain_text(
        "gpt-4o-mini scores 0.86 ± 0.05 at $0.00027/trace vs gpt-4o 0.88 ± 0.05 at $0.0045/trace: "
        "as good within the interval, 17x cheaper"
    )
    # $0.00027 to $0.03 spans more than 20 times: a log scale.
    expect(page.locator("#scatter-desc")).to_contain_text("log scale")
    rows = page.locator("#quality-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("gpt-4o")
    expect(rows.first).to_contain_text("on the frontier")
    screenshot(page, "quality")

    page.locator("#grouping").get_by_role("link", name="trace name").click()

    expect(page.locator("#quality-chart g.point")).to_have_count(2)
    expect(page.locator('#quality-table tbody tr[data-key="summarize"]')).to_contain_text("20")
    page.locator('#quality-chart g.point[data-key="summarize"] a').click()
    page.wait_for_url("**/traces?*name=summarize*")
    assert "score=helpful" in page.url  # the group's traces scored with it


def test_the_trace_lists_filters_narrow_the_view(page: Page, server):
    _scored(server, [0.9, 0.7], "gpt-4o", "answer")
    _scored(server, [0.5, 0.3], "gpt-4o-mini", "summarize")

    page.goto(server.url + "/quality?by=model&name=summ")

    expect(page.locator("#quality-chart g.point")).to_have_count(1)
    expect(page.locator('#quality-table tbody tr[data-key="gpt-4o-mini"]')).to_contain_text("0.40")


def test_without_scores_the_page_says_how_to_send_them(page: Page, server):
    page.goto(server.url + "/quality")

    expect(page.get_by_text("No scores yet")).to_be_visible()
