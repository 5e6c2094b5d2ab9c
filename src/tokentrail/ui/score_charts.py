"""The scores page's small charts, laid out for an SVG: a score's series over time (a numeric score's mean
per bucket, a boolean's share true, a categorical's counts stacked by category) and a numeric score's
histogram, each bar linking to the traces it counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokentrail.ui.charts import LABEL_CHAR_W
from tokentrail.ui.palette import PALETTE
from tokentrail.ui.views import Query

__all__ = ["histogram", "series"]

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 460, 150, 40, 22, 8
_BAR = "#3b6fd9"


def _slots(count: int) -> tuple[float, float]:
    """Each bar's slot width and the bar's width inside it."""
    slot = (WIDTH - LEFT) / max(1, count)
    return slot, slot * 0.8


def _label(x: float, text: str) -> dict[str, Any]:
    """An axis label centred under its bar, or flush with the right edge where centring would clip it."""
    if x + len(text) * LABEL_CHAR_W / 2 > WIDTH:
        return {"x": WIDTH, "text": text, "anchor": "end"}
    return {"x": round(x, 2), "text": text, "anchor": "middle"}


def _frame(ticks: list[tuple[float, str]], labels: list[dict[str, Any]]) -> dict[str, Any]:
    plot_h = HEIGHT - BOTTOM - TOP
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "baseline": TOP + plot_h,
        "ticks": [{"y": round(TOP + plot_h * (1 - at), 2), "label": text} for at, text in ticks],
        "labels": labels,
    }


def _value_bounds(summary: Mapping[str, Any]) -> tuple[float, float]:
    """The value axis of a series: 0 to 1 for shares and for scores within it, else the means' range."""
    if summary["data_type"] != "numeric":
        return 0.0, 1.0
    means = [b["mean"] for b in summary["buckets"] if b["mean"] is not None]
    low, high = min([0.0, *means]), max([1.0, *means])
    return low, high


def series(summary: Mapping[str, Any], query: Query) -> dict[str, Any]:
    """Bars per bucket: height the mean (numeric) or share true (boolean), or a stack of counts per
    category (categorical)."""
    buckets = summary["buckets"]
    slot, bar_w = _slots(len(buckets))
    plot_h = HEIGHT - BOTTOM - TOP
    categorical = summary["data_type"] == "categorical"
    colours = {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(summary.get("categories", {}))}
    most = max((b["scores"] for b in buckets), default=0) or 1
    low, high = _value_bounds(summary)
    bars = []
    for index, bucket in enumerate(buckets):
        x = round(LEFT + index * slot + (slot - bar_w) / 2, 2)
        if categorical:
            parts = [(key, count / most, colours[key]) for key, count in bucket["categories"].items()]
        else:
            value = bucket["mean"] if summary["data_type"] == "numeric" else bucket["share_true"]
            parts = [] if value is None else [("", (value - low) / (high - low), _BAR)]
        y = TOP + plot_h
        segments = []
        for key, share, colour in parts:
            height = max(share * plot_h, 1.0)
            y -= height
            segments.append({"key": key, "y": round(y, 2), "height": round(height, 2), "colour": colour})
        bars.append({"x": x, "width": round(bar_w, 2), "segments": segments, "bucket": bucket})
    top_label = str(most) if categorical else f"{high:g}"
    every = max(1, len(buckets) // 4)
    labels = [
        _label(LEFT + i * slot + slot / 2, b["start"][5:16].replace("T", " "))
        for i, b in enumerate(buckets)
        if i % every == 0
    ]
    chart = _frame([(0.0, "0" if categorical else f"{low:g}"), (1.0, top_label)], labels)
    chart.update(bars=bars, legend=[{"key": key, "colour": colour} for key, colour in colours.items()])
    chart["href"] = "/traces" + query.with_(score=summary["name"], range=None, start=None, end=None)
    return chart


def histogram(summary: Mapping[str, Any], query: Query) -> dict[str, Any]:
    """A numeric score's bins as bars, each linking to the traces scored at least its lower bound."""
    bins = summary.get("histogram", [])
    slot, bar_w = _slots(len(bins))
    plot_h = HEIGHT - BOTTOM - TOP
    most = max((b["scores"] for b in bins), default=0) or 1
    bars = []
    for index, item in enumerate(bins):
        height = item["scores"] / most * plot_h
        bars.append(
            {
                "x": round(LEFT + index * slot + (slot - bar_w) / 2, 2),
                "width": round(bar_w, 2),
                "y": round(TOP + plot_h - height, 2),
                "height": round(height, 2),
                "bin": item,
                "href": "/traces" + query.with_(score=f"{summary['name']}>={item['low']:g}", range=None),
            }
        )
    labels = [_label(LEFT + i * slot + slot / 2, f"{b['low']:.2g}") for i, b in enumerate(bins) if i % 2 == 0]
    chart = _frame([(0.0, "0"), (1.0, str(most))], labels)
    chart["bars"] = bars
    return chart
