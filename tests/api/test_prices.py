"""Price rules through the API and the rules file: spans ingested after a change are priced by it, and
the tree says which rule priced each span."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from conftest import start_server
from otlp_builders import new_trace_id, protobuf_request, span

PROTOBUF = "application/x-protobuf"
MTOK = Decimal(1_000_000)


def _put(server, rule_id: str, body: dict[str, object], project: str | None = None) -> httpx.Response:
    params = {"project": project} if project else {}
    return httpx.put(f"{server.url}/api/v1/prices/{rule_id}", params=params, json=body, timeout=30)


def _send(server, *spans: dict[str, object]) -> None:
    assert server.post_otlp(protobuf_request(list(spans)), PROTOBUF).status_code == 200


def _llm(trace_id: str, model: str, parent: str = "", **usage: int) -> dict[str, object]:
    return span(
        "chat",
        trace_id,
        parent=parent,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": model,
            **{f"gen_ai.usage.{key}_tokens": count for key, count in usage.items()},
        },
    )


def test_a_model_rule_prices_the_spans_ingested_after_it(server):
    response = _put(
        server,
        "ft-support",
        {"match": "ft:gpt-4o-mini:acme:*", "prices": {"input": "0.30", "output": "1.20"}, "note": "contract"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["prices"] == {"input": "0.3", "output": "1.2"}

    trace_id = new_trace_id()
    _send(server, _llm(trace_id, "ft:gpt-4o-mini:acme:support:7b", input=10_000, output=1_000))

    (node,) = server.get(f"/api/v1/traces/{trace_id}").json()["spans"]
    assert node["cost"]["price_source"] == "rule:ft-support"
    assert Decimal(node["cost"]["total"]) == (10_000 * Decimal("0.30") + 1_000 * Decimal("1.20")) / MTOK


def test_a_call_rule_for_every_project_prices_a_tool_that_reports_nothing(server):
    assert (
        _put(
            server, "search", {"kind": "call", "match": "web_search", "prices": {"call": "0.002"}}, "*"
        ).status_code
        == 200
    )
    trace_id = new_trace_id()
    root = span("turn", trace_id)
    tool = span("web_search", trace_id, parent=root["span_id"], attributes={"gen_ai.tool.name": "web_search"})
    _send(server, root, tool)

    tree = server.get(f"/api/v1/traces/{trace_id}").json()
    assert tree["cost"] == "0.002"
    assert tree["spans"][1]["cost"] == {
        "total": "0.002",
        "by_type": {"tool": "0.002"},
        "origin": "custom",
        "unpriced_reason": None,
        "price_source": "rule:search",
    }


def test_rules_are_listed_looked_up_and_removed(server):
    _put(server, "cheap", {"match": "gpt-4o", "provider": "openai", "prices": {"input": "1", "output": "2"}})

    listed = server.get("/api/v1/prices").json()["rules"]
    assert [rule["id"] for rule in listed] == ["cheap"]
    looked_up = server.get("/api/v1/prices/lookup", model="gpt-4o", provider="openai").json()
    assert (looked_up["source"], looked_up["prices"]) == ("rule:cheap", {"input": "1", "output": "2"})

    assert httpx.delete(f"{server.url}/api/v1/prices/cheap", timeout=30).status_code == 204
    catalog = server.get("/api/v1/prices/lookup", model="gpt-4o", provider="openai").json()
    assert catalog["source"] == "genai-prices:openai/gpt-4o"
    assert Decimal(catalog["prices"]["input_mtok"]) > 0
    assert httpx.delete(f"{server.url}/api/v1/prices/cheap", timeout=30).status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"match": "m", "prices": {"tokens": "1"}}, "unknown price 'tokens'"),
        ({"match": "m", "prices": {"input": "-2"}}, "zero or more"),
        ({"kind": "call", "match": "m", "prices": {"call": "x"}}, "prices"),
        ({"match": "m", "prices": {"input": "1"}, "effective_from": "2026-11-01T00:00:00"}, "needs a zone"),
    ],
)
def test_a_bad_rule_is_answered_400_with_the_reason(server, body, message):
    response = _put(server, "bad", body)
    assert response.status_code == 400
    assert message in response.text
    assert server.get("/api/v1/prices").json()["rules"] == []


def test_the_rules_file_is_loaded_at_start(store, tmp_path: Path):
    rules = tmp_path / "prices.toml"
    rules.write_text(
        """
[[rules]]
id = "house"
project = "default"
match = "house-model"
effective_from = 2025-06-01
prices = { input = "1", output = "4", request = "0.001" }
""",
        encoding="utf-8",
    )
    for server in start_server(store, tmp_path, prices_file=rules):
        (rule,) = server.get("/api/v1/prices").json()["rules"]
        assert (rule["id"], rule["source"], rule["effective_from"]) == (
            "house",
            "config",
            "2025-06-01T00:00:00+00:00",
        )
        trace_id = new_trace_id()
        _send(server, _llm(trace_id, "house-model", input=1_000, output=100))
        (node,) = server.get(f"/api/v1/traces/{trace_id}").json()["spans"]
        assert Decimal(node["cost"]["total"]) == Decimal("0.001") + Decimal("0.0004") + Decimal("0.001")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_broken_rules_file_stops_the_server_naming_the_file(store, tmp_path: Path, capfd):
    rules = tmp_path / "prices.toml"
    rules.write_text('[[rules]]\nid = "x"\nmatch = "m"\nprices = { input = "free" }\n', encoding="utf-8")
    with pytest.raises(RuntimeError, match="did not start"):
        next(start_server(store, tmp_path, prices_file=rules))
    assert f"prices file {rules}: rule x: price input='free' is not a number" in capfd.readouterr().err
