"""``/api/v1/errors``: failing traces through OTLP into a live server, grouped by the span where each
failure started (the deepest error span, the earliest of several), with counts, times and costs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span
from tokentrail.documents.encoding import iso

PROTOBUF = "application/x-protobuf"
MS = 1_000_000
HOUR = 3600 * 10**9


def _step(trace_id, parent="", *, start_ns=NOW_NS, error=None, name="step", **attributes):
    attributes = {"openinference.span.kind": "CHAIN", **attributes}
    return span(name, trace_id, parent=parent, start_ns=start_ns, attributes=attributes, error=error)


def _tool(
    trace_id, parent, *, start_ns=NOW_NS + MS, error=None, error_type=None, cost="0", name="web_search"
):
    attributes = {"openinference.span.kind": "TOOL", "tool.name": name, "tool.cost_usd": cost}
    if error_type:
        attributes["error.type"] = error_type
    return span(name, trace_id, parent=parent, start_ns=start_ns, attributes=attributes, error=error)


def _failing_trace(*, start_ns=NOW_NS, error_type="TimeoutError", message="search timed out", cost="0"):
    """root (error) -> agent (error) -> plan (error) -> web_search (error, where it started)."""
    trace_id = new_trace_id()
    root = _step(trace_id, start_ns=start_ns, error="agent failed", name="turn")
    agent = _step(trace_id, root["span_id"], start_ns=start_ns + MS, error="step failed", name="agent")
    plan = _step(trace_id, agent["span_id"], start_ns=start_ns + 2 * MS, error="tool failed", name="plan")
    tool = _tool(
        trace_id, plan["span_id"], start_ns=start_ns + 3 * MS, error=message, error_type=error_type, cost=cost
    )
    return trace_id, [root, agent, plan, tool]


def _send(server, *spans):
    response = server.post_otlp(protobuf_request(list(spans)), PROTOBUF)
    assert response.status_code == 200, response.text


def _errors(server, **params):
    response = server.get("/api/v1/errors", **params)
    assert response.status_code == 200, response.text
    return response.json()


def _at(ns):
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat()


def test_a_failure_is_grouped_under_the_deep_span_where_it_started(server):
    trace_id, spans = _failing_trace(cost="0.25")
    _send(server, *spans)

    body = _errors(server)
    assert body["trace_count"] == 1 and body["failed_cost"] == "0.25"
    assert body["groups"] == [
        {
            "span_name": "web_search",
            "kind": "tool",
            "error_type": "TimeoutError",
            "service": "test-app",
            "sample_message": "search timed out",
            "trace_count": 1,
            "first_seen": iso(NOW_NS),
            "last_seen": iso(NOW_NS),
            "failed_cost": "0.25",
            "sample_trace_ids": [trace_id],
        }
    ]


def test_two_error_types_of_one_span_are_two_groups(server):
    for error_type, message in [
        ("TimeoutError", "timed out"),
        ("TimeoutError", "timed out"),
        ("HTTP 500", "oops"),
    ]:
        _send(server, *_failing_trace(error_type=error_type, message=message)[1])

    groups = _errors(server)["groups"]
    assert [(g["span_name"], g["error_type"], g["trace_count"]) for g in groups] == [
        ("web_search", "TimeoutError", 2),
        ("web_search", "HTTP 500", 1),
    ]
    assert groups[1]["sample_message"] == "oops"


def test_a_span_that_did_not_fail_between_two_that_did_hides_the_deeper_origin(server):
    trace_id = new_trace_id()
    root = _step(trace_id, error="turn failed", name="turn")
    wrapper = _step(trace_id, root["span_id"], start_ns=NOW_NS + MS, name="retrying-wrapper")  # status ok
    tool = _tool(
        trace_id, wrapper["span_id"], start_ns=NOW_NS + 2 * MS, error="quota", error_type="RateLimit"
    )
    sibling = _tool(trace_id, root["span_id"], start_ns=NOW_NS + 3 * MS, name="lookup")  # ok, a leaf
    _send(server, root, wrapper, tool, sibling)

    body = _errors(server)
    assert body["trace_count"] == 1
    assert [(g["span_name"], g["error_type"], g["sample_message"]) for g in body["groups"]] == [
        ("web_search", "RateLimit", "quota")
    ]


def test_traces_settled_in_sql_and_on_their_trees_share_a_group(server):
    # The first settles on its error spans alone; the second needs its tree (an ok span in between).
    plain_id, plain = _failing_trace(error_type="RateLimit", message="quota 1", cost="1")
    hidden_id = new_trace_id()
    root = _step(hidden_id, start_ns=NOW_NS + HOUR, error="turn failed", name="turn")
    wrapper = _step(hidden_id, root["span_id"], start_ns=NOW_NS + HOUR + MS, name="wrapper")
    tool = _tool(
        hidden_id,
        wrapper["span_id"],
        start_ns=NOW_NS + HOUR + 2 * MS,
        error="quota 2",
        error_type="RateLimit",
    )
    tool["attributes"]["tool.cost_usd"] = "2"
    _send(server, *plain, root, wrapper, tool)

    body = _errors(server)
    (group,) = body["groups"]
    assert (group["span_name"], group["error_type"], group["trace_count"]) == ("web_search", "RateLimit", 2)
    assert group["sample_trace_ids"] == [hidden_id, plain_id] and group["sample_message"] == "quota 2"
    assert group["first_seen"] == iso(NOW_NS) and group["last_seen"] == iso(NOW_NS + HOUR)
    assert group["failed_cost"] == "3" and body["failed_cost"] == "3" and body["trace_count"] == 2


def test_an_error_span_with_children_that_did_not_fail_is_where_it_started(server):
    trace_id = new_trace_id()
    root = _step(trace_id, error="bad answer", name="turn")
    tool = _tool(trace_id, root["span_id"], start_ns=NOW_NS + MS)  # ok
    _send(server, root, tool)

    groups = _errors(server)["groups"]
    assert [(g["span_name"], g["kind"], g["error_type"]) for g in groups] == [("turn", "chain", "")]


def test_of_several_independent_origins_the_earliest_counts_once(server):
    trace_id = new_trace_id()
    root = _step(trace_id, name="turn")  # ok: the failures below were handled
    # The first error span has an error beneath it (under a span that did not fail): not an origin.
    branch = _step(trace_id, root["span_id"], start_ns=NOW_NS + MS, error="branch failed", name="branch")
    holder = _step(trace_id, branch["span_id"], start_ns=NOW_NS + 2 * MS, name="holder")
    hidden = _tool(trace_id, holder["span_id"], start_ns=NOW_NS + 6 * MS, error="hidden", name="hidden_tool")
    early = _tool(trace_id, root["span_id"], start_ns=NOW_NS + 3 * MS, error="early", name="early_tool")
    late = _tool(trace_id, root["span_id"], start_ns=NOW_NS + 5 * MS, error="late", name="late_tool")
    _send(server, root, branch, holder, hidden, early, late)

    body = _errors(server)
    assert body["trace_count"] == 1
    assert [(g["span_name"], g["trace_count"], g["sample_message"]) for g in body["groups"]] == [
        ("early_tool", 1, "early")
    ]

    # Ties on the start go by span id.
    other = new_trace_id()
    top = _step(other, name="turn")
    a = _tool(other, top["span_id"], start_ns=NOW_NS + MS, error="a", name="tool_a")
    b = _tool(other, top["span_id"], start_ns=NOW_NS + MS, error="b", name="tool_b")
    a["span_id"], b["span_id"] = "00000000000000b2", "00000000000000b1"
    _send(server, top, a, b)
    names = {g["span_name"]: g["trace_count"] for g in _errors(server)["groups"]}
    assert names == {"early_tool": 1, "tool_b": 1}


def test_failed_cost_sums_the_failing_traces_once_and_leaves_clean_ones_out(server):
    first_id, first = _failing_trace(cost="0.25")
    second_id, second = _failing_trace(cost="0.5", start_ns=NOW_NS + HOUR)
    # A paid sibling of the failing tool counts toward its trace's cost too.
    second.append(_tool(second_id, second[0]["span_id"], start_ns=NOW_NS + HOUR + 9 * MS, cost="0.125"))
    clean_id = new_trace_id()
    clean_root = _step(clean_id)
    _send(server, *first, *second, clean_root, _tool(clean_id, clean_root["span_id"], cost="4"))

    body = _errors(server)
    assert body["trace_count"] == 2
    assert Decimal(body["failed_cost"]) == Decimal("0.875")
    (group,) = body["groups"]
    assert Decimal(group["failed_cost"]) == Decimal("0.875")
    assert group["first_seen"] == iso(NOW_NS) and group["last_seen"] == iso(NOW_NS + HOUR)
    # The same total the trace list shows for the failing traces.
    listed = server.get("/api/v1/traces", has_error="true").json()["traces"]
    assert {row["trace_id"] for row in listed} == {first_id, second_id}
    assert sum(Decimal(row["cost"]) for row in listed) == Decimal(body["failed_cost"])


def test_a_call_reported_twice_costs_what_the_tree_says(server):
    trace_id = new_trace_id()
    root = _step(trace_id, error="failed", name="turn")
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 100,
    }
    outer = span("chat", trace_id, parent=root["span_id"], start_ns=NOW_NS + MS, attributes=attributes)
    inner = span("chat", trace_id, parent=outer["span_id"], start_ns=NOW_NS + 2 * MS, attributes=attributes)
    tool = _tool(trace_id, root["span_id"], start_ns=NOW_NS + 3 * MS, error="boom", cost="0.5")
    _send(server, root, outer, inner, tool)

    tree = server.get(f"/api/v1/traces/{trace_id}").json()
    assert len([node for node in tree["spans"] if node["duplicate_of"]]) == 1  # one of the two
    assert Decimal(tree["cost"]) > Decimal("0.5")
    body = _errors(server)
    assert body["failed_cost"] == tree["cost"] == body["groups"][0]["failed_cost"]


def test_a_trace_is_in_range_by_its_start(server):
    inside_id, inside = _failing_trace(start_ns=NOW_NS + HOUR, cost="1")
    before_id, before = _failing_trace(start_ns=NOW_NS, cost="2")
    # Starts before the range, fails inside it: out, as in the trace list.
    before[-1]["start_ns"] = NOW_NS + HOUR + MS
    before[-1]["end_ns"] = NOW_NS + HOUR + 2 * MS
    after_id, after = _failing_trace(start_ns=NOW_NS + 3 * HOUR, cost="4")
    _send(server, *inside, *before, *after)

    body = _errors(server, start=_at(NOW_NS + HOUR), end=_at(NOW_NS + 2 * HOUR))
    assert body["trace_count"] == 1 and body["failed_cost"] == "1"
    assert body["groups"][0]["sample_trace_ids"] == [inside_id]
    assert _errors(server, start=_at(NOW_NS + HOUR))["trace_count"] == 2
    assert _errors(server, end=_at(NOW_NS + HOUR))["groups"][0]["sample_trace_ids"] == [before_id]
    assert _errors(server, start=_at(NOW_NS + 4 * HOUR))["trace_count"] == 0
    assert after_id


def test_sample_trace_ids_are_the_latest_five_and_the_message_the_latest(server):
    ids = []
    for index in range(7):
        trace_id, spans = _failing_trace(start_ns=NOW_NS + index * HOUR, message=f"timeout {index}")
        ids.append(trace_id)
        _send(server, *spans)

    (group,) = _errors(server)["groups"]
    assert group["trace_count"] == 7
    assert group["sample_trace_ids"] == ids[::-1][:5]
    assert group["sample_message"] == "timeout 6"


def test_groups_by_trace_count_then_the_latest_and_limit(server):
    for name, count, start_ns in [("a", 1, NOW_NS), ("b", 2, NOW_NS), ("c", 1, NOW_NS + HOUR)]:
        for _ in range(count):
            trace_id = new_trace_id()
            root = _step(trace_id, start_ns=start_ns, error="failed")
            _send(
                server, root, _tool(trace_id, root["span_id"], start_ns=start_ns + MS, error="x", name=name)
            )

    body = _errors(server)
    assert [g["span_name"] for g in body["groups"]] == ["b", "c", "a"]
    limited = _errors(server, limit=2)
    assert [g["span_name"] for g in limited["groups"]] == ["b", "c"]
    assert limited["trace_count"] == 4  # the totals cover every group, listed or not
    assert server.get("/api/v1/errors", limit=0).status_code == 400


def test_a_bad_range_is_a_400(server):
    response = server.get("/api/v1/errors", start=_at(NOW_NS), end=_at(NOW_NS))
    assert response.status_code == 400
    assert "after" in response.json()["error"]["message"]


def test_an_empty_store_has_no_failures(server):
    empty = {"trace_count": 0, "failed_cost": "0", "groups": []}
    assert _errors(server) == empty
    trace_id = new_trace_id()
    root = _step(trace_id)
    _send(server, root, _tool(trace_id, root["span_id"], cost="1"))  # clean traces only
    assert _errors(server) == empty
