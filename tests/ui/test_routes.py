"""The pages' panels over HTTP: each is a fragment for the page's script, with the page's filters."""

from __future__ import annotations

import httpx
import pytest

from large_traces import nested_trace
from otlp_builders import new_trace_id
from tokentrail.ui.views import LARGE_TRACE_SPANS


@pytest.fixture(scope="module")
def client(demo_server):
    with httpx.Client(base_url=demo_server.url) as client:
        yield client


def test_the_costs_page_links_each_slow_panel_with_its_own_filters(client):
    html = client.get("/costs", params={"range": "7d", "group_by": "kind"}).text

    for panel in ("kinds", "sessions", "users"):
        assert f'data-panel="/costs/panels/{panel}?range=7d&amp;group_by=kind"' in html


@pytest.mark.parametrize(
    ("panel", "heading", "row_link"),
    [
        ("kinds", "By kind", None),
        ("sessions", "Most expensive sessions", 'href="/sessions/'),
        ("users", "Most expensive users", 'href="/traces?range=7d&amp;user='),
    ],
)
def test_a_panel_is_a_section_with_its_table(client, panel, heading, row_link):
    response = client.get(f"/costs/panels/{panel}", params={"range": "7d"})

    assert response.status_code == 200
    assert response.text.lstrip().startswith("<section")
    assert f">{heading}</h2>" in response.text
    assert "<tbody><tr>" in response.text
    if row_link:
        assert row_link in response.text


def test_an_unknown_panel_is_a_clear_error(client):
    response = client.get("/costs/panels/everything")

    assert response.status_code == 400
    assert "panel must be one of kinds, sessions, users" in response.text


def test_a_tool_spans_panel_names_its_tool(client):
    trace_ids = [
        trace["trace_id"] for trace in client.get("/api/v1/traces", params={"limit": 50}).json()["traces"]
    ]
    tools = [
        (trace_id, node)
        for trace_id in trace_ids
        for node in client.get(f"/api/v1/traces/{trace_id}", params={"payloads": "false"}).json()["spans"]
        if node["kind"] == "tool"
    ]
    trace_id, tool = tools[0]

    html = client.get(f"/traces/{trace_id}/spans/{tool['span_id']}").text

    assert tool["tool_name"] in ("web_search", "invoice_lookup")  # the demo's OpenInference tool.name
    assert f"<dt>Tool</dt><dd><code>{tool['tool_name']}</code></dd>" in html


def test_a_large_traces_blowup_section_loads_after_its_page_as_a_fragment(server):
    trace_id = new_trace_id()
    server.app.state.writer.write(nested_trace(trace_id, LARGE_TRACE_SPANS + 1), 60)

    page = server.get(f"/traces/{trace_id}").text
    section = server.get(f"/traces/{trace_id}/blowup")

    assert f'data-panel="/traces/{trace_id}/blowup"' in page
    assert "No span failed." not in page  # the section's verdicts are not in the page itself
    assert section.status_code == 200
    assert section.text.lstrip().startswith('<section class="blowup" id="blowup"')
    assert "No span failed." in section.text
    assert "in the 7 days before the trace" in section.text


def test_a_small_traces_blowup_section_comes_with_its_page(client):
    trace_id = client.get("/api/v1/traces", params={"limit": 1}).json()["traces"][0]["trace_id"]

    page = client.get(f"/traces/{trace_id}").text

    assert 'id="blowup"' in page
    assert f'data-panel="/traces/{trace_id}/blowup"' not in page
