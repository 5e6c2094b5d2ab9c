"""``/api/v1/costs/timeseries``: cost per time bucket and group, every bucket present, adding up to the
same total as ``/api/v1/costs``."""

from __future__ import annotations

import time
from decimal import Decimal

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span

PROTOBUF = "application/x-protobuf"
MINUTE = 60 * 10**9
MIDNIGHT = "2026-01-01T00:00:00Z"


def _paid(start_ns, cost, *, service="shop", **attributes):
    """A one-span trace that cost ``cost``, sent from ``service``."""
    return service, span(
        "tool", new_trace_id(), start_ns=start_ns, attributes={"tool.cost_usd": cost, **attributes}
    )


def _send(server, *paid):
    for service, item in paid:
        response = server.post_otlp(protobuf_request([item], service=service), PROTOBUF)
        assert response.status_code == 200, response.content


def _series(server, **params):
    response = server.get("/api/v1/costs/timeseries", **params)
    assert response.status_code == 200, response.content
    return response.json()


def test_every_bucket_of_the_range_is_present_and_they_add_up_to_the_costs_total(server):
    _send(
        server,
        _paid(NOW_NS + 1 * MINUTE, "0.1", service="a"),
        _paid(NOW_NS + 7 * MINUTE, "0.2", service="b"),
        _paid(NOW_NS + 119 * MINUTE, "0.3", service="a"),
        _paid(NOW_NS + 120 * MINUTE, "5"),  # at the end: outside
        _paid(NOW_NS - 1, "7"),  # before the start: outside
    )
    range_ = {"start": MIDNIGHT, "end": "2026-01-01T02:00:00Z"}

    series = _series(server, group_by="service", buckets=24, **range_)

    # Two hours in at most 24 buckets: five minutes each, starting on whole multiples of five minutes.
    assert series["bucket_seconds"] == 300
    assert (series["start"], series["end"]) == ("2026-01-01T00:00:00Z", "2026-01-01T02:00:00Z")
    buckets = series["buckets"]
    assert len(buckets) == 24
    assert [b["start_ns"] for b in buckets] == [NOW_NS + i * 5 * MINUTE for i in range(24)]
    assert all(b["end_ns"] - b["start_ns"] == 5 * MINUTE for b in buckets)
    assert buckets[0]["start"] == "2026-01-01T00:00:00Z"
    assert buckets[0]["costs"] == {"a": "0.1"} and buckets[0]["total"] == "0.1"
    assert buckets[1]["costs"] == {"b": "0.2"}
    assert buckets[23]["costs"] == {"a": "0.3"}
    assert all(b["total"] == "0" and b["costs"] == {} for b in buckets[2:23])
    assert series["keys"] == ["a", "b"]  # by their total: 0.4, 0.2
    assert series["total"] == "0.6"
    assert sum(Decimal(b["total"]) for b in buckets) == Decimal("0.6")
    assert server.get("/api/v1/costs", group_by="service", **range_).json()["total"] == "0.6"


def test_buckets_are_aligned_and_the_edge_buckets_count_only_spans_inside_the_range(server):
    _send(
        server,
        _paid(NOW_NS + 2 * MINUTE + 10 * 10**9, "1"),  # 00:02:10, in the first bucket but before the start
        _paid(NOW_NS + 2 * MINUTE + 40 * 10**9, "0.25"),  # 00:02:40
        _paid(NOW_NS + 12 * MINUTE + 20 * 10**9, "0.5"),  # 00:12:20
        _paid(NOW_NS + 12 * MINUTE + 40 * 10**9, "2"),  # 00:12:40, after the end
    )
    range_ = {"start": "2026-01-01T00:02:30Z", "end": "2026-01-01T00:12:30Z"}

    series = _series(server, buckets=10, **range_)

    # Ten minutes in ten buckets: minutes, from 00:02 to 00:12 (eleven, as the range is not aligned).
    assert series["bucket_seconds"] == 60
    assert [b["start"] for b in series["buckets"]] == [f"2026-01-01T00:{m:02d}:00Z" for m in range(2, 13)]
    assert series["buckets"][0]["total"] == "0.25"
    assert series["buckets"][-1]["total"] == "0.5"
    assert series["total"] == "0.75"
    assert server.get("/api/v1/costs", **range_).json()["total"] == "0.75"


def test_groups_after_the_top_ones_are_folded_into_other_and_groups_without_cost_left_out(server):
    _send(
        server,
        _paid(NOW_NS, "0.4", service="search"),
        _paid(NOW_NS + 30 * MINUTE, "0.3", service="checkout"),
        _paid(NOW_NS + 31 * MINUTE, "0.1", service="search"),
        _paid(NOW_NS + 32 * MINUTE, "0.2", service="mail"),
        _paid(NOW_NS + 33 * MINUTE, "0.05", service="auth"),
        _paid(NOW_NS + 34 * MINUTE, "0", service="free"),
    )

    series = _series(server, group_by="service", start=MIDNIGHT, end="2026-01-01T01:00:00Z", buckets=4, top=2)

    assert series["bucket_seconds"] == 900
    assert series["keys"] == ["search", "checkout"]
    first, empty, second, _ = series["buckets"]
    assert first["costs"] == {"search": "0.4"} and empty["costs"] == {}
    assert second["costs"] == {"search": "0.1", "checkout": "0.3", "other": "0.25"}
    assert second["total"] == "0.65" and series["total"] == "1.05"


def test_by_user_each_span_counts_toward_its_traces_user(server):
    trace_id = new_trace_id()
    root = span("turn", trace_id, start_ns=NOW_NS, attributes={"user.id": "ana"})
    child = span(
        "tool", trace_id, parent=root["span_id"], start_ns=NOW_NS + 1, attributes={"tool.cost_usd": "0.2"}
    )
    server.post_otlp(protobuf_request([child, root]), PROTOBUF)
    _send(server, _paid(NOW_NS + 2, "0.1"))

    series = _series(server, group_by="user", start=MIDNIGHT, end="2026-01-01T01:00:00Z", buckets=1)

    assert series["keys"] == ["ana", ""]
    assert series["buckets"][0]["costs"] == {"ana": "0.2", "": "0.1"}


def test_without_a_range_the_last_24_hours_in_hourly_buckets(server):
    now = time.time_ns()
    _send(server, _paid(now - 3600 * 10**9, "0.3"), _paid(now - 25 * 3600 * 10**9, "9"))

    series = _series(server)

    assert series["group_by"] == "model" and series["bucket_seconds"] == 3600
    buckets = series["buckets"]
    assert buckets[0]["start_ns"] <= now - 24 * 3600 * 10**9 < buckets[0]["end_ns"]
    assert buckets[-1]["start_ns"] <= now < buckets[-1]["end_ns"] + 5 * 10**9
    assert series["total"] == "0.3" and series["keys"] == [""]


def test_a_range_too_long_for_the_widest_bucket_gets_weekly_buckets(server):
    series = _series(server, start="2026-01-03T00:00:00Z", end="2027-01-01T00:00:00Z", buckets=10)
    assert series["bucket_seconds"] == 7 * 86_400
    assert len(series["buckets"]) == 53 and series["total"] == "0"
    # Weeks start at multiples of seven days since 1970-01-01, a Thursday, as was 2026-01-01.
    assert series["buckets"][0]["start"] == "2026-01-01T00:00:00Z"


def test_bad_timeseries_parameters_get_a_400(server):
    for params in [
        {"start": "2026-01-01T01:00:00Z", "end": MIDNIGHT},
        {"buckets": 0},
        {"buckets": 201},
        {"top": 0},
        {"group_by": "tag"},
    ]:
        assert server.get("/api/v1/costs/timeseries", **params).status_code == 400, params
