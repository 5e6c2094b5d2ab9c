"""The budgets page in a real browser: an admin makes a budget with the form, spend crosses it, and the
page shows the spend bar over the amount, the state, the alerts with their delivery, and the navigation
a badge of this period's alerts."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from budgets.receiver import receiver
from otlp_builders import new_trace_id, protobuf_request, span
from tokentrail.budgets.periods import period_of
from ui.conftest import screenshot

pytestmark = pytest.mark.browser


def test_a_budget_made_in_the_page_shows_its_crossing_and_delivered_alerts(page: Page, server):
    page.goto(server.url + "/budgets")
    expect(page.get_by_text("No budgets in this project yet.")).to_be_visible()
    with receiver() as hook:
        page.get_by_label("Name").fill("support bot")
        page.get_by_label("Amount (USD)").fill("4")
        page.get_by_label("Webhook URL").fill(hook.url)
        page.get_by_role("button", name="Create").click()
        expect(page.locator("#budget-message")).to_contain_text("Webhook secret (shown once)")

        month = period_of("month", time.time_ns())
        one = span(
            "search", new_trace_id(), start_ns=month.start_ns + 10**9, attributes={"tool.cost_usd": "5"}
        )
        server.post_otlp(protobuf_request([one]), "application/x-protobuf")
        server.settle()
        assert len(server.app.state.budgets.check()) == 3  # 50%, 80% and 100%
        hook.wait_for(3)
        page.reload()

        row = page.locator("tr[data-budget]")
        expect(row).to_contain_text("support bot")
        expect(row).to_contain_text("$5")
        expect(row.locator(".status")).to_have_text("over budget")
        expect(row.get_by_role("meter")).to_have_attribute("aria-valuenow", "100")
        expect(row.locator(".alert-line")).to_have_count(3)
        expect(row.locator(".delivery.delivered")).to_have_count(3)
        expect(page.locator("header nav .nav-badge")).to_have_text("3")
        screenshot(page, "budgets")
