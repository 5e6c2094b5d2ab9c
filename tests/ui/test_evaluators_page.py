"""The evaluators page in a real browser: an evaluator judged a trace through the run API, and the page shows
its definition (key masked), the run with links to the judged trace and to the judge call's own trace, its
cost, and evaluation cost beside the app's; the costs page shows the evaluation part of its total."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from playwright.sync_api import Page, expect

from judge_server import serve_judge, verdict
from otlp_builders import new_trace_id, protobuf_request, span
from tokentrail.display import usd
from ui.conftest import screenshot

pytestmark = pytest.mark.browser


def test_the_page_shows_definitions_runs_and_evaluation_cost_beside_the_apps(page: Page, server):
    trace_id = new_trace_id()
    attributes = {"input.value": "hi", "output.value": "hello"}
    server.post_otlp(
        protobuf_request([span("turn", trace_id, attributes=attributes)]), "application/x-protobuf"
    )
    server.settle()
    with serve_judge() as judge:
        body = {
            "name": "politeness",
            "base_url": judge.openai_base_url,
            "model": "gpt-4o-mini",
            "api_key": "sk-secret-judge-9876",
            "prompt": "Is this polite? {{output}}",
            "score_name": "polite",
            "data_type": "boolean",
            "enabled": False,
        }
        assert httpx.post(server.url + "/api/v1/evaluators", json=body, timeout=30).status_code == 201
        judge.reply(verdict(True, input_tokens=2000, output_tokens=500))
        ran = httpx.post(
            server.url + "/api/v1/evaluators/politeness/run",
            json={"traces": [{"trace_id": trace_id}]},
            timeout=60,
        ).json()
    (run,) = ran["runs"]
    page.goto(server.url + "/evaluators")
    definition = page.locator("tr[data-evaluator='politeness']")
    expect(definition).to_contain_text("openai gpt-4o-mini")
    expect(definition).to_contain_text("…9876")
    expect(page.locator("main")).not_to_contain_text("sk-secret")
    row = page.locator(f"tr[data-run='{run['run_id']}']")
    expect(row).to_contain_text("1.0")
    expect(row.get_by_role("link", name=trace_id[:12])).to_have_attribute("href", f"/traces/{trace_id}")
    expect(row.get_by_role("link", name="judge trace")).to_have_attribute("href", f"/traces/{run['run_id']}")
    cost = usd(Decimal(run["cost"]))
    expect(row).to_contain_text(cost)
    expect(page.locator("tr[data-window='today (UTC)']")).to_contain_text(cost)
    screenshot(page, "evaluators")
    page.goto(server.url + "/costs?range=24h")
    expect(page.locator("#evaluation-cost")).to_contain_text(cost)
