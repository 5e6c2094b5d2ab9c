"""What filled the prompts of a trace, a session or a time window: tokens and cost per source, and, call by
call, how much of each prompt earlier turns carried in (history) and what that cost.

Costs are exact: a call's prompt cost is split between its sources (or between history and the rest) by
largest remainder in units of 10^-18 USD, so the parts add up to it; over many calls, the store sums each
source's share truncated to 18 decimals and the dust left (under 10^-18 USD a call) goes to the source with
the most tokens, so the sources add up to the calls' prompt cost exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from tokentrail.money import exact, sum_money
from tokentrail.pricing.prompt import largest_remainder
from tokentrail.store.database import Store
from tokentrail.store.prompt_sources import PromptCall, PromptScope, prompt_calls, source_rows

__all__ = ["PromptReport", "Source", "Turn", "prompt_report", "split_money"]

#: Calls listed one by one (a trace's, a session's); the sources roll up over all of them.
MAX_TURNS = 500

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Source:
    source: str
    tokens: int
    cost: Decimal
    #: Calls whose prompt it was in.
    calls: int
    #: How those calls' prompts were counted (``tokenizer:<encoding>``, ``chars``, ``...+scaled``).
    methods: list[str]


@dataclass(frozen=True, slots=True)
class Turn:
    """One call: its prompt's tokens and cost, and the part of them earlier turns carried in."""

    call: PromptCall
    tokens: int
    cost: Decimal
    history_tokens: int
    history_cost: Decimal


@dataclass(frozen=True, slots=True)
class PromptReport:
    sources: list[Source]
    tokens: int
    cost: Decimal
    turns: list[Turn] = field(default_factory=list)

    @property
    def methods(self) -> list[str]:
        return sorted({method for source in self.sources for method in source.methods})

    @property
    def growth(self) -> Decimal | None:
        """How many times the first turn's prompt tokens the last turn's are (None for fewer than two)."""
        if len(self.turns) < 2 or not self.turns[0].tokens:
            return None
        return (Decimal(self.turns[-1].tokens) / self.turns[0].tokens).quantize(Decimal("0.1"))


def split_money(amount: Decimal, weights: Mapping[K, int]) -> dict[K, Decimal]:
    """``amount`` (at most 18 decimals) shared in proportion to ``weights``, the parts adding up to it."""
    if not any(weights.values()):
        return {key: Decimal(0) for key in weights}
    with exact():  # scaling never rounds an amount the store holds
        units = int(amount.scaleb(18))
        return {key: Decimal(part).scaleb(-18) for key, part in largest_remainder(units, weights).items()}


def prompt_report(store: Store, project: str, scope: PromptScope, *, turns: bool) -> PromptReport:
    """Sources over the calls in ``scope``, most tokens first; with ``turns``, the calls one by one too."""
    rows, total_cost = source_rows(store, project, scope)
    sources = [
        Source(row["source"], int(row["tokens"]), row["cost"], row["calls"], row["methods"]) for row in rows
    ]
    if sources:
        top = sources[0]
        with exact():  # the dust is under 10^-18 USD a call: the sum must not round it away
            top_cost = top.cost + total_cost - sum_money(source.cost for source in sources)
        sources[0] = Source(top.source, top.tokens, top_cost, top.calls, top.methods)
    listed = [_turn(call) for call in prompt_calls(store, project, scope, MAX_TURNS)] if turns else []
    return PromptReport(sources, sum(source.tokens for source in sources), total_cost, listed)


def _turn(call: PromptCall) -> Turn:
    tokens = sum(call["sources"].values())
    history = int(call["history"])
    parts = split_money(call["prompt_cost"], {"history": history, "rest": tokens - history})
    return Turn(call, tokens, call["prompt_cost"], history, parts["history"])
