"""Accessibility basics of the main pages, read off the browser's accessibility tree and computed styles:
landmarks, a name for every control, a focus order that starts at the skip link and the navigation, and
text contrast of at least 4.5:1 (3:1 for large text)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from ui.conftest import screenshot

pytestmark = pytest.mark.browser

PAGES = [
    "/traces",
    "/sessions",
    "/costs?range=7d",
    "/explain",
    "/scores",
    "/quality",
    "/errors",
    "/budgets",
    "/evaluators",
    "/errors",
    "/budgets",
    "/datasets",
    "/experiments",
]

# Every visible form control and button without an accessible name (label, aria-label, text).
UNNAMED_CONTROLS = """() => Array.from(
    document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]'))
  .filter((el) => el.offsetParent !== null)
  .filter((el) => {
    const labelled = el.labels && el.labels.length > 0;
    const text = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('title') || '').trim();
    return !labelled && !text;
  })
  .map((el) => el.outerHTML.slice(0, 120))"""

# Text whose contrast with the background behind it is under WCAG AA: [text, ratio] for each failure.
LOW_CONTRAST = """() => {
  const rgb = (css) => (css.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    const [R, G, B] = [r, g, b].map(channel);
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const colour = rgb(getComputedStyle(node).backgroundColor);
      if (colour.length >= 3 && (colour.length < 4 || colour[3] > 0.5)) return colour;
    }
    return [255, 255, 255];
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest('svg') || el.offsetParent === null) continue;
    const style = getComputedStyle(el);
    const [L1, L2] = [luminance(rgb(style.color)), luminance(background(el))].sort((a, b) => b - a);
    const ratio = (L1 + 0.05) / (L2 + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) failures.push([node.textContent.trim().slice(0, 40), Math.round(ratio * 100) / 100]);
  }
  return failures;
}"""


@pytest.mark.parametrize("path", PAGES)
def test_main_pages_have_landmarks_named_controls_and_readable_text(page: Page, demo_server, path):
    page.goto(demo_server.url + path)

    tree = page.locator("body").aria_snapshot()
    assert "- banner" in tree and '- navigation "Main"' in tree and "- main" in tree
    assert page.get_by_role("heading", level=1).count() == 1
    assert page.evaluate(UNNAMED_CONTROLS) == []
    assert page.evaluate(LOW_CONTRAST) == []


def test_the_trace_page_has_landmarks_a_named_tree_and_readable_text(page: Page, demo_server):
    page.goto(demo_server.url + "/traces")
    page.locator("#traces tbody tr a").first.click()

    tree = page.locator("body").aria_snapshot()
    assert '- tree "Spans"' in tree and '- complementary "Span detail"' in tree
    assert page.evaluate(UNNAMED_CONTROLS) == []
    assert page.evaluate(LOW_CONTRAST) == []


def test_focus_starts_at_the_skip_link_then_the_navigation_then_the_page(page: Page, demo_server):
    page.goto(demo_server.url + "/traces")

    expected = ["Skip to content", "tokentrail", "Traces", "Sessions", "Costs", "Explain", "Scores"]
    order = []
    for _ in range(len(expected) + 1):
        page.keyboard.press("Tab")
        order.append(page.evaluate("() => document.activeElement.textContent.trim()"))

    assert order[: len(expected)] == expected
    for _ in range(len(expected)):
        page.keyboard.press("Shift+Tab")  # back on the skip link: following it lands in the main content
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    screenshot(page, "focus")
