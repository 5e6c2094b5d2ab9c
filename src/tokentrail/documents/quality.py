"""The quality-per-dollar view as a document: each group's mean score with its 95% interval, exact cost
per trace, tokens, median latency and score per dollar, the frontier marked, and each cheaper group as
good as the best said in words ("gpt-4o-mini scores 0.86 ± 0.03 at $0.0021/trace vs gpt-4o 0.88 ± 0.03
at $0.031/trace: as good within the interval, 15x cheaper")."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tokentrail.analysis.quality import SHARE_TYPES, AsGood, QualityGroup, QualityView
from tokentrail.documents.encoding import money

__all__ = ["as_good_sentence", "quality_json", "usd_short"]

#: What an empty group key (no model, prompt or experiment on the trace) reads as.
NONE_LABEL = "(none)"


def usd_short(amount: Decimal) -> str:
    """Dollars to two significant digits below a dollar (``$0.0021``), to the cent above."""
    if amount == 0:
        return "$0"
    if abs(amount) >= 1:
        return f"${amount.quantize(Decimal('0.01'), ROUND_HALF_EVEN)}"
    places = Decimal(1).scaleb(amount.adjusted() - 1)
    return "$" + money(amount.quantize(places, ROUND_HALF_EVEN))


def _mean_text(group: QualityGroup, share: bool) -> str:
    if share:
        text = f"{group.mean * 100:.0f}%"
        if group.low is not None and group.high is not None:
            text += f" ({group.low * 100:.0f} to {group.high * 100:.0f}%)"
        return text
    text = f"{group.mean:.2f}"
    if group.low is not None and group.high is not None:
        text += f" ± {(group.high - group.low) / 2:.2f}"
    return text


def _times(times: Decimal | None) -> str:
    if times is None:
        return "free"
    rounded = times.quantize(Decimal(1) if times >= 10 else Decimal("0.1"), ROUND_HALF_EVEN)
    return f"{rounded}x cheaper"


def as_good_sentence(found: AsGood, share: bool, labels: Mapping[str, str]) -> str:
    """A cheaper group as good as the best, in words."""
    group, best = found.group, found.best
    return (
        f"{labels.get(group.key, group.key) or NONE_LABEL} scores {_mean_text(group, share)} at "
        f"{usd_short(group.cost_per_trace)}/trace vs {labels.get(best.key, best.key) or NONE_LABEL} "
        f"{_mean_text(best, share)} at {usd_short(best.cost_per_trace)}/trace: as good within the "
        f"interval, {_times(found.times)}"
    )


def _group_json(group: QualityGroup, labels: Mapping[str, str], share: bool) -> dict[str, Any]:
    return {
        "key": group.key,
        "label": labels.get(group.key, group.key) or NONE_LABEL,
        "traces": group.traces,
        "mean": group.mean,
        #: The mean and its interval in words: "0.86 ± 0.03", "80% (49 to 94%)".
        "reads": _mean_text(group, share),
        "low": group.low,
        "high": group.high,
        "cost": money(group.cost),
        "cost_per_trace": money(group.cost_per_trace),
        "tokens_per_trace": round(group.tokens_per_trace, 1),
        "p50_ms": group.p50_ns / 1e6,
        "score_per_dollar": group.score_per_dollar,
        "frontier": group.frontier,
    }


def quality_json(view: QualityView, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The view as the API answers it; ``labels`` names group keys (experiments by their names)."""
    labels = labels or {}
    share = view.data_type in SHARE_TYPES
    return {
        "score": view.score,
        "data_type": view.data_type,
        "category": view.category,
        "by": view.by,
        "interval": "wilson 95%" if share else "normal 95%",
        "groups": [_group_json(group, labels, share) for group in view.groups],
        "as_good": [
            {
                "key": found.group.key,
                "best": found.best.key,
                "times_cheaper": None if found.times is None else str(found.times.quantize(Decimal("0.01"))),
                "sentence": as_good_sentence(found, share, labels),
            }
            for found in view.as_good
        ],
    }
