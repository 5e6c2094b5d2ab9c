"""Price rules the user controls: per project, add or override a model's prices, or price a tool's calls.

A rule is data. A *model* rule gives a model (matched by exact name or a glob pattern, optionally only at
one provider) its prices per million tokens by usage type, and optionally a fee per request; it wins over
the genai-prices catalog for the spans it matches. A *call* rule gives every call of a tool (or a
retrieval, a rerank, any non-LLM step; matched by its tool name, model or span name) a price, so tools
that report nothing still count. A rule takes effect from a date: the span's start time picks the rule in
force, so a price change is a new rule, not an edit of history.

When several rules match a span the most specific wins: the span's own project before rules for every
project (``*``), an exact name before a pattern, a provider-specific rule before one for any provider,
then the latest start date that is not after the span's start.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from genai_prices.types import ModelPrice

from tokentrail.errors import BadRequest

__all__ = ["ALL_PROJECTS", "PRICE_KEYS", "PriceRule", "RuleBook", "RuleKind", "parse_rule", "rule_row"]

#: The project of a rule that applies to every project.
ALL_PROJECTS = "*"

#: A model rule's price names -> genai-prices price keys: per million tokens by canonical usage type, and
#: ``request``, USD per call (genai-prices prices requests per thousand).
PRICE_KEYS: Mapping[str, str] = {
    "input": "input_mtok",
    "output": "output_mtok",
    "cache_read": "cache_read_mtok",
    "cache_write": "cache_write_mtok",
    "cache_write_1h": "cache_write_1h_mtok",
    "reasoning": "output_reasoning_mtok",
    "audio_in": "input_audio_mtok",
    "audio_out": "output_audio_mtok",
    "image_in": "input_image_mtok",
    "request": "requests_kcount",
}
_PER_THOUSAND = {"request"}
#: A call rule's one price: USD per call.
CALL_PRICE = "call"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")


class RuleKind(StrEnum):
    MODEL = "model"  # per-token prices of a model
    CALL = "call"  # a price per call of a tool or any other non-LLM step


@dataclass(frozen=True, slots=True)
class PriceRule:
    """One user price rule (see the module docstring)."""

    id: str
    kind: RuleKind
    match: str
    prices: Mapping[str, Decimal]
    project: str = ALL_PROJECTS
    provider: str = ""
    effective_from_ns: int = 0
    note: str = ""
    source: str = "api"  # "api" or "config": where it was set

    @property
    def is_pattern(self) -> bool:
        return any(char in self.match for char in "*?[")

    @property
    def source_name(self) -> str:
        """What a span priced by this rule records as its ``price_source``."""
        return f"rule:{self.id}"

    def matches(self, name: str) -> bool:
        name = name.lower()
        pattern = self.match.lower()
        return fnmatch.fnmatchcase(name, pattern) if self.is_pattern else name == pattern

    def model_price(self) -> ModelPrice:
        """The rule's prices as a genai-prices ModelPrice, so they are applied by the same arithmetic."""
        prices = {
            PRICE_KEYS[name]: amount * 1000 if name in _PER_THOUSAND else amount
            for name, amount in self.prices.items()
        }
        return ModelPrice(**prices)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "project": self.project,
            "match": self.match,
            "provider": self.provider or None,
            "effective_from_ns": self.effective_from_ns or None,
            "effective_from": (
                (_EPOCH + timedelta(microseconds=self.effective_from_ns // 1000)).isoformat()
                if self.effective_from_ns
                else None
            ),
            "prices": {name: str(amount) for name, amount in self.prices.items()},
            "note": self.note,
            "source": self.source,
        }


def parse_rule(data: Mapping[str, Any], *, source: str = "api") -> PriceRule:
    """A rule from plain data (API body, config file); raises :class:`BadRequest` naming what is wrong."""
    rule_id = str(data.get("id") or "")
    if not _RULE_ID.fullmatch(rule_id):
        raise BadRequest(f"rule id {rule_id!r} must be 1-128 letters, digits, '_', '.', ':' or '-'")
    try:
        kind = RuleKind(str(data.get("kind") or RuleKind.MODEL))
    except ValueError:
        raise BadRequest(f"rule {rule_id}: kind must be 'model' or 'call'") from None
    match = str(data.get("match") or "").strip()
    if not match:
        raise BadRequest(f"rule {rule_id}: 'match' names the model or tool (a glob pattern is allowed)")
    raw_prices = data.get("prices")
    if not isinstance(raw_prices, Mapping) or not raw_prices:
        raise BadRequest(f"rule {rule_id}: 'prices' must be an object of prices in USD")
    allowed = set(PRICE_KEYS) if kind is RuleKind.MODEL else {CALL_PRICE}
    prices: dict[str, Decimal] = {}
    for name, value in raw_prices.items():
        if name not in allowed:
            raise BadRequest(f"rule {rule_id}: unknown price {name!r}; a {kind} rule takes {sorted(allowed)}")
        prices[str(name)] = _amount(rule_id, str(name), value)
    if kind is RuleKind.MODEL and not {"input", "output", "request"} & prices.keys():
        raise BadRequest(f"rule {rule_id}: a model rule needs at least an input, output or request price")
    effective = data.get("effective_from_ns") or 0
    if data.get("effective_from"):
        effective = _ns(rule_id, data["effective_from"])
    if not isinstance(effective, int) or effective < 0:
        raise BadRequest(f"rule {rule_id}: effective_from_ns must be a non-negative integer (UNIX ns)")
    return PriceRule(
        id=rule_id,
        kind=kind,
        match=match,
        prices=prices,
        project=str(data.get("project") or ALL_PROJECTS),
        provider=str(data.get("provider") or ""),
        effective_from_ns=effective,
        note=str(data.get("note") or ""),
        source=source,
    )


def _ns(rule_id: str, value: Any) -> int:
    """A start date: a date (UTC midnight), a datetime (naive means UTC) or their ISO text."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise BadRequest(f"rule {rule_id}: effective_from {value!r} is not an ISO date or time") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise BadRequest(f"rule {rule_id}: effective_from must be a date or a date and time")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int((value - _EPOCH).total_seconds()) * 1_000_000_000 + value.microsecond * 1000


def rule_row(rule: PriceRule) -> dict[str, Any]:
    """A rule as a ``price_rules`` row."""
    return {
        "project": rule.project,
        "id": rule.id,
        "kind": rule.kind.value,
        "match": rule.match,
        "provider": rule.provider,
        "effective_from_ns": rule.effective_from_ns,
        "prices": dict(rule.prices),
        "note": rule.note,
        "source": rule.source,
    }


def _amount(rule_id: str, name: str, value: Any) -> Decimal:
    # Floats go through repr so 0.1 stays 0.1, as for costs spans report.
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        raise BadRequest(f"rule {rule_id}: price {name}={value!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise BadRequest(f"rule {rule_id}: price {name}={value!r} must be zero or more")
    return amount


def _specificity(rule: PriceRule) -> tuple[int, int, int, int]:
    """Sort key, most specific first (see the module docstring)."""
    return (
        rule.project == ALL_PROJECTS,
        rule.is_pattern,
        not rule.provider,
        -rule.effective_from_ns,
    )


@dataclass(frozen=True)
class RuleBook:
    """Every project's rules, indexed for lookup on the ingest path; immutable (a change makes a new book).

    Pickles as its rules only (it crosses to ingest processes with each request); lookups are cached.
    """

    rules: tuple[PriceRule, ...] = ()
    _by_kind: dict[RuleKind, tuple[PriceRule, ...]] = field(init=False, repr=False, compare=False)
    _prices: dict[tuple[str, str], ModelPrice] = field(init=False, repr=False, compare=False)
    _candidates: Callable[[RuleKind, str, str, tuple[str, ...]], tuple[PriceRule, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        ordered = sorted(self.rules, key=_specificity)
        by_kind = {kind: tuple(rule for rule in ordered if rule.kind is kind) for kind in RuleKind}
        object.__setattr__(self, "_by_kind", by_kind)
        # Keyed like the store: two projects may each have a rule of the same id.
        prices = {(r.project, r.id): r.model_price() for r in self.rules if r.kind is RuleKind.MODEL}
        object.__setattr__(self, "_prices", prices)
        object.__setattr__(self, "_candidates", functools.lru_cache(maxsize=4096)(self._candidates_uncached))

    def __reduce__(self) -> tuple[Any, ...]:
        return (RuleBook, (self.rules,))

    def __bool__(self) -> bool:
        return bool(self.rules)

    def model_rule(self, project: str, provider: str, model: str, at_ns: int) -> PriceRule | None:
        """The model rule in force for this call, if any."""
        if not self.rules or not model:
            return None
        return _in_force(self._candidates(RuleKind.MODEL, project, provider, (model,)), at_ns)

    def has_call_rules(self, project: str) -> bool:
        """Whether any call rule applies to the project's spans."""
        return any(rule.project in (project, ALL_PROJECTS) for rule in self._by_kind[RuleKind.CALL])

    def call_rule(self, project: str, names: Sequence[str], at_ns: int) -> PriceRule | None:
        """The call rule in force for a step known by these names (tool name, model, span name)."""
        if not self.rules or not names:
            return None
        return _in_force(self._candidates(RuleKind.CALL, project, "", tuple(names)), at_ns)

    def model_price(self, rule: PriceRule) -> ModelPrice:
        return self._prices[(rule.project, rule.id)]

    def _candidates_uncached(
        self, kind: RuleKind, project: str, provider: str, names: tuple[str, ...]
    ) -> tuple[PriceRule, ...]:
        # The first name that any rule matches decides (a tool name before the span name).
        for name in names:
            found = tuple(
                rule
                for rule in self._by_kind[kind]
                if rule.project in (project, ALL_PROJECTS)
                and (not rule.provider or rule.provider == provider)
                and rule.matches(name)
            )
            if found:
                return found
        return ()


def _in_force(candidates: Iterable[PriceRule], at_ns: int) -> PriceRule | None:
    # Candidates are ordered most specific first, latest start first within equal specificity.
    return next((rule for rule in candidates if rule.effective_from_ns <= at_ns), None)
