"""The quality-per-dollar scatter, laid out for an SVG: a point per group at its cost per trace (x, on a
log scale when the costs span 20 times or more) and mean score (y), the mean's interval as a bar, a label,
and the Pareto frontier as a line through its points, cheapest first."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tokentrail.documents.quality import usd_short
from tokentrail.ui.charts import BOTTOM, LABEL_CHAR_W, LEFT, TOP, WIDTH, nice_ceiling
from tokentrail.ui.views import Query

__all__ = ["LOG_SPAN", "quality_scatter"]

HEIGHT = 340
#: Costs this many times apart (cheapest to dearest) are drawn on a log scale.
LOG_SPAN = 20
#: Room right of the plot for the dearest point's label.
_RIGHT = 24
_FRONTIER, _OFF = "#1e8449", "#6b7a8f"
#: The trace list filter a group opens (groups of other kinds open no list).
_TRACE_FILTER = {"model": "model", "name": "name", "service": "service"}


class _Axis:
    """A linear or log mapping of values onto ``[start, end]`` pixels, with its ticks."""

    def __init__(self, low: float, high: float, start: float, end: float, log: bool) -> None:
        self.low, self.high, self.start, self.end, self.log = low, high, start, end, log

    def __call__(self, value: float) -> float:
        low, high = (math.log10(self.low), math.log10(self.high)) if self.log else (self.low, self.high)
        at = math.log10(value) if self.log else value
        return round(self.start + (at - low) / (high - low) * (self.end - self.start), 2)


def _cost_axis(costs: list[Decimal]) -> tuple[_Axis, list[Decimal]]:
    positive = [cost for cost in costs if cost > 0]
    end = WIDTH - _RIGHT
    if len(positive) == len(costs) > 1 and max(positive) >= LOG_SPAN * min(positive):
        first, last = math.floor(min(positive).log10()), math.ceil(max(positive).log10())
        ticks = [Decimal(1).scaleb(power) for power in range(first, max(last, first + 1) + 1)]
        return _Axis(float(ticks[0]), float(ticks[-1]), LEFT, end, log=True), ticks
    top = nice_ceiling(max(costs, default=Decimal(0)))
    ticks = [top * step / 4 for step in range(5)]
    return _Axis(0.0, float(top), LEFT, end, log=False), ticks


def _score_axis(groups: list[Mapping[str, Any]]) -> tuple[_Axis, list[float]]:
    values = [v for g in groups for v in (g["mean"], g["low"], g["high"]) if v is not None]
    low, high = min(values, default=0.0), max(values, default=1.0)
    if low >= 0 and high <= 1:
        low, high = 0.0, 1.0
    elif high - low < 1e-9:
        low, high = low - 1, high + 1
    else:
        pad = (high - low) * 0.1
        low, high = low - pad, high + pad
    baseline = HEIGHT - BOTTOM - 16
    return _Axis(low, high, baseline, TOP, log=False), [low + (high - low) * i / 4 for i in range(5)]


def _label(x: float, y: float, text: str) -> dict[str, Any]:
    """A point's label right of it, or left where it would run past the chart."""
    if x + 8 + len(text) * LABEL_CHAR_W > WIDTH:
        return {"x": round(x - 8, 2), "y": round(y - 6, 2), "text": text, "anchor": "end"}
    return {"x": round(x + 8, 2), "y": round(y - 6, 2), "text": text, "anchor": "start"}


def quality_scatter(body: Mapping[str, Any], query: Query) -> dict[str, Any]:
    """The scatter of a quality document (:func:`tokentrail.documents.quality.quality_json`)."""
    groups = list(body["groups"])
    x, x_ticks = _cost_axis([Decimal(g["cost_per_trace"]) for g in groups])
    y, y_ticks = _score_axis(groups)
    filter_name = _TRACE_FILTER.get(body["by"])
    points = []
    for group in groups:
        px, py = x(float(group["cost_per_trace"])), y(group["mean"])
        link = None
        if filter_name and group["key"]:
            # The group's traces scored with this score (the trace list's score filter).
            link = "/traces" + query.with_(
                **{filter_name: group["key"]}, score=body["score"], by=None, category=None
            )
        points.append(
            {
                "key": group["key"],
                "x": px,
                "y": py,
                "low": None if group["low"] is None else y(group["low"]),
                "high": None if group["high"] is None else y(group["high"]),
                "colour": _FRONTIER if group["frontier"] else _OFF,
                "frontier": group["frontier"],
                "label": _label(px, py, group["label"]),
                "href": link,
                "group": group,
            }
        )
    frontier = sorted((p for p in points if p["frontier"]), key=lambda p: (p["x"], -p["y"]))
    baseline = HEIGHT - BOTTOM - 16
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - _RIGHT,
        "baseline": baseline,
        "log": x.log,
        "points": points,
        "frontier": " ".join(f"{p['x']},{p['y']}" for p in frontier),
        "x_ticks": [{"x": x(float(t)), "label": usd_short(t)} for t in x_ticks],
        "y_ticks": [{"y": y(t), "label": f"{t:.2f}"} for t in y_ticks],
    }
