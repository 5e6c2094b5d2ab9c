"""The datasets and experiments pages in a real browser: items uploaded with the form, a trace added to a
dataset from its page, and two experiments picked on the experiments page and compared side by side,
each changed output marked word by word against the first, with totals."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from otlp_builders import new_trace_id, protobuf_request, span
from ui.conftest import screenshot
from ui.test_accessibility import LOW_CONTRAST, UNNAMED_CONTROLS

pytestmark = pytest.mark.browser

QUESTIONS = {"France": "Paris", "Italy": "Rome", "Spain": "Madrid"}
#: Each experiment's answer per country, and the cost its (tool-priced) trace states.
ANSWERS = {
    "baseline": {"France": "The capital is Paris.", "Italy": "The capital is Milan.", "Spain": "Madrid"},
    "tuned": {"France": "The capital is Paris.", "Italy": "The capital is Rome.", "Spain": "Madrid"},
}
COSTS = {"baseline": "0.25", "tuned": "0.5"}


def _api(server, method: str, path: str, **options):
    response = httpx.request(method, server.url + "/api/v1" + path, timeout=30, **options)
    assert response.status_code < 300, response.text
    return response.json()


def _experiment(server, dataset: str, items: list[dict], name: str) -> str:
    experiment = _api(server, "POST", "/experiments", json={"name": name, "dataset_id": dataset})["id"]
    runs, scores, spans = [], [], []
    now = time.time_ns()
    for item in items:
        country, trace_id = item["input"]["country"], new_trace_id()
        answer = ANSWERS[name][country]
        spans.append(span("answer", trace_id, start_ns=now, attributes={"tool.cost_usd": COSTS[name]}))
        runs.append(
            {
                "item_id": item["id"],
                "trace_id": trace_id,
                "output": f'"{answer}"',
                "started_ns": now,
                "ended_ns": now + 2 * 10**6,
            }
        )
        right = QUESTIONS[country] in answer
        scores.append(
            {
                "name": "correct",
                "trace_id": trace_id,
                "data_type": "boolean",
                "value": int(right),
                "experiment_id": experiment,
            }
        )
    server.post_otlp(protobuf_request(spans), "application/x-protobuf")
    _api(server, "POST", f"/experiments/{experiment}/runs", json={"runs": runs})
    _api(server, "POST", "/scores", json=scores)
    return experiment


def test_two_experiments_picked_on_the_page_are_compared_side_by_side(page: Page, server) -> None:
    dataset = _api(server, "POST", "/datasets", json={"name": "capitals"})["id"]
    body = {"items": [{"input": {"country": c}, "expected_output": city} for c, city in QUESTIONS.items()]}
    items = _api(server, "POST", f"/datasets/{dataset}/items", json=body)["items"]
    for name in ANSWERS:
        _experiment(server, dataset, items, name)
    server.settle()

    page.goto(server.url + "/experiments")
    expect(page.locator("tr[data-experiment]")).to_have_count(2)
    page.get_by_label("Compare baseline").check()
    page.get_by_label("Compare tuned").check()
    page.get_by_role("button", name="Compare selected").click()

    totals = page.get_by_role("table", name="Totals")
    expect(totals.get_by_role("row", name="baseline")).to_contain_text("$0.75")
    expect(totals.get_by_role("row", name="baseline")).to_contain_text("0.667")
    expect(totals.get_by_role("row", name="tuned")).to_contain_text("$1.5")
    expect(totals.get_by_role("row", name="tuned")).to_contain_text("1.000")
    # The newest experiment is listed (and so picked) first: the others are marked against it.
    expect(page.locator(".heading .id")).to_contain_text("outputs marked against tuned")
    italy = page.locator("table.compare tr.changed")
    expect(italy).to_have_count(1)
    expect(italy.locator("del")).to_have_text("Rome")
    expect(italy.locator("ins")).to_have_text("Milan")
    expect(page.locator("table.compare tbody tr")).to_have_count(3)
    expect(italy.locator("td").first).to_contain_text('"country": "Italy"')
    expect(italy.locator("td").first).to_contain_text("expected: Rome")
    assert page.evaluate(UNNAMED_CONTROLS) == [] and page.evaluate(LOW_CONTRAST) == []
    screenshot(page, "experiments-compare")


def test_items_uploaded_with_the_form_are_listed(page: Page, server, tmp_path: Path) -> None:
    dataset = _api(server, "POST", "/datasets", json={"name": "uploads"})["id"]
    good = tmp_path / "items.jsonl"
    good.write_text('{"input": "hello", "expected_output": "hi"}\n{"input": {"q": 2}}\n')
    bad = tmp_path / "bad.csv"
    bad.write_text("input,metadata\nok,\nbroken,not-an-object\n")

    page.goto(f"{server.url}/datasets/{dataset}")
    page.get_by_label("File").set_input_files(str(bad))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-message")).to_contain_text("line 3: metadata must be a JSON object")
    page.get_by_label("File").set_input_files(str(good))
    page.get_by_role("button", name="Upload").click()

    expect(page.locator("tr[data-item]")).to_have_count(2)
    expect(page.locator("tr[data-item]").first).to_contain_text("hello")
    assert page.evaluate(UNNAMED_CONTROLS) == [] and page.evaluate(LOW_CONTRAST) == []
    screenshot(page, "dataset")


def test_a_trace_is_added_to_a_dataset_from_its_page(page: Page, server) -> None:
    trace_id = new_trace_id()
    attributes = {"tokentrail.input": '{"q": "2+2"}', "tokentrail.output": '"4"'}
    server.post_otlp(
        protobuf_request([span("math", trace_id, attributes=attributes)]), "application/x-protobuf"
    )
    server.settle()
    dataset = _api(server, "POST", "/datasets", json={"name": "regressions"})["id"]

    page.goto(f"{server.url}/traces/{trace_id}")
    page.get_by_text("Add to dataset").click()
    page.get_by_label("Dataset").select_option(label="regressions")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#add-to-dataset-message")).to_have_text("Added to regressions.")

    page.goto(server.url + "/datasets")
    expect(page.locator(f"tr[data-dataset='{dataset}']")).to_contain_text("1")
    page.goto(f"{server.url}/datasets/{dataset}")
    expect(page.locator("tr[data-item]")).to_contain_text("2+2")


def test_traces_ticked_in_the_list_are_added_to_a_dataset_together(page: Page, server) -> None:
    traces = {new_trace_id(): question for question in ("2+2", "3+3", "4+4")}
    spans = [
        span(
            "math",
            trace_id,
            start_ns=time.time_ns(),
            attributes={"tokentrail.input": f'{{"q": "{q}"}}', "tokentrail.output": '"x"'},
        )
        for trace_id, q in traces.items()
    ]
    server.post_otlp(protobuf_request(spans), "application/x-protobuf")
    server.settle()
    dataset = _api(server, "POST", "/datasets", json={"name": "picked"})["id"]
    chosen = [trace_id for trace_id, q in traces.items() if q != "3+3"]

    page.goto(server.url + "/traces")
    page.get_by_text("Add the selected traces to a dataset").click()
    page.get_by_label("Dataset").select_option(label="picked")
    page.get_by_role("button", name="Add selected").click()
    expect(page.locator("#add-to-dataset-message")).to_have_text("Select traces in the list first.")
    for trace_id in chosen:
        page.locator(f"tr[data-trace-id='{trace_id}'] input.pick").check()
    page.get_by_role("button", name="Add selected").click()
    expect(page.locator("#add-to-dataset-message")).to_have_text("Added 2 traces to picked.")

    items = _api(server, "GET", f"/datasets/{dataset}")["items"]
    assert sorted(item["source_trace_id"] for item in items) == sorted(chosen)
    assert sorted(item["input"]["q"] for item in items) == ["2+2", "4+4"]
