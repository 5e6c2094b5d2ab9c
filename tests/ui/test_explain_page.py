"""The explainer's page in a browser: a waterfall from last week's cost to this week's, each part with
its drivers, and a driver's top traces one click away, each opening its trace."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from priced_turns import send, turn
from ui.conftest import screenshot

pytestmark = pytest.mark.browser
DAY = 86_400 * 10**9


def test_the_waterfall_and_a_drivers_traces(page: Page, server):
    now = time.time_ns()
    send(server, [turn(now - 9 * DAY + i, 1000, 100) for i in range(4)])
    send(server, [turn(now - DAY + i, 3000 + 1000 * i, 100, tool="0.01") for i in range(4)])
    page.goto(server.url + "/explain")
    expect(page.get_by_role("heading", name="Why the cost changed")).to_be_visible()
    expect(page.locator("#compared")).to_contain_text("over 4 traces")
    # before, two steps (input tokens, tools), after.
    steps = page.locator("#waterfall g.step")
    expect(steps).to_have_count(4)
    expect(page.locator('#waterfall g.step[data-factor="input_tokens"]')).to_be_visible()
    screenshot(page, "explain")
    part = page.locator("#part-input_tokens")
    expect(part).to_contain_text("gpt-4o input tokens per call in answer > chat: 1000.0 -> 4500.0")
    part.get_by_role("link", name="top traces").first.click()
    expect(page.get_by_role("heading", name="Traces behind a driver")).to_be_visible()
    new_rows = page.locator("section[aria-labelledby='new-title'] tbody tr")
    expect(new_rows).to_have_count(4)
    # Costliest first: the trace with the longest prompt (6,000 input tokens).
    expect(new_rows.first).to_contain_text("6,000")
    screenshot(page, "explain-traces")
    new_rows.first.get_by_role("link").click()
    page.wait_for_url("**/traces/*")
    expect(page.get_by_text("chat").first).to_be_visible()
