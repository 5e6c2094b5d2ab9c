"""A trace of 100,000 spans in a real browser: it opens with its first levels, draws only the rows on
screen, and the user expands a subtree, jumps to where it failed, searches it and opens a span."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from large_traces import FAILING_NAME, nested_trace
from otlp_builders import new_trace_id
from ui.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SPANS = 100_000


@pytest.fixture
def large_trace(server) -> str:
    trace_id = new_trace_id()
    server.app.state.writer.write(nested_trace(trace_id, SPANS), timeout=120)
    return trace_id


def test_a_100000_span_trace_opens_and_the_user_expands_jumps_searches_and_opens_spans(
    page: Page, server, large_trace
):
    page.goto(f"{server.url}/traces/{large_trace}", timeout=120_000)

    tree = page.get_by_role("tree", name="Spans")
    items = tree.get_by_role("treeitem")
    expect(items.first).to_have_attribute("aria-level", "1")
    expect(page.locator("dl.summary")).to_contain_text(str(SPANS))
    assert items.count() < 100  # only the rows on screen (and a few past its edges) are in the page
    # Where it blew up comes after the tree: the section loads once the page is shown.
    blowup = page.get_by_role("region", name="Where it blew up")
    expect(blowup).to_contain_text(f"Failure started in {FAILING_NAME}", timeout=60_000)
    screenshot(page, "large-trace")

    # A collapsed subtree says how much it holds, and expands in place.
    collapsed = tree.locator('[aria-expanded="false"]').first
    expect(collapsed).to_contain_text(re.compile(r"\+\d+ spans"))
    level = int(collapsed.get_attribute("aria-level") or 0)
    span_id = collapsed.get_attribute("data-span-id")
    collapsed.locator(".toggle").click()
    expanded = tree.locator(f'[data-span-id="{span_id}"]')
    expect(expanded).to_have_attribute("aria-expanded", "true")
    expect(tree.locator(f'[data-span-id="{span_id}"] + [role="treeitem"]')).to_have_attribute(
        "aria-level", str(level + 1)
    )

    # The failure started deep down: one click opens the way to it and shows it.
    page.get_by_role("button", name="Jump to failure origin").click()
    detail = page.get_by_role("complementary", name="Span detail")
    expect(detail.get_by_role("heading", name=FAILING_NAME)).to_be_visible()
    expect(detail).to_contain_text("timed out")
    failing = tree.locator('[aria-selected="true"]')
    expect(failing).to_contain_text(FAILING_NAME)
    expect(failing).to_be_focused()

    # Search anywhere in the trace: the match is expanded to, marked and opened.
    page.get_by_role("searchbox", name="Find spans").fill("step-55555")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#search-status")).to_contain_text("Match 1 of 1")
    match = tree.locator('[role="treeitem"].match')
    expect(match).to_contain_text("step-55555")
    expect(match).to_have_attribute("aria-selected", "true")
    expect(detail.get_by_role("heading", name="step-55555")).to_be_visible()
    expect(detail).to_contain_text("input of step 55555")
    expect(page).to_have_url(re.compile(r"span=[0-9a-f]{16}"))

    # The keyboard walks the drawn tree: up to the parent, collapse it, open the row above.
    page.keyboard.press("ArrowLeft")
    parent = tree.locator("li:focus")
    expect(parent).to_contain_text("step-5555")
    page.keyboard.press("ArrowLeft")
    expect(parent).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(detail.get_by_role("heading", name="step-5554")).to_be_visible()
    screenshot(page, "large-trace-search")
