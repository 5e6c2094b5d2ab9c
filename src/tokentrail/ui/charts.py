"""Inline SVG charts, laid out here so the template only draws: the cost over time, stacked by a group;
a cost change as a waterfall from the old total to the new; quality against cost per trace as a scatter
(:mod:`tokentrail.ui.scatter`)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tokentrail.documents.encoding import iso
from tokentrail.ui.palette import OTHER_COLOUR, PALETTE
from tokentrail.ui.views import Query

__all__ = ["STACKS", "WATERFALL_LABELS", "nice_ceiling", "stacked_bars", "waterfall"]

#: What a cost chart can be stacked by (``/api/v1/costs/timeseries`` group_by values).
STACKS = ("model", "provider", "kind", "service", "user")
#: The trace list filter a series key opens (no filter: the bucket's traces of every kind).
_TRACE_FILTER = {"model": "model", "service": "service", "user": "user"}

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 900, 260, 64, 28, 12
#: Width of one axis-label character (11 px text), enough to keep a label inside the chart.
LABEL_CHAR_W = 7


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value``."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (1, 2, 5, 10):
        candidate = Decimal(step).scaleb(exponent)
        if candidate >= value:
            return candidate
    return Decimal(10).scaleb(exponent)


def stacked_bars(series: Mapping[str, Any], query: Query) -> dict[str, Any]:
    """Bars per bucket, a segment per key, each linked to the traces behind it; axis ticks; a legend."""
    keys = list(series["keys"])
    colours = {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(keys)}
    colours["other"] = OTHER_COLOUR
    buckets = series["buckets"]
    top = nice_ceiling(max((Decimal(b["total"]) for b in buckets), default=Decimal(0)))
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(1, len(buckets))
    bars = []
    filter_name = _TRACE_FILTER.get(series["group_by"])
    for index, bucket in enumerate(buckets):
        y = float(TOP + plot_h)
        segments = []
        for key in [*keys, "other"]:
            amount = Decimal(bucket["costs"].get(key, "0"))
            if amount <= 0:
                continue
            height = float(amount / top) * plot_h
            y -= height
            link = {"start": bucket["start"], "end": _iso_end(bucket), "sort": "cost"}
            if filter_name and key not in ("other", ""):
                link[filter_name] = key
            segments.append(
                {
                    "key": key or "(none)",
                    "amount": str(amount),
                    "colour": colours[key],
                    "y": round(y, 2),
                    "height": round(max(height, 0.5), 2),
                    "href": "/traces" + query.with_(range=None, **link),
                }
            )
        bars.append(
            {
                "x": round(LEFT + index * slot + slot * 0.1, 2),
                "width": round(slot * 0.8, 2),
                "segments": segments,
                "bucket": bucket,
            }
        )
    ticks = [
        {"y": round(TOP + plot_h - plot_h * i / 4, 2), "label": str((top * i / 4).normalize())}
        for i in range(5)
    ]
    labels_every = max(1, len(buckets) // 6)
    labels = [
        _axis_label(LEFT + i * slot + slot / 2, b["start"][5:16].replace("T", " "))
        for i, b in enumerate(buckets)
        if i % labels_every == 0
    ]
    legend = [{"key": key or "(none)", "colour": colours[key]} for key in keys]
    if any("other" in b["costs"] for b in buckets):
        legend.append({"key": "other", "colour": OTHER_COLOUR})
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "top": TOP,
        "plot_h": plot_h,
        "bars": bars,
        "ticks": ticks,
        "labels": labels,
        "legend": legend,
        "baseline": TOP + plot_h,
    }


def _axis_label(x: float, text: str) -> dict[str, Any]:
    """A label centred under its bar, or flush with the right edge where centring would clip it."""
    if x + len(text) * LABEL_CHAR_W / 2 > WIDTH:
        return {"x": WIDTH, "text": text, "anchor": "end"}
    return {"x": round(x, 2), "text": text, "anchor": "middle"}


def _iso_end(bucket: Mapping[str, Any]) -> str:
    return iso(bucket["end_ns"])


#: A part of a cost change as the waterfall's axis names it.
WATERFALL_LABELS = {
    "volume": "traffic",
    "mix": "mix",
    "calls": "calls/trace",
    "model": "model",
    "input_tokens": "input tokens",
    "output_tokens": "output tokens",
    "cache": "cache",
    "reasoning": "reasoning",
    "other_usage": "other usage",
    "retries": "retries",
    "tools": "tools",
    "prices": "prices",
}
WATERFALL_HEIGHT = 280
_UP, _DOWN, _TOTAL = "#c0392b", "#1e8449", "#5d6d7e"


def waterfall(explanation: Mapping[str, Any]) -> dict[str, Any]:
    """The old total, each part that moved as a step up or down from where the last left off, and the
    new total: bars laid out for an SVG, each step linking to its part's section."""
    old, new = Decimal(explanation["old"]["cost"]), Decimal(explanation["new"]["cost"])
    steps: list[tuple[str, str, Decimal, Decimal, str]] = [("before", "", Decimal(0), old, _TOTAL)]
    level = old
    for part in explanation["parts"]:
        amount = Decimal(part["amount"])
        if amount:
            steps.append(
                (
                    WATERFALL_LABELS[part["factor"]],
                    part["factor"],
                    level,
                    level + amount,
                    _UP if amount > 0 else _DOWN,
                )
            )
            level += amount
    steps.append(("after", "", Decimal(0), new, _TOTAL))
    low = min(Decimal(0), *(min(a, b) for _, _, a, b, _ in steps))
    high = nice_ceiling(max(max(a, b) for _, _, a, b, _ in steps) - low) + low
    plot_h = WATERFALL_HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / len(steps)

    def y(value: Decimal) -> float:
        return round(TOP + plot_h - float((value - low) / (high - low)) * plot_h, 2)

    bars = []
    for index, (label, factor, start, end, colour) in enumerate(steps):
        top, bottom = y(max(start, end)), y(min(start, end))
        bars.append(
            {
                "label": label,
                "factor": factor,
                "x": round(LEFT + index * slot + slot * 0.15, 2),
                "centre": round(LEFT + index * slot + slot / 2, 2),
                "width": round(slot * 0.7, 2),
                "y": top,
                "height": round(max(bottom - top, 1.0), 2),
                "colour": colour,
                "amount": str(end - start if factor else end),
            }
        )
    ticks = [
        {"y": y(low + (high - low) * i / 4), "label": str((low + (high - low) * i / 4).normalize())}
        for i in range(5)
    ]
    return {
        "width": WIDTH,
        "height": WATERFALL_HEIGHT,
        "left": LEFT,
        "bars": bars,
        "ticks": ticks,
        "baseline": TOP + plot_h,
    }
