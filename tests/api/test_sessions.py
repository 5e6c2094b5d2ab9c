"""``/api/v1/sessions``: session totals include child spans without the id, whatever the arrival order."""

from __future__ import annotations

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span

PROTOBUF = "application/x-protobuf"


def _turn(session, start_ns, *, user="u-1", cost="0.1"):
    trace_id = new_trace_id()
    root = span("turn", trace_id, start_ns=start_ns, attributes={"session.id": session, "user.id": user})
    child = span(
        "tool", trace_id, parent=root["span_id"], start_ns=start_ns + 1, attributes={"tool.cost_usd": cost}
    )
    grandchild = span(
        "tool-2", trace_id, parent=child["span_id"], start_ns=start_ns + 2, attributes={"tool.cost_usd": cost}
    )
    return trace_id, root, [child, grandchild]


def test_session_totals_count_children_that_lack_the_session_id_even_when_the_root_arrives_last(server):
    first, root1, children1 = _turn("chat-1", NOW_NS)
    second, root2, children2 = _turn("chat-1", NOW_NS + 10**9, cost="0.05")
    # Children first, roots in a later request.
    server.post_otlp(protobuf_request(children1 + children2), PROTOBUF)
    assert server.get("/api/v1/sessions").json()["sessions"] == []
    server.post_otlp(protobuf_request([root2, root1]), PROTOBUF)

    (row,) = server.get("/api/v1/sessions").json()["sessions"]
    assert row["session_id"] == "chat-1" and row["user_id"] == "u-1"
    assert row["trace_count"] == 2 and row["span_count"] == 6
    assert row["cost"] == "0.3"

    detail = server.get("/api/v1/sessions/chat-1").json()
    assert [t["trace_id"] for t in detail["traces"]] == [first, second]
    assert detail["cost"] == "0.3"
    assert [t["cost"] for t in detail["traces"]] == ["0.2", "0.1"]


def test_a_child_span_naming_another_session_does_not_split_the_trace(server):
    _, root, children = _turn("chat-root", NOW_NS)
    children[0]["attributes"]["session.id"] = "chat-child"
    server.post_otlp(protobuf_request([root, *children]), PROTOBUF)

    sessions = server.get("/api/v1/sessions").json()["sessions"]
    assert [s["session_id"] for s in sessions] == ["chat-root"]
    assert sessions[0]["cost"] == "0.2"


def test_sessions_page_with_a_cursor_and_filter_by_user(server):
    spans = []
    for index in range(5):
        _, root, children = _turn(f"chat-{index}", NOW_NS + index * 10**9, user=f"u-{index % 2}")
        spans += [root, *children]
    server.post_otlp(protobuf_request(spans), PROTOBUF)

    page = server.get("/api/v1/sessions", limit=3).json()
    rest = server.get("/api/v1/sessions", limit=3, cursor=page["next_cursor"]).json()
    assert [s["session_id"] for s in page["sessions"] + rest["sessions"]] == [
        f"chat-{i}" for i in range(4, -1, -1)
    ]
    assert rest["next_cursor"] is None
    by_user = server.get("/api/v1/sessions", user_id="u-1").json()["sessions"]
    assert [s["session_id"] for s in by_user] == ["chat-3", "chat-1"]


def test_unknown_session_is_a_404(server):
    assert server.get("/api/v1/sessions/nope").status_code == 404


def test_sessions_sorted_by_cost_page_through_every_session_exactly_once(server):
    costs = ["0.3", "0.1", "0.3", "0.05", "0.2", "0.1", "0.4"]
    spans = []
    for index, cost in enumerate(costs):
        _, root, children = _turn(f"chat-{index}", NOW_NS + index * 10**9, cost=cost)
        spans += [root, *children]
    server.post_otlp(protobuf_request(spans), PROTOBUF)

    seen, cursor = [], None
    while True:
        page = server.get("/api/v1/sessions", sort="cost", limit=2, cursor=cursor).json()
        seen += [(s["cost"], s["session_id"]) for s in page["sessions"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Costliest first (a session's cost is its two paid spans), ties by session id, each session once.
    assert seen == [
        ("0.8", "chat-6"),
        ("0.6", "chat-2"),
        ("0.6", "chat-0"),
        ("0.4", "chat-4"),
        ("0.2", "chat-5"),
        ("0.2", "chat-1"),
        ("0.1", "chat-3"),
    ]


def test_a_session_cursor_only_continues_the_sort_it_was_issued_for(server):
    spans = []
    for index in range(3):
        _, root, children = _turn(f"chat-{index}", NOW_NS + index * 10**9)
        spans += [root, *children]
    server.post_otlp(protobuf_request(spans), PROTOBUF)

    cursor = server.get("/api/v1/sessions", limit=1).json()["next_cursor"]
    response = server.get("/api/v1/sessions", sort="cost", cursor=cursor)
    assert response.status_code == 400 and "sort" in response.json()["error"]["message"]
    assert server.get("/api/v1/sessions", sort="tokens").status_code == 400


def test_each_turn_of_a_session_carries_what_its_root_span_was_asked_and_answered(server):
    trace_id = new_trace_id()
    attributes = {"session.id": "chat-2", "input.value": "Where is my order?", "output.value": "It shipped."}
    root = span("turn", trace_id, start_ns=NOW_NS, attributes=attributes)
    inner = span("llm", trace_id, parent=root["span_id"], attributes={"input.value": "system prompt..."})
    server.post_otlp(protobuf_request([inner, root]), PROTOBUF)

    (turn,) = server.get("/api/v1/sessions/chat-2").json()["traces"]

    assert (turn["input"], turn["output"]) == ("Where is my order?", "It shipped.")
