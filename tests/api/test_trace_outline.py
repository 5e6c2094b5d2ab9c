"""``/api/v1/traces/{trace_id}/children`` and ``/search``: a large trace explored a page at a time."""

from __future__ import annotations

from decimal import Decimal

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span

PROTOBUF = "application/x-protobuf"


def _send(server, spans, **headers):
    response = server.post_otlp(protobuf_request(spans), PROTOBUF, **headers)
    assert response.status_code == 200, response.content


def _wide_trace(server, children=250, **headers):
    """A root with ``children`` children costing $0.01 each, the eighth (or the last) with two children of
    its own, one failing."""
    trace_id = new_trace_id()
    root = span("agent", trace_id, start_ns=NOW_NS, duration_ms=5000)
    kids = [
        span(
            f"step-{i}",
            trace_id,
            parent=root["span_id"],
            start_ns=NOW_NS + 1000 * (i + 1),
            attributes={"tool.cost_usd": "0.01"},
        )
        for i in range(children)
    ]
    seventh = kids[min(7, children - 1)]["span_id"]
    grandchildren = [
        span("lookup", trace_id, parent=seventh, start_ns=NOW_NS + 10**6),
        span("flaky call", trace_id, parent=seventh, start_ns=NOW_NS + 2 * 10**6, error="boom"),
    ]
    _send(server, [root, *kids, *grandchildren], **headers)
    return trace_id, root, kids, grandchildren


def test_a_spans_children_come_a_page_at_a_time_by_start_each_with_its_subtree_rollups(server):
    trace_id, root, _, _ = _wide_trace(server)

    first = server.get(f"/api/v1/traces/{trace_id}/children", parent=root["span_id"], limit=100).json()
    last = server.get(
        f"/api/v1/traces/{trace_id}/children", parent=root["span_id"], offset=200, limit=100
    ).json()

    assert first["total"] == last["total"] == 250
    assert [row["name"] for row in first["spans"]] == [f"step-{i}" for i in range(100)]
    assert [row["name"] for row in last["spans"]] == [f"step-{i}" for i in range(200, 250)]
    seventh = first["spans"][7]
    assert seventh["child_count"] == 2 and seventh["subtree_span_count"] == 3
    assert seventh["subtree_error_count"] == 1 and seventh["error"] is None
    assert Decimal(seventh["subtree_cost"]) == Decimal("0.01") and seventh["depth"] == 1
    assert first["spans"][0]["child_count"] == 0 and first["spans"][0]["subtree_span_count"] == 1


def test_without_a_parent_the_children_are_the_traces_roots(server):
    trace_id, root, _, _ = _wide_trace(server, children=3)

    roots = server.get(f"/api/v1/traces/{trace_id}/children").json()

    assert roots["parent_span_id"] is None and roots["total"] == 1
    assert roots["spans"][0]["span_id"] == root["span_id"]
    assert roots["spans"][0]["subtree_span_count"] == 6
    assert Decimal(roots["spans"][0]["subtree_cost"]) == Decimal("0.03")


def test_an_unknown_span_or_trace_is_not_found_and_a_malformed_trace_id_is_refused(server):
    trace_id, _, _, _ = _wide_trace(server, children=2)

    assert server.get(f"/api/v1/traces/{trace_id}/children", parent="00000000deadbeef").status_code == 404
    assert server.get(f"/api/v1/traces/{new_trace_id()}/children").status_code == 404
    assert server.get(f"/api/v1/traces/{new_trace_id()}/search", q="x").status_code == 404
    assert server.get("/api/v1/traces/not-a-trace/children").status_code == 400


def test_a_search_finds_spans_anywhere_with_the_way_down_to_each(server):
    trace_id, root, kids, grandchildren = _wide_trace(server)

    found = server.get(f"/api/v1/traces/{trace_id}/search", q="FLAKY").json()

    assert found["total"] == 1
    match = found["matches"][0]
    assert match["span"]["span_id"] == grandchildren[1]["span_id"]
    assert match["span"]["error"]["message"] == "boom"
    assert match["path"] == [
        {"span_id": root["span_id"], "index": 0},
        {"span_id": kids[7]["span_id"], "index": 7},
        {"span_id": grandchildren[1]["span_id"], "index": 1},
    ]


def test_a_search_matches_errors_and_span_ids_and_says_how_many_match_beyond_its_limit(server):
    trace_id, _, kids, grandchildren = _wide_trace(server)

    by_error = server.get(f"/api/v1/traces/{trace_id}/search", q="boom").json()
    by_id = server.get(f"/api/v1/traces/{trace_id}/search", q=kids[42]["span_id"].upper()).json()
    many = server.get(f"/api/v1/traces/{trace_id}/search", q="step-1", limit=5).json()

    assert [m["span"]["span_id"] for m in by_error["matches"]] == [grandchildren[1]["span_id"]]
    assert [m["span"]["name"] for m in by_id["matches"]] == ["step-42"]
    # step-1, step-10..19, step-100..199: depth first, so in start order here.
    assert many["total"] == 111 and len(many["matches"]) == 5
    names = [m["span"]["name"] for m in many["matches"]]
    assert names == ["step-1", "step-10", "step-11", "step-12", "step-13"]


def test_a_search_needs_a_text(server):
    trace_id, _, _, _ = _wide_trace(server, children=2)

    assert server.get(f"/api/v1/traces/{trace_id}/search").status_code == 400
    assert server.get(f"/api/v1/traces/{trace_id}/search", q="").status_code == 400


def test_a_trace_that_gains_spans_is_read_again(server):
    trace_id, root, _, _ = _wide_trace(server, children=3)
    before = server.get(f"/api/v1/traces/{trace_id}/children", parent=root["span_id"]).json()

    late = span("late step", trace_id, parent=root["span_id"], start_ns=NOW_NS + 10**9)
    _send(server, [late])
    after = server.get(f"/api/v1/traces/{trace_id}/children", parent=root["span_id"]).json()
    found = server.get(f"/api/v1/traces/{trace_id}/search", q="late").json()

    assert before["total"] == 3 and after["total"] == 4
    assert after["spans"][-1]["name"] == "late step"
    assert found["total"] == 1


def test_another_projects_trace_is_not_found(server):
    trace_id, root, _, _ = _wide_trace(server, children=3, **{"x-tokentrail-project": "other"})

    mine = server.get(f"/api/v1/traces/{trace_id}/children", project="other")
    theirs = server.get(f"/api/v1/traces/{trace_id}/children")
    searched = server.get(f"/api/v1/traces/{trace_id}/search", q="step")

    assert mine.status_code == 200 and mine.json()["spans"][0]["span_id"] == root["span_id"]
    assert theirs.status_code == 404 and searched.status_code == 404
