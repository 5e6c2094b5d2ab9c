"""The cost chart's layout: bars to scale, segments linked to their traces, labels inside the chart."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.datastructures import QueryParams

from tokentrail.documents.encoding import iso
from tokentrail.ui.charts import HEIGHT, LABEL_CHAR_W, WIDTH, stacked_bars
from tokentrail.ui.palette import OTHER_COLOUR
from tokentrail.ui.views import Query

HOUR_NS = 3600 * 10**9
START_NS = 1795564800 * 10**9  # 2026-11-25T00:00:00Z


def series(costs_per_bucket, keys, group_by="model"):
    buckets = []
    for index, costs in enumerate(costs_per_bucket):
        start_ns = START_NS + index * HOUR_NS
        buckets.append(
            {
                "start": iso(start_ns),
                "start_ns": start_ns,
                "end_ns": start_ns + HOUR_NS,
                "total": str(sum(float(v) for v in costs.values())),
                "costs": costs,
            }
        )
    return {"group_by": group_by, "keys": keys, "buckets": buckets}


def chart_for(costs_per_bucket, keys, group_by="model", params=""):
    return stacked_bars(series(costs_per_bucket, keys, group_by), Query(QueryParams(params)))


def test_the_axis_tops_out_at_a_round_number_above_the_largest_bucket():
    chart = chart_for([{"a": "0.3"}, {"a": "0.7"}], ["a"])
    assert [tick["label"] for tick in chart["ticks"]] == ["0", "0.25", "0.5", "0.75", "1"]


def test_segments_stack_upwards_and_are_to_scale():
    chart = chart_for([{"a": "0.5", "b": "0.25"}, {}], ["a", "b"])
    first, empty = chart["bars"]
    a, b = first["segments"]
    assert (a["key"], b["key"]) == ("a", "b")
    assert a["height"] == 2 * b["height"]
    assert a["y"] + a["height"] == chart["baseline"]
    assert b["y"] + b["height"] == a["y"]
    assert empty["segments"] == []


def test_a_segment_opens_the_traces_of_its_bucket_and_group_by_cost():
    chart = chart_for([{"gpt-4o": "0.1"}], ["gpt-4o"], params="range=24h&service=api")
    (segment,) = chart["bars"][0]["segments"]
    link = parse_qs(segment["href"].removeprefix("/traces?"))
    assert link == {
        "service": ["api"],
        "start": ["2026-11-25T00:00:00Z"],
        "end": ["2026-11-25T01:00:00Z"],
        "sort": ["cost"],
        "model": ["gpt-4o"],
    }


def test_kinds_and_the_folded_rest_open_the_bucket_without_a_group_filter():
    chart = chart_for([{"llm": "0.1", "other": "0.05"}], ["llm"], group_by="kind")
    for segment in chart["bars"][0]["segments"]:
        link = parse_qs(segment["href"].removeprefix("/traces?"))
        assert set(link) == {"start", "end", "sort"}
    assert chart["legend"][-1] == {"key": "other", "colour": OTHER_COLOUR}


def test_axis_labels_stay_inside_the_chart():
    chart = chart_for([{"a": "0.1"}] * 24, ["a"])
    labels = chart["labels"]
    assert len(labels) == 6
    for label in labels:
        half = len(label["text"]) * LABEL_CHAR_W / 2
        if label["anchor"] == "middle":
            assert label["x"] + half <= WIDTH
        else:
            assert (label["anchor"], label["x"]) == ("end", WIDTH)
    assert chart["height"] == HEIGHT


def test_a_last_label_that_centring_would_clip_is_flush_right():
    # A week in 6-hour buckets, unaligned: 29 bars, a label under every fourth, the last at the edge.
    labels = chart_for([{"a": "0.1"}] * 29, ["a"])["labels"]
    assert labels[-1]["anchor"] == "end"
    assert all(label["anchor"] == "middle" for label in labels[:-1])
