"""What filled the prompts, as a document: the sources with their tokens, cost and share, and the calls one
by one with the part of each prompt that history carried in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tokentrail.analysis.prompt_sources import PromptReport, Turn
from tokentrail.documents.encoding import iso, money

__all__ = ["prompt_report_json"]

_SHARE = Decimal("0.0001")


def prompt_report_json(report: PromptReport) -> dict[str, Any]:
    """Sources (most tokens first) with their share of the prompt tokens, totals, and the calls in order."""
    return {
        "tokens": report.tokens,
        "cost": money(report.cost),
        "methods": report.methods,
        "sources": [
            {
                "source": source.source,
                "tokens": source.tokens,
                "cost": money(source.cost),
                "share": float(_share(source.tokens, report.tokens)),
                "calls": source.calls,
                "methods": source.methods,
            }
            for source in report.sources
        ],
        "turns": [_turn_json(turn) for turn in report.turns],
        "growth": None if report.growth is None else float(report.growth),
    }


def _share(part: int, whole: int) -> Decimal:
    return (Decimal(part) / whole).quantize(_SHARE) if whole else Decimal(0)


def _turn_json(turn: Turn) -> dict[str, Any]:
    call = turn.call
    return {
        "trace_id": call["trace_id"],
        "span_id": call["span_id"],
        "name": call["name"],
        "model": call["model"],
        "start": iso(call["start_ns"]),
        "method": call["method"],
        "tokens": turn.tokens,
        "cost": money(turn.cost),
        "history_tokens": turn.history_tokens,
        "history_cost": money(turn.history_cost),
        "sources": dict(sorted(call["sources"].items(), key=lambda item: (-item[1], item[0]))),
    }
