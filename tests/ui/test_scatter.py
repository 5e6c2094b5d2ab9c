"""The quality scatter's layout: a log scale only when the costs span 20 times or more, better scores
higher, the frontier drawn cheapest first, and points that open their group's traces where the trace list
can filter by the grouping."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from tokentrail.ui.charts import WIDTH
from tokentrail.ui.scatter import quality_scatter
from tokentrail.ui.views import Query


def _group(key, mean, cost, frontier=True, low=None, high=None):
    return {
        "key": key,
        "label": key,
        "mean": mean,
        "low": low,
        "high": high,
        "cost_per_trace": cost,
        "frontier": frontier,
        "traces": 10,
        "reads": "",
    }


def _body(groups, by="model"):
    return {"score": "helpful", "by": by, "groups": groups}


def test_costs_close_together_are_drawn_on_a_linear_scale_from_zero():
    chart = quality_scatter(_body([_group("a", 0.8, "0.02"), _group("b", 0.6, "0.01")]), Query(QueryParams()))

    assert not chart["log"]
    assert [tick["label"] for tick in chart["x_ticks"]] == ["$0", "$0.005", "$0.01", "$0.015", "$0.02"]


def test_costs_far_apart_are_drawn_on_a_log_scale_in_powers_of_ten():
    groups = [_group("dear", 0.9, "0.05", low=0.85, high=0.95), _group("cheap", 0.86, "0.0021")]
    chart = quality_scatter(_body(groups), Query(QueryParams()))

    assert chart["log"]
    assert [tick["label"] for tick in chart["x_ticks"]] == ["$0.001", "$0.01", "$0.1"]
    dear, cheap = chart["points"]
    assert cheap["x"] < dear["x"] <= WIDTH
    assert dear["y"] < cheap["y"]  # better is higher: smaller y
    assert dear["high"] < dear["y"] < dear["low"]
    assert chart["frontier"] == f"{cheap['x']},{cheap['y']} {dear['x']},{dear['y']}"


def test_a_point_opens_its_groups_traces_scored_with_the_score_where_the_list_can_filter():
    query = Query(QueryParams("by=model&range=7d"))
    by_model = quality_scatter(_body([_group("gpt-4o", 0.8, "0.01")]), query)
    by_prompt = quality_scatter(_body([_group("qa@2", 0.8, "0.01")], by="prompt"), query)
    no_model = quality_scatter(_body([_group("", 0.8, "0.01")]), query)

    assert by_model["points"][0]["href"] == "/traces?range=7d&model=gpt-4o&score=helpful"
    assert by_prompt["points"][0]["href"] is None
    assert no_model["points"][0]["href"] is None


def test_off_frontier_points_are_not_on_the_line_and_labels_stay_inside():
    groups = [_group("a", 0.9, "1"), _group("b" * 20, 0.5, "2", frontier=False)]
    chart = quality_scatter(_body(groups), Query(QueryParams()))

    first, second = chart["points"]
    assert chart["frontier"] == f"{first['x']},{first['y']}"
    assert second["label"]["anchor"] == "end"  # the dearest point's label is left of it
    assert not second["frontier"]
