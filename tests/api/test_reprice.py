"""Re-pricing stored spans after a price change: ``POST /api/v1/reprice`` and the job it starts."""

from __future__ import annotations

import itertools
import threading
import time
from decimal import Decimal

import httpx
import pytest

from conftest import start_server
from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span
from prices import MTOK, per_mtok
from tokentrail.documents.errors import status_of
from tokentrail.pricing import reprice as reprice_module
from tokentrail.pricing.reprice import JobState, RepriceJob, Repricer, split_lines
from tokentrail.pricing.rules import RuleBook

PROTOBUF = "application/x-protobuf"
DAY_NS = 86_400 * 10**9
SINCE = "2026-01-01T00:00:00Z"  # NOW_NS
CATALOG = per_mtok("gpt-4o-mini", "openai", NOW_NS)
RULE = {"match": "gpt-4o-mini", "provider": "openai", "prices": {"input": "0.10", "output": "0.50"}}


def _llm(trace_id: str, *, start_ns: int = NOW_NS, model: str = "gpt-4o-mini", parent: str = "", **extra):
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.usage.input_tokens": 10_000,
        "gen_ai.usage.output_tokens": 1_000,
        **extra,
    }
    return span("chat", trace_id, parent=parent, start_ns=start_ns, attributes=attributes)


def _send(server, spans: list[dict]) -> None:
    assert server.post_otlp(protobuf_request(spans), PROTOBUF).status_code == 200
    server.settle()


def _put_rule(server, rule_id: str, body: dict) -> None:
    response = httpx.put(f"{server.url}/api/v1/prices/{rule_id}", json=body, timeout=30)
    assert response.status_code == 200, response.text


def _reprice(server, **body) -> dict:
    return server.reprice(since=SINCE, **body)


def _cost(server, trace_id: str) -> Decimal:
    return Decimal(server.get(f"/api/v1/traces/{trace_id}").json()["cost"])


def _at(prices: dict[str, Decimal], tokens_in: int = 10_000, tokens_out: int = 1_000) -> Decimal:
    return (tokens_in * prices["input"] + tokens_out * prices["output"]) / MTOK


RULE_COST = _at({"input": Decimal("0.10"), "output": Decimal("0.50")})
CATALOG_COST = _at({"input": CATALOG["input_mtok"], "output": CATALOG["output_mtok"]})


def test_a_new_rule_reprices_the_spans_stored_before_it(server):
    trace_ids = [new_trace_id() for _ in range(3)]
    _send(server, [_llm(trace_id, start_ns=NOW_NS + i) for i, trace_id in enumerate(trace_ids)])
    assert _cost(server, trace_ids[0]) == CATALOG_COST
    _put_rule(server, "negotiated", RULE)

    job = _reprice(server)

    assert (job["total_spans"], job["done_spans"], job["changed_spans"]) == (3, 3, 3)
    assert Decimal(job["cost_before"]) == 3 * CATALOG_COST and Decimal(job["cost_after"]) == 3 * RULE_COST
    assert Decimal(job["cost_change"]) == 3 * (RULE_COST - CATALOG_COST)
    for trace_id in trace_ids:
        (node,) = server.get(f"/api/v1/traces/{trace_id}").json()["spans"]
        assert node["cost"]["price_source"] == "rule:negotiated"
        assert Decimal(node["cost"]["total"]) == RULE_COST
    costs = server.get("/api/v1/costs", group_by="model").json()
    assert Decimal(costs["total"]) == 3 * RULE_COST


def test_repricing_twice_changes_nothing_the_second_time(server):
    trace_id = new_trace_id()
    _send(server, [_llm(trace_id)])
    _put_rule(server, "negotiated", RULE)
    _reprice(server)

    again = _reprice(server)

    assert again["changed_spans"] == 0 and again["total_spans"] == 1
    assert again["cost_before"] == again["cost_after"] == str(RULE_COST.normalize())
    assert len(server.get(f"/api/v1/traces/{trace_id}").json()["spans"]) == 1
    assert _cost(server, trace_id) == RULE_COST


def test_only_the_range_is_repriced_and_reported_costs_are_kept(server):
    before, inside, after, reported = (new_trace_id() for _ in range(4))
    _send(
        server,
        [
            _llm(before, start_ns=NOW_NS - DAY_NS),
            _llm(inside, start_ns=NOW_NS + DAY_NS),
            _llm(after, start_ns=NOW_NS + 3 * DAY_NS),
            _llm(reported, start_ns=NOW_NS + DAY_NS, **{"llm.cost.total": 0.25}),
        ],
    )
    _put_rule(server, "negotiated", RULE)

    job = _reprice(server, until="2026-01-03T00:00:00Z")

    assert job["total_spans"] == 1 and job["changed_spans"] == 1
    assert _cost(server, inside) == RULE_COST
    assert _cost(server, before) == _cost(server, after) == CATALOG_COST
    assert _cost(server, reported) == Decimal("0.25")


def test_a_dry_run_reports_the_change_and_writes_nothing(server):
    trace_id = new_trace_id()
    _send(server, [_llm(trace_id)])
    _put_rule(server, "negotiated", RULE)

    job = _reprice(server, dry_run=True)

    assert job["dry_run"] is True and job["changed_spans"] == 1
    assert Decimal(job["cost_after"]) == RULE_COST
    assert _cost(server, trace_id) == CATALOG_COST


def test_spans_of_an_unknown_model_are_priced_once_a_rule_names_it(server):
    trace_id = new_trace_id()
    _send(server, [_llm(trace_id, model="ft:gpt-4o-mini:acme:support")])
    assert server.get("/api/v1/costs/unpriced").json()["span_count"] == 1
    _put_rule(server, "ft", {"match": "ft:gpt-4o-mini:acme:*", "prices": {"input": "0.30", "output": "1.20"}})

    job = _reprice(server)

    (node,) = server.get(f"/api/v1/traces/{trace_id}").json()["spans"]
    assert job["changed_spans"] == 1
    assert node["cost"]["unpriced_reason"] is None and node["cost"]["price_source"] == "rule:ft"
    assert Decimal(node["cost"]["total"]) == _at({"input": Decimal("0.30"), "output": Decimal("1.20")})
    assert server.get("/api/v1/costs/unpriced").json()["span_count"] == 0


def test_a_call_rule_prices_stored_tool_spans_and_a_removed_rule_unprices_them(server):
    trace_id = new_trace_id()
    tool = span(
        "search", trace_id, attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "web"}
    )
    _send(server, [tool])
    _put_rule(server, "web", {"kind": "call", "match": "web", "prices": {"call": "0.002"}})

    _reprice(server)
    priced = _cost(server, trace_id)
    assert httpx.delete(f"{server.url}/api/v1/prices/web", timeout=30).status_code == 204
    _reprice(server)

    assert priced == Decimal("0.002")
    assert _cost(server, trace_id) == 0


def test_a_call_reported_by_two_layers_still_counts_once_after_repricing(server):
    trace_id = new_trace_id()
    outer = _llm(trace_id)
    inner = _llm(trace_id, parent=outer["span_id"], start_ns=NOW_NS + 1)
    _send(server, [outer, inner])
    _put_rule(server, "negotiated", RULE)

    job = _reprice(server)

    assert job["changed_spans"] == 2
    assert Decimal(job["cost_before"]) == CATALOG_COST and Decimal(job["cost_after"]) == RULE_COST
    assert _cost(server, trace_id) == RULE_COST


def test_every_chunk_of_many_traces_is_repriced(server, monkeypatch):
    monkeypatch.setattr(reprice_module, "CHUNK_SPANS", 4)
    trace_ids = [new_trace_id() for _ in range(40)]
    _send(server, [_llm(trace_id) for trace_id in trace_ids])
    _put_rule(server, "negotiated", RULE)
    scans = []
    scan = reprice_module.store_reprice.reprice_scan
    monkeypatch.setattr(
        reprice_module.store_reprice, "reprice_scan", lambda *a: scans.append(a[2]) or scan(*a)
    )

    job = _reprice(server)

    assert job["changed_spans"] == 40 and len(scans) >= 5
    assert scans[0][0] is None and scans[-1][1] is None  # the ranges cover every trace id
    assert all(a[1] == b[0] for a, b in itertools.pairwise(scans))
    assert Decimal(server.get("/api/v1/costs").json()["total"]) == 40 * RULE_COST
    assert all(_cost(server, trace_id) == RULE_COST for trace_id in trace_ids)


def test_bad_requests_are_refused_with_the_reason(server):
    def post(body: dict) -> httpx.Response:
        return httpx.post(f"{server.url}/api/v1/reprice", json=body, timeout=30)

    assert post({}).status_code == 400
    assert "zone" in post({"since": "2026-01-01T00:00:00"}).json()["error"]["message"]
    backwards = post({"since": SINCE, "until": "2025-12-31T00:00:00Z"})
    assert backwards.status_code == 400 and "after" in backwards.json()["error"]["message"]
    assert server.get("/api/v1/reprice/nope").status_code == 404


def test_a_second_job_while_one_runs_is_a_conflict(store):
    release = threading.Event()

    def rules() -> RuleBook:
        release.wait(30)  # the job waits here, running
        return RuleBook()

    repricer = Repricer(store, rules)
    first = repricer.start(RepriceJob("default", NOW_NS))
    with pytest.raises(Exception, match="still running") as refused:
        repricer.start(RepriceJob("default", NOW_NS))
    release.set()
    deadline = time.monotonic() + 30
    while first.state is JobState.RUNNING and time.monotonic() < deadline:
        time.sleep(0.02)

    assert type(refused.value).__name__ == "Conflict" and status_of(refused.value) == 409
    assert first.state is JobState.DONE
    assert [job.id for job in repricer.jobs()] == [first.id]


@pytest.mark.slow
def test_a_server_with_ingest_processes_prices_in_them(store, tmp_path, monkeypatch):
    monkeypatch.setattr(reprice_module, "CHUNK_SPANS", 10)
    for server in start_server(store, tmp_path, ingest_processes=2):
        trace_ids = [new_trace_id() for _ in range(30)]
        _send(server, [_llm(trace_id, start_ns=NOW_NS + i) for i, trace_id in enumerate(trace_ids)])
        _put_rule(server, "negotiated", RULE)

        job = _reprice(server)

        assert server.app.state.ingest.processes()[1] == 2
        assert job["changed_spans"] == 30 and Decimal(job["cost_after"]) == 30 * RULE_COST
        assert Decimal(server.get("/api/v1/costs").json()["total"]) == 30 * RULE_COST


@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_a_block_is_split_at_line_ends_into_pieces_that_keep_every_line(parts):
    block = b"\n".join(b'["%d", "x"]' % i * (i % 4 + 1) for i in range(20))

    pieces = split_lines(block, parts)

    assert 1 <= len(pieces) <= parts
    assert [line for piece in pieces for line in piece.split(b"\n")] == block.split(b"\n")
