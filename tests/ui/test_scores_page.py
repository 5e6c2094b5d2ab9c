"""The scores page in a browser: each score's series over the range, a numeric score's histogram whose
bars open the traces scored in them, counts per source and evaluator, and all time from the first score."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tokentrail.store.scores import Score, save_scores
from ui.conftest import screenshot

pytestmark = pytest.mark.browser
HOUR = 3_600 * 10**9


def _scores(now: int) -> list[Score]:
    helpful = [
        Score("default", "helpful", trace_id="a" * 32, value=v, created_ns=now - h * HOUR, **who)
        for v, h, who in [
            (0.2, 20, {"source": "human"}),
            (0.6, 10, {"source": "evaluator", "evaluator": "judge"}),
            (1.0, 1, {"source": "evaluator", "evaluator": "judge"}),
        ]
    ]
    correct = [
        Score("default", "correct", trace_id="b" * 32, data_type="boolean", value=v, created_ns=now - HOUR)
        for v in (1, 1, 0)
    ]
    tone = [
        Score("default", "tone", trace_id="c" * 32, data_type="categorical", string_value=c, created_ns=now)
        for c in ("kind", "kind", "rude")
    ]
    old = [Score("default", "ancient", trace_id="d" * 32, value=1.0, created_ns=now - 400 * 24 * HOUR)]
    return [*helpful, *correct, *tone, *old]


def test_each_score_over_time_with_its_histogram_and_sources(page: Page, server):
    now = time.time_ns()
    save_scores(server.store, _scores(now))

    page.goto(server.url + "/scores")

    expect(page.get_by_role("heading", name="Scores", exact=True)).to_be_visible()
    sections = page.locator("section.score")
    expect(sections).to_have_count(3)  # the year-old score is outside the last 24 hours
    helpful = page.locator('section.score[data-name="helpful"]')
    expect(helpful.locator("svg.series g.bucket rect")).to_have_count(3)
    expect(helpful.locator("svg.histogram rect")).to_have_count(10)
    expect(helpful.locator("table.sources")).to_contain_text("evaluator")
    expect(helpful.locator("table.evaluators")).to_contain_text("judge")
    tone = page.locator('section.score[data-name="tone"]')
    expect(tone.locator(".chart-legend")).to_contain_text("kind (2)")
    screenshot(page, "scores")

    helpful.get_by_role("link", name="traces scored with helpful").click()
    page.wait_for_url("**/traces?score=helpful")


def test_all_time_starts_at_the_first_score(page: Page, server):
    save_scores(server.store, _scores(time.time_ns()))

    page.goto(server.url + "/scores?range=all")

    expect(page.locator("section.score")).to_have_count(4)
    expect(page.locator(".heading .sub").first).to_contain_text("in buckets of 1 week")
