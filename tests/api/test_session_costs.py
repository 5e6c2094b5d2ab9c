"""Session totals by cost type: the sum of the session's traces, whatever carries the session id and
whatever order the spans arrive in."""

from __future__ import annotations

from decimal import Decimal

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span
from prices import MTOK, per_mtok

PROTOBUF = "application/x-protobuf"


def _turn(start_ns, tokens_in, tokens_out, tool_cost):
    """A turn whose root alone names the session: an agent span, a chain, an LLM call and a paid tool."""
    trace_id = new_trace_id()
    root = span("turn", trace_id, start_ns=start_ns, attributes={"session.id": "chat-9", "user.id": "ana"})
    chain = span("plan", trace_id, parent=root["span_id"], start_ns=start_ns + 1)
    llm = span(
        "chat",
        trace_id,
        parent=chain["span_id"],
        start_ns=start_ns + 2,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": tokens_in,
            "gen_ai.usage.output_tokens": tokens_out,
        },
    )
    tool = span(
        "search",
        trace_id,
        parent=llm["span_id"],
        start_ns=start_ns + 3,
        attributes={"gen_ai.operation.name": "execute_tool", "tool.cost_usd": tool_cost},
    )
    return trace_id, root, [chain, llm, tool]


def test_session_cost_by_type_is_the_sum_of_its_traces_when_only_roots_name_it_and_arrive_last(server):
    prices = per_mtok("gpt-4o-mini", "openai", NOW_NS)
    first, root1, rest1 = _turn(NOW_NS, 1000, 100, "0.002")
    second, root2, rest2 = _turn(NOW_NS + 10**9, 3000, 7, "0.0005")
    # Grandchildren before children, the second trace before the first, the roots in the last request.
    server.post_otlp(protobuf_request(rest2[::-1]), PROTOBUF)
    server.post_otlp(protobuf_request(rest1[::-1]), PROTOBUF)
    assert server.get("/api/v1/sessions").json()["sessions"] == []
    server.post_otlp(protobuf_request([root2, root1]), PROTOBUF)

    expected = {
        "input": (1000 + 3000) * prices["input_mtok"] / MTOK,
        "output": (100 + 7) * prices["output_mtok"] / MTOK,
        "tool": Decimal("0.0025"),
    }
    (row,) = server.get("/api/v1/sessions").json()["sessions"]
    detail = server.get("/api/v1/sessions/chat-9").json()
    by_session = {g["key"]: g for g in server.get("/api/v1/costs", group_by="session").json()["groups"]}

    for totals in (row, detail, by_session["chat-9"]):
        assert {key: Decimal(amount) for key, amount in totals["cost_by_type"].items()} == expected
        assert Decimal(totals["cost"]) == sum(expected.values())
    assert [t["trace_id"] for t in detail["traces"]] == [first, second]
    assert Decimal(detail["cost"]) == sum(Decimal(t["cost"]) for t in detail["traces"])
    for key in expected:
        assert Decimal(detail["cost_by_type"][key]) == sum(
            Decimal(t["cost_by_type"][key]) for t in detail["traces"]
        )
    assert detail["traces"][0]["cost_by_type"]["tool"] == "0.002"
    assert row["span_count"] == detail["span_count"] == 8
    assert row["user_id"] == detail["user_id"] == "ana"
