"""``/api/v1/explain``: the change in cost between two sets of traces (two windows, two releases, two
traces), split into parts that sum exactly to it, with the drivers and traces behind each part."""

from __future__ import annotations

from decimal import Decimal

import pytest

from otlp_builders import NOW_NS
from priced_turns import send, turn
from tokentrail.documents.encoding import iso

PROTOBUF = "application/x-protobuf"
DAY = 86_400 * 10**9
WEEK = 7 * DAY


def weeks(server, old, new):
    """Send ``old`` traces in the week before NOW_NS and ``new`` in the week from it; explain the change."""
    send(server, [turn(NOW_NS - WEEK + i * 60 * 10**9, *args) for i, args in enumerate(old)])
    send(server, [turn(NOW_NS + i * 60 * 10**9, *args) for i, args in enumerate(new)])
    response = server.get("/api/v1/explain", start=iso(NOW_NS), end=iso(NOW_NS + WEEK))
    assert response.status_code == 200, response.text
    return response.json()


def parts(body):
    return {part["factor"]: Decimal(part["amount"]) for part in body["parts"]}


def test_longer_prompts_are_the_whole_change_and_the_parts_sum_to_it(server):
    body = weeks(server, [(1000, 100)] * 4, [(3100, 100)] * 4)
    change = Decimal(body["change"])
    # gpt-4o input at $2.50 per million tokens: 4 calls x 2,100 more tokens.
    assert change == Decimal("0.021")
    assert Decimal(body["new"]["cost"]) - Decimal(body["old"]["cost"]) == change
    assert body["old"]["traces"] == body["new"]["traces"] == 4
    assert parts(body)["input_tokens"] == change
    assert sum(parts(body).values()) == change
    assert {factor for factor, amount in parts(body).items() if amount} == {"input_tokens"}
    (driver,) = next(part["drivers"] for part in body["parts"] if part["factor"] == "input_tokens")
    assert (driver["group"], driver["name"], driver["model"]) == ("answer", "chat", "gpt-4o")
    assert (driver["old"], driver["new"]) == ("1000.0", "3100.0")
    assert (
        driver["text"]
        == "gpt-4o input tokens per call in answer > chat: 1000.0 -> 3100.0 input tokens per call"
    )


def test_twice_the_traffic_is_volume_and_a_new_model_is_model_choice(server):
    body = weeks(server, [(1000, 100)] * 2, [(1000, 100)] * 4)
    assert {f for f, amount in parts(body).items() if amount} == {"volume"}
    assert parts(body)["volume"] == Decimal(body["change"]) > 0


def test_a_model_switch_is_model_choice(server):
    body = weeks(server, [(1000, 100, "gpt-4o")] * 3, [(1000, 100, "gpt-4o-mini")] * 3)
    assert {f for f, amount in parts(body).items() if amount} == {"model"}
    assert parts(body)["model"] == Decimal(body["change"]) < 0


def test_swapping_the_windows_negates_every_part(server):
    send(server, [turn(NOW_NS - WEEK + i, 1000 + 100 * i, 50 * i + 1) for i in range(5)])
    send(
        server,
        [turn(NOW_NS + i, 2000, 80, "gpt-4o-mini" if i % 2 else "gpt-4o", tool="0.01") for i in range(7)],
    )
    forward = server.get("/api/v1/explain", start=iso(NOW_NS), end=iso(NOW_NS + WEEK)).json()
    backward = server.get(
        "/api/v1/explain",
        start=iso(NOW_NS - WEEK),
        end=iso(NOW_NS),
        vs_start=iso(NOW_NS),
        vs_end=iso(NOW_NS + WEEK),
    ).json()
    assert sum(parts(forward).values()) == Decimal(forward["change"])
    assert {f: -amount for f, amount in parts(forward).items()} == parts(backward)
    # Seven traces with a $0.01 tool call where there were five without: the Shapley split gives the tool
    # its cost at the average traffic (6 x $0.01) and the two extra traces their average tool cost.
    assert parts(forward)["tools"] == Decimal("0.06")


def test_two_releases_compared_over_one_window(server):
    send(server, [turn(NOW_NS + i, 1000, 100) for i in range(3)], **{"service.version": "1.4.0"})
    send(server, [turn(NOW_NS + 10 + i, 1000, 400) for i in range(3)], **{"service.version": "1.5.0"})
    body = server.get(
        "/api/v1/explain",
        start=iso(NOW_NS),
        end=iso(NOW_NS + DAY),
        compare="version",
        old_value="1.4.0",
        new_value="1.5.0",
    ).json()
    assert body["old"]["filters"] == {"version": "1.4.0"} and body["new"]["filters"] == {"version": "1.5.0"}
    # 300 more output tokens a call at $10 per million, three calls.
    assert Decimal(body["change"]) == parts(body)["output_tokens"] == Decimal("0.009")


def test_two_routes_compared_by_an_attribute_any_span_holds(server):
    send(server, [turn(NOW_NS + i, 1000, 100, route="/chat") for i in range(2)])
    send(server, [turn(NOW_NS + 10 + i, 1000, 100, "gpt-4o-mini", route="/search") for i in range(2)])
    body = server.get(
        "/api/v1/explain",
        start=iso(NOW_NS),
        end=iso(NOW_NS + DAY),
        compare="attribute",
        old_value="http.route=/chat",
        new_value="http.route=/search",
    ).json()
    assert body["old"]["traces"] == body["new"]["traces"] == 2
    assert body["new"]["filters"] == {"attribute": "http.route=/search"}
    assert parts(body)["model"] == Decimal(body["change"]) < 0
    bad = server.get("/api/v1/explain", attribute="http.route")
    assert bad.status_code == 400 and "is not name=value" in bad.json()["error"]["message"]


def test_two_single_traces_and_the_traces_behind_a_driver(server):
    old_id, old_spans = turn(NOW_NS, 500, 10)
    new_id, new_spans = turn(NOW_NS + 5, 500, 10, model="gpt-4o-mini")
    send(server, [(old_id, old_spans), (new_id, new_spans)])
    body = server.get("/api/v1/explain", old_trace=old_id, new_trace=new_id).json()
    assert body["old"]["traces"] == body["new"]["traces"] == 1
    assert parts(body)["model"] == Decimal(body["change"]) < 0
    traces = server.get(
        "/api/v1/explain/traces",
        old_trace=old_id,
        new_trace=new_id,
        group="answer",
        span_name="chat",
        span_kind="llm",
        span_model="gpt-4o-mini",
    ).json()
    assert traces["old"] == []
    (row,) = traces["new"]
    assert row["trace_id"] == new_id and row["calls"] == 1 and row["usage"] == {"input": 500, "output": 10}


def test_the_traces_behind_a_driver_are_costliest_first(server):
    traces = [turn(NOW_NS + i, 1000 * (i + 1), 10) for i in range(4)]
    send(server, traces)
    rows = server.get(
        "/api/v1/explain/traces",
        start=iso(NOW_NS),
        end=iso(NOW_NS + DAY),
        group="answer",
        span_name="chat",
        span_kind="llm",
        span_model="gpt-4o",
        limit=3,
    ).json()["new"]
    assert [row["trace_id"] for row in rows] == [trace_id for trace_id, _ in reversed(traces)][:3]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"old_trace": "a" * 32}, "old_trace and new_trace go together"),
        ({"compare": "colour", "old_value": "a", "new_value": "b"}, "compare must be one of"),
        ({"compare": "model"}, "needs old_value and new_value"),
        ({"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "start must be before end"),
    ],
)
def test_a_comparison_that_cannot_be_made_is_a_400_saying_why(server, params, message):
    response = server.get("/api/v1/explain", **params)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
