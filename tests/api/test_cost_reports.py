"""``/api/v1/costs?group_by=tag`` (tags resolved per trace), time ranges that cut a trace, and
``/api/v1/costs/unpriced`` (which spans have no price, and why)."""

from __future__ import annotations

from decimal import Decimal

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span

PROTOBUF = "application/x-protobuf"
DAY = 86_400 * 10**9


def _tool(trace_id, parent, cost, *, start_ns=NOW_NS + 1, **attributes):
    return span(
        "search",
        trace_id,
        parent=parent,
        start_ns=start_ns,
        attributes={"tool.cost_usd": cost, **attributes},
    )


def _llm(trace_id, parent, model, tokens_in=None, tokens_out=None, *, start_ns=NOW_NS + 1, **extra):
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", **extra}
    if model:
        attributes["gen_ai.request.model"] = model
    if tokens_in is not None:
        attributes["gen_ai.usage.input_tokens"] = tokens_in
    if tokens_out is not None:
        attributes["gen_ai.usage.output_tokens"] = tokens_out
    return span("chat", trace_id, parent=parent, start_ns=start_ns, attributes=attributes)


def _costs(server, group_by, **params):
    body = server.get("/api/v1/costs", group_by=group_by, **params).json()
    groups = {row["key"]: row for row in body["groups"]}
    return {key: Decimal(row["cost"]) for key, row in groups.items()}, Decimal(body["total"]), groups


def test_a_trace_counts_in_full_toward_each_of_its_tags(server):
    tagged, child_tagged, untagged = new_trace_id(), new_trace_id(), new_trace_id()
    root1 = span("turn", tagged, attributes={"tag.tags": ["support", "rag"]})
    root2 = span("turn", child_tagged)
    root3 = span("turn", untagged)
    spans = [
        root1,
        _tool(tagged, root1["span_id"], "0.25"),
        # Tags set on a child span only still tag the whole trace, root included.
        _tool(tagged, root1["span_id"], "0.5", **{"tag.tags": ["support", "beta"]}),
        root2,
        _tool(child_tagged, root2["span_id"], "0.125", **{"tag.tags": ["rag"]}),
        _tool(child_tagged, root2["span_id"], "0.0625"),
        root3,
        _tool(untagged, root3["span_id"], "1"),
    ]
    # The root of the first trace arrives last, in a request of its own.
    server.post_otlp(protobuf_request(spans[1:]), PROTOBUF)
    server.post_otlp(protobuf_request(spans[:1]), PROTOBUF)

    by_tag, total, groups = _costs(server, "tag")
    assert by_tag == {
        "support": Decimal("0.75"),
        "rag": Decimal("0.75") + Decimal("0.1875"),
        "beta": Decimal("0.75"),
        "": Decimal("1"),
    }
    assert total == Decimal("1.9375")  # every span once, although the tag groups add up to more
    assert sum(by_tag.values()) > total
    assert groups["rag"]["trace_count"] == 2 and groups["rag"]["span_count"] == 6
    assert groups["support"]["span_count"] == 3 and groups["support"]["cost_by_type"] == {"other": "0.75"}
    assert groups[""]["trace_count"] == 1


def test_a_span_repeating_a_call_is_not_summed_under_a_tag(server):
    trace_id = new_trace_id()
    root = span("turn", trace_id, attributes={"tag.tags": ["x"]})
    outer = _llm(trace_id, root["span_id"], "gpt-4o-mini", 1000, 100)
    inner = _llm(trace_id, outer["span_id"], "gpt-4o-mini", 1000, 100, start_ns=NOW_NS + 2)
    server.post_otlp(protobuf_request([root, outer, inner]), PROTOBUF)

    by_tag, total, groups = _costs(server, "tag")
    by_model, _, _ = _costs(server, "model")
    assert by_tag == {"x": total} and total == by_model["gpt-4o-mini"] > 0
    assert groups["x"]["duplicate_span_count"] == 1


def test_a_range_counts_only_the_spans_that_started_in_it(server):
    """A trace straddling the edge of the range counts with its spans inside it; its session, set on a
    root outside the range, is still resolved over the whole trace."""
    trace_id = new_trace_id()
    root = span("turn", trace_id, attributes={"session.id": "s-1", "tool.cost_usd": "1", "tag.tags": ["t"]})
    late = _tool(trace_id, root["span_id"], "2", start_ns=NOW_NS + DAY)
    server.post_otlp(protobuf_request([root, late]), PROTOBUF)

    for group_by, key in [("day", "2026-01-02"), ("session", "s-1"), ("tag", "t"), ("kind", "other")]:
        groups, total, _ = _costs(server, group_by, start="2026-01-02T00:00:00Z")
        assert groups == {key: Decimal(2)} and total == 2, group_by
        groups, total, _ = _costs(server, group_by, end="2026-01-02T00:00:00Z")
        assert total == 1, group_by
    assert _costs(server, "day")[0] == {"2026-01-01": 1, "2026-01-02": 2}


def test_the_session_list_takes_a_trace_by_its_start(server):
    before, inside = new_trace_id(), new_trace_id()
    root1 = span("turn", before, attributes={"session.id": "s-1", "tool.cost_usd": "1"})
    late = _tool(before, root1["span_id"], "2", start_ns=NOW_NS + DAY)
    root2 = span(
        "turn", inside, start_ns=NOW_NS + DAY, attributes={"session.id": "s-1", "tool.cost_usd": "4"}
    )
    server.post_otlp(protobuf_request([root1, late, root2]), PROTOBUF)

    (row,) = server.get("/api/v1/sessions", start="2026-01-02T00:00:00Z").json()["sessions"]
    traces = server.get("/api/v1/traces", start="2026-01-02T00:00:00Z", session_id="s-1").json()["traces"]
    assert [t["trace_id"] for t in traces] == [inside]
    assert row["trace_count"] == 1 and row["cost"] == "4"
    assert server.get("/api/v1/sessions", end="2026-01-02T00:00:00Z").json()["sessions"][0]["cost"] == "3"


def _unpriced(server, **params):
    body = server.get("/api/v1/costs/unpriced", **params).json()
    return body, {(g["reason"], g["provider"], g["model"]): g for g in body["groups"]}


def test_unpriced_spans_grouped_by_reason_provider_and_model(server):
    traces = [new_trace_id() for _ in range(7)]
    spans = []
    for index, trace_id in enumerate(traces):
        root = span("turn", trace_id, start_ns=NOW_NS + index * 10**9)
        at = NOW_NS + index * 10**9 + 1
        spans += [root, _llm(trace_id, root["span_id"], "gpt-9-preview", 100, 10, start_ns=at)]
        if index == 0:  # two calls to the unknown model in one trace
            spans.append(_llm(trace_id, root["span_id"], "gpt-9-preview", 5, 5, start_ns=at + 1))
            spans.append(_llm(trace_id, root["span_id"], "gpt-4o-mini", start_ns=at + 2))  # failed early
            spans.append(_llm(trace_id, root["span_id"], "", 10, 1, start_ns=at + 3))
            spans.append(
                _llm(
                    trace_id,
                    root["span_id"],
                    "gpt-4o-mini",
                    10,
                    1,
                    start_ns=at + 4,
                    **{"gen_ai.usage.cache_read.input_tokens": 50},
                )
            )
            spans.append(_llm(trace_id, root["span_id"], "gpt-4o-mini", 10, 1, start_ns=at + 5))  # priced
    server.post_otlp(protobuf_request(spans), PROTOBUF)

    body, groups = _unpriced(server)
    unknown = groups[("unknown_model", "openai", "gpt-9-preview")]
    assert unknown["span_count"] == 8 and unknown["trace_count"] == 7
    assert unknown["usage"] == {"input": 705, "output": 75}
    assert unknown["first_seen"] == "2026-01-01T00:00:00Z"
    assert unknown["last_seen"] == "2026-01-01T00:00:06Z"
    assert unknown["sample_trace_ids"] == traces[::-1][:5]  # the latest first, five at most
    assert groups[("no_usage", "openai", "gpt-4o-mini")]["sample_trace_ids"] == [traces[0]]
    assert groups[("no_model", "openai", "")]["span_count"] == 1
    assert groups[("invalid_usage", "openai", "gpt-4o-mini")]["span_count"] == 1
    assert next(iter(groups)) == ("unknown_model", "openai", "gpt-9-preview")  # most spans first
    assert body["span_count"] == 11 and body["trace_count"] == 7
    by_reason = {row["reason"]: row for row in body["by_reason"]}
    assert set(by_reason) == {"unknown_model", "no_usage", "no_model", "invalid_usage"}
    assert by_reason["unknown_model"]["trace_count"] == 7 and by_reason["no_usage"]["trace_count"] == 1
    assert sum(row["span_count"] for row in body["by_reason"]) == body["span_count"]


def test_unpriced_report_over_a_range_and_without_repeated_calls(server):
    early, late = new_trace_id(), new_trace_id()
    root1 = span("turn", early)
    root2 = span("turn", late, start_ns=NOW_NS + DAY)
    outer = _llm(late, root2["span_id"], "gpt-9-preview", 100, 10, start_ns=NOW_NS + DAY + 1)
    inner = _llm(late, outer["span_id"], "gpt-9-preview", 100, 10, start_ns=NOW_NS + DAY + 2)
    spans = [root1, _llm(early, root1["span_id"], "gpt-9-preview", 1, 1), root2, outer, inner]
    server.post_otlp(protobuf_request(spans), PROTOBUF)

    body, groups = _unpriced(server, start="2026-01-02T00:00:00Z")
    # The outer layer repeats the inner one's call: it is in no total, and not listed.
    assert groups[("unknown_model", "openai", "gpt-9-preview")]["span_count"] == 1
    assert groups[("unknown_model", "openai", "gpt-9-preview")]["sample_trace_ids"] == [late]
    assert body["span_count"] == 1 and body["trace_count"] == 1
    assert _unpriced(server)[0]["span_count"] == 2
    empty = server.get("/api/v1/costs/unpriced", start="2027-01-01T00:00:00Z").json()
    assert empty == {"span_count": 0, "trace_count": 0, "by_reason": [], "groups": []}
    assert server.get("/api/v1/costs/unpriced", start="2026-01-02T00:00:00").status_code == 400
