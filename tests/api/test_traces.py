"""``/api/v1/traces``: filters, sorting, cursor paging, and trace trees."""

from __future__ import annotations

from decimal import Decimal

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span

PROTOBUF = "application/x-protobuf"
SECOND = 1_000_000_000


def _send(server, spans, **headers):
    response = server.post_otlp(protobuf_request(spans), PROTOBUF, **headers)
    assert response.status_code == 200, response.content
    return response


def _trace(name, *, start_ns, cost="0", duration_ms=10.0, error=None, model=None, session=None, user=None):
    trace_id = new_trace_id()
    attributes = {"tool.cost_usd": cost}
    if session:
        attributes["session.id"] = session
    if user:
        attributes["user.id"] = user
    root = span(
        name, trace_id, start_ns=start_ns, duration_ms=duration_ms, attributes=attributes, error=error
    )
    spans = [root]
    if model:
        spans.append(
            span(
                "llm",
                trace_id,
                parent=root["span_id"],
                start_ns=start_ns + 1,
                attributes={
                    "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": model,
                    "gen_ai.usage.input_tokens": 100,
                    "gen_ai.usage.output_tokens": 10,
                },
            )
        )
    return trace_id, spans


def _ids(response):
    return [row["trace_id"] for row in response.json()["traces"]]


def test_traces_are_listed_newest_first_with_their_totals(server):
    old, old_spans = _trace("old", start_ns=NOW_NS, cost="0.1", model="gpt-4o-mini")
    new, new_spans = _trace("new", start_ns=NOW_NS + SECOND, cost="0.2", error="boom")
    _send(server, old_spans + new_spans)

    rows = server.get("/api/v1/traces").json()["traces"]

    assert [row["trace_id"] for row in rows] == [new, old]
    assert rows[0]["error_count"] == 1 and rows[0]["cost"] == "0.2"
    assert rows[1]["span_count"] == 2
    assert rows[1]["tokens"] == 110
    assert rows[1]["models"] == ["gpt-4o-mini"]
    assert Decimal(rows[1]["cost"]) > Decimal("0.1")


def test_sorting_by_cost_and_duration_in_both_orders(server):
    cheap, a = _trace("cheap", start_ns=NOW_NS, cost="0.01", duration_ms=300)
    dear, b = _trace("dear", start_ns=NOW_NS + 1, cost="0.5", duration_ms=100)
    mid, c = _trace("mid", start_ns=NOW_NS + 2, cost="0.1", duration_ms=200)
    _send(server, a + b + c)

    assert _ids(server.get("/api/v1/traces", sort="cost")) == [dear, mid, cheap]
    assert _ids(server.get("/api/v1/traces", sort="cost", order="asc")) == [cheap, mid, dear]
    assert _ids(server.get("/api/v1/traces", sort="duration")) == [cheap, mid, dear]


def test_cursor_pages_through_every_trace_exactly_once(server):
    spans = []
    for index in range(7):
        spans += _trace(f"t{index}", start_ns=NOW_NS + (index % 3) * SECOND, cost=f"0.0{index}")[1]
    _send(server, spans)

    for sort in ("time", "cost", "duration"):
        seen, cursor = [], None
        while True:
            page = server.get("/api/v1/traces", sort=sort, limit=3, cursor=cursor).json()
            seen += [row["trace_id"] for row in page["traces"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 7, sort


def test_filters_narrow_the_list(server):
    a, spans_a = _trace(
        "checkout flow", start_ns=NOW_NS, cost="0.3", model="gpt-4o-mini", session="s1", user="u1"
    )
    b, spans_b = _trace("search", start_ns=NOW_NS + SECOND, cost="0.01", error="timeout", duration_ms=900)
    _send(server, spans_a)
    _send(server, spans_b, **{"x-tokentrail-project": "default"})

    assert _ids(server.get("/api/v1/traces", name="CHECKOUT")) == [a]
    assert _ids(server.get("/api/v1/traces", session_id="s1")) == [a]
    assert _ids(server.get("/api/v1/traces", user_id="u1")) == [a]
    assert _ids(server.get("/api/v1/traces", model="gpt-4o-mini")) == [a]
    assert _ids(server.get("/api/v1/traces", service="test-app")) == [b, a]
    assert _ids(server.get("/api/v1/traces", has_error="true")) == [b]
    assert _ids(server.get("/api/v1/traces", has_error="false")) == [a]
    assert _ids(server.get("/api/v1/traces", min_cost="0.1")) == [a]
    assert _ids(server.get("/api/v1/traces", min_duration_ms=500)) == [b]
    assert _ids(server.get("/api/v1/traces", start="2026-01-01T00:00:00.5Z")) == [b]
    assert _ids(server.get("/api/v1/traces", end="2026-01-01T00:00:00.5Z")) == [a]


def test_bad_list_parameters_get_a_400_that_names_them(server):
    for params, word in [
        ({"min_cost": "lots"}, "min_cost"),
        ({"sort": "name"}, "sort"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"start": "2026-01-01T00:00:00"}, "zone"),
        ({"limit": 0}, "limit"),
    ]:
        response = server.get("/api/v1/traces", **params)
        assert response.status_code == 400, params
        assert word in response.json()["error"]["message"], params


def test_trace_tree_orders_children_by_start_and_rolls_up_subtrees(server):
    trace_id = new_trace_id()
    root = span("root", trace_id, start_ns=NOW_NS, duration_ms=100)
    late = span(
        "late",
        trace_id,
        parent=root["span_id"],
        start_ns=NOW_NS + 50_000_000,
        attributes={"tool.cost_usd": 1},
    )
    early = span(
        "early", trace_id, parent=root["span_id"], start_ns=NOW_NS + 1, attributes={"tool.cost_usd": 2}
    )
    grandchild = span(
        "grandchild", trace_id, parent=early["span_id"], start_ns=NOW_NS + 2, duration_ms=500, error="bad"
    )
    _send(server, [late, grandchild, root, early])

    tree = server.get(f"/api/v1/traces/{trace_id}").json()

    assert [s["name"] for s in tree["spans"]] == ["root", "early", "grandchild", "late"]
    root_node, early_node, _, _ = tree["spans"]
    assert root_node["child_span_ids"] == [early["span_id"], late["span_id"]]
    assert root_node["subtree_cost"]["total"] == "3"
    assert early_node["cost"]["total"] == "2" and early_node["subtree_cost"]["total"] == "2"
    assert early_node["subtree_error_count"] == 1
    # The grandchild outlives its parents: the subtree duration covers it.
    assert root_node["duration_ns"] == 100_000_000
    assert root_node["subtree_duration_ns"] == 500_000_002
    assert tree["error_count"] == 1


def test_orphan_spans_still_show_and_are_marked(server):
    trace_id = new_trace_id()
    orphan = span("orphan", trace_id, parent="00000000000000ff", attributes={"tool.cost_usd": "0.25"})
    _send(server, [orphan])

    tree = server.get(f"/api/v1/traces/{trace_id}").json()
    (node,) = tree["spans"]
    assert node["broken_link"] == "orphan"
    (row,) = server.get("/api/v1/traces").json()["traces"]
    assert row["root_missing"] is True and row["name"] == "orphan" and row["cost"] == "0.25"


def test_unknown_and_malformed_trace_ids(server):
    assert server.get(f"/api/v1/traces/{new_trace_id()}").status_code == 404
    assert server.get("/api/v1/traces/xyz").status_code == 400


def test_tag_filter_finds_traces_with_the_tag_on_any_span(server):
    tagged, spans_a = _trace("tagged", start_ns=NOW_NS)
    spans_a.append(
        span(
            "child",
            tagged,
            parent=spans_a[0]["span_id"],
            start_ns=NOW_NS + 1,
            attributes={"tag.tags": ["vip"]},
        )
    )
    other, spans_b = _trace("other", start_ns=NOW_NS + SECOND)
    spans_b[0]["attributes"]["tag.tags"] = ["beta"]
    _send(server, spans_a + spans_b)

    assert _ids(server.get("/api/v1/traces", tag="vip")) == [tagged]
    assert _ids(server.get("/api/v1/traces", tag="beta")) == [other]
    assert _ids(server.get("/api/v1/traces", tag="VIP")) == []  # tags match exactly
    assert _ids(server.get("/api/v1/traces", tag="vip", name="other")) == []


def test_text_search_matches_any_spans_name_input_or_output_ignoring_case(server):
    by_input, spans_a = _trace("a", start_ns=NOW_NS)
    spans_a.append(
        span(
            "llm",
            by_input,
            parent=spans_a[0]["span_id"],
            start_ns=NOW_NS + 1,
            attributes={"input.value": "What is the Refund policy?", "output.value": "30 days"},
        )
    )
    by_output, spans_b = _trace("b", start_ns=NOW_NS + SECOND)
    spans_b[0]["attributes"]["output.value"] = "Refunds take 5 Über-days"
    by_name, spans_c = _trace("lookup refund", start_ns=NOW_NS + 2 * SECOND)
    _, spans_d = _trace("unrelated", start_ns=NOW_NS + 3 * SECOND)
    _send(server, spans_a + spans_b + spans_c + spans_d)

    assert _ids(server.get("/api/v1/traces", q="REFUND")) == [by_name, by_output, by_input]
    assert _ids(server.get("/api/v1/traces", q="über-DAYS")) == [by_output]
    assert _ids(server.get("/api/v1/traces", q="30 days")) == [by_input]
    # The text is searched for as it is: no pattern characters.
    assert _ids(server.get("/api/v1/traces", q="refund%")) == []
    assert _ids(server.get("/api/v1/traces", q="_")) == []
    assert _ids(server.get("/api/v1/traces", q="refund", sort="time", order="asc", limit=1)) == [by_input]


def _retried_tool_trace():
    """A root calling a tool that failed, then again (marked as a resend) beside a short audit step, with
    payloads everywhere."""
    trace_id = new_trace_id()
    root = span("root", trace_id, duration_ms=100, attributes={"input.value": "question", "session.id": "s1"})
    first = span(
        "search",
        trace_id,
        parent=root["span_id"],
        start_ns=NOW_NS + 1,
        duration_ms=10,
        error="timeout",
        attributes={"tool.cost_usd": "0.1", "input.value": '{"q": "refunds"}'},
    )
    second = span(
        "search",
        trace_id,
        parent=root["span_id"],
        start_ns=NOW_NS + 20 * 1_000_000,
        duration_ms=30,
        attributes={
            "tool.cost_usd": "0.1",
            "http.request.resend_count": 1,
            "output.value": "30 days",
            "custom.note": "kept",
        },
    )
    audit = span("audit", trace_id, parent=root["span_id"], start_ns=NOW_NS + 25 * 1_000_000, duration_ms=5)
    return trace_id, [root, first, second, audit]


def test_a_tree_marks_its_critical_path(server):
    trace_id, spans = _retried_tool_trace()
    _send(server, spans)

    tree = server.get(f"/api/v1/traces/{trace_id}").json()

    root, first, second, audit = (s["span_id"] for s in spans)
    # The failed attempt delayed the retry, so it decided the end too; the audit ran beside the retry.
    assert tree["critical_path"] == [root, first, second]
    critical = {s["span_id"]: s["critical"] for s in tree["spans"]}
    assert critical == {root: True, first: True, second: True, audit: False}


def test_a_tree_without_payloads_has_the_same_numbers_and_no_payload_fields(server):
    trace_id, spans = _retried_tool_trace()
    _send(server, spans)

    full = server.get(f"/api/v1/traces/{trace_id}").json()
    light = server.get(f"/api/v1/traces/{trace_id}", payloads="false").json()

    payload_fields = {"input", "output", "attributes", "resource", "events", "metadata"}
    assert all(payload_fields <= set(node) for node in full["spans"])
    assert all(not payload_fields & set(node) for node in light["spans"])
    # Retries are still found: the resend attribute is read even without the attributes.
    assert light["retry_waste"] == full["retry_waste"] == "0.1"
    for node in full["spans"]:
        for field in payload_fields:
            del node[field]
    assert light == full


def test_one_span_is_its_tree_node_with_its_payloads(server):
    trace_id, spans = _retried_tool_trace()
    _send(server, spans)
    tree = server.get(f"/api/v1/traces/{trace_id}").json()
    first_id, second_id = spans[1]["span_id"], spans[2]["span_id"]

    first = server.get(f"/api/v1/traces/{trace_id}/spans/{first_id}").json()
    second = server.get(f"/api/v1/traces/{trace_id.upper()}/spans/{second_id.upper()}").json()

    assert first == tree["spans"][1] and second == tree["spans"][2]
    assert first["input"] == '{"q": "refunds"}' and first["error"]["message"] == "timeout"
    assert first["retry"]["replaced_by"] == second_id and first["critical"] is True
    assert second["output"] == "30 days" and second["attributes"]["custom.note"] == "kept"


def test_an_unknown_span_or_trace_is_a_404_and_a_malformed_trace_id_a_400(server):
    trace_id, spans = _retried_tool_trace()
    _send(server, spans)

    assert server.get(f"/api/v1/traces/{trace_id}/spans/00000000000000aa").status_code == 404
    assert server.get(f"/api/v1/traces/{new_trace_id()}/spans/{spans[0]['span_id']}").status_code == 404
    assert server.get(f"/api/v1/traces/nope/spans/{spans[0]['span_id']}").status_code == 400
