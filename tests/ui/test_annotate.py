"""Scores on the pages in a real browser: a signed-in key annotates a span with the form (the score shows
in the span's panel and in the API, by that key), and the trace list filters and sorts by a score and
shows each trace's scores as badges."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from conftest import ADMIN_KEY, bearer
from otlp_builders import NOW_NS, new_span_id, new_trace_id, protobuf_request, span
from ui.conftest import screenshot

pytestmark = pytest.mark.browser


def _trace(server, name, start_ns=NOW_NS, key=ADMIN_KEY):
    trace_id, root, child = new_trace_id(), new_span_id(), new_span_id()
    spans = [
        span(name, trace_id, root, start_ns=start_ns),
        span("retrieve", trace_id, child, root, start_ns=start_ns + 1),
    ]
    sent = server.post_otlp(protobuf_request(spans), "application/x-protobuf", **bearer(key))
    assert sent.status_code == 200, sent.text
    return trace_id, child


def _api(server, key, method, path, **kwargs):
    answer = httpx.request(method, server.url + path, headers=bearer(key), timeout=30, **kwargs)
    assert answer.status_code < 300, answer.text
    return answer.json()


def _sign_in(page: Page, server, key: str, target: str) -> None:
    page.goto(server.url + target)
    page.get_by_label("API key with the read right").fill(key)
    page.get_by_role("button", name="Sign in").click()


def test_a_signed_in_key_annotates_a_span_and_its_score_shows_on_the_page_and_in_the_api(
    page: Page, secured_server
):
    server = secured_server
    server.app.state.access.create_project("shop")
    key, _ = server.app.state.access.create_key("alice", project="shop", rights=["ingest", "read", "write"])
    trace_id, child = _trace(server, "answer", key=key)
    server.settle()
    _api(server, key, "POST", "/api/v1/score-configs", json={"name": "helpful", "min": 0, "max": 1})

    _sign_in(page, server, key, f"/traces/{trace_id}?span={child}")
    form = page.locator("#annotate")
    form.get_by_label("the selected span").check()
    form.get_by_label("Value").first.fill("0.75")
    form.get_by_label("Comment").fill("found the right page")
    form.get_by_role("button", name="Add score").click()

    panel = page.locator("#detail")
    expect(panel.locator("tr[data-score='helpful']")).to_contain_text("0.75")
    expect(panel).to_contain_text("found the right page")
    (score,) = _api(server, key, "GET", "/api/v1/scores", params={"span_id": child})["scores"]
    assert (score["trace_id"], score["value"], score["source"], score["author"]) == (
        trace_id,
        0.75,
        "human",
        "alice",
    )
    screenshot(page, "trace-annotated")

    form = page.locator("#annotate")
    form.get_by_label("Value").first.fill("7")  # beyond the config's max: the input refuses it
    form.get_by_role("button", name="Add score").click()
    expect(form.locator("input[name=value]:invalid")).to_have_count(1)
    assert len(_api(server, key, "GET", "/api/v1/scores")["scores"]) == 1


def test_the_trace_list_filters_and_sorts_by_a_score_and_shows_badges(page: Page, server):
    good, _ = _trace(server, "good answer")
    poor, _ = _trace(server, "poor answer", NOW_NS + 10**9)
    unscored, _ = _trace(server, "unscored", NOW_NS + 2 * 10**9)
    server.settle()
    httpx.post(
        server.url + "/api/v1/scores",
        json=[
            {"name": "helpful", "trace_id": good, "value": 0.9},
            {"name": "helpful", "trace_id": poor, "value": 0.2},
            {"name": "tone", "trace_id": poor, "data_type": "categorical", "string_value": "rude"},
        ],
        timeout=30,
    ).raise_for_status()

    page.goto(server.url + "/traces?range=all")
    expect(page.locator(f"tr[data-trace-id='{poor}'] .score-badge")).to_have_text(
        ["helpful 0.2", "tone rude"]
    )
    page.get_by_label("Score", exact=True).fill("helpful>=0.8")
    page.get_by_role("button", name="Apply").click()

    rows = page.locator("#traces tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-trace-id", good)
    screenshot(page, "traces-score-filter")

    page.get_by_role("link", name="Clear filters").click()
    page.get_by_label("Sort by").select_option("score:helpful")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"sort=score%3Ahelpful"))
    expect(page.locator("#traces tbody tr")).to_have_count(3)
    ids = page.locator("#traces tbody tr").evaluate_all("rows => rows.map(row => row.dataset.traceId)")
    assert ids == [good, poor, unscored]
