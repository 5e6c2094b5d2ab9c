"""Jinja filters: how numbers and times read on a page (the command line's rules, from :mod:`display`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment

from tokentrail import display

__all__ = ["install"]


def short_time(iso: str | None) -> str:
    """``2026-12-02 08:01:12`` from an ISO time (UTC)."""
    return iso[:19].replace("T", " ") if iso else ""


def ago(iso: str | None) -> str:
    """``3 min ago`` for an ISO time."""
    if not iso:
        return ""
    seconds = (datetime.now(UTC) - datetime.fromisoformat(iso.replace("Z", "+00:00"))).total_seconds()
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now" if seconds < 5 else f"{int(seconds)} s ago"


def score_badge(badge: Mapping[str, Any]) -> str:
    """A trace's scores of one name in a few characters: ``0.75``, ``true``, ``67% true``, ``polite``."""
    value, count = badge["value"], badge["count"]
    if badge["data_type"] == "categorical":
        return ", ".join(dict.fromkeys(badge["categories"]))
    if badge["data_type"] == "boolean" and value is not None:
        return ("true" if value else "false") if count == 1 else f"{value:.0%} true"
    return "" if value is None else f"{value:.3g}"


def install(env: Environment) -> None:
    env.filters.update(
        usd=display.usd,
        signed_usd=display.signed_usd,
        percent_change=display.percent_change,
        duration=display.duration,
        tokens=display.tokens,
        short_time=short_time,
        ago=ago,
        score_badge=score_badge,
    )
