"""The price catalog: genai-prices' bundled data, looked up per span and broken down by usage type.

genai-prices owns the prices, the model matching rules and the arithmetic; this module only translates
between tokentrail's vocabulary (OTel provider names, canonical usage types) and genai-prices', and caches
what does not change from one span to the next, because pricing runs on the ingest hot path.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType

from genai_prices import Usage
from genai_prices.data_snapshot import DataSnapshot, get_snapshot
from genai_prices.decompose import is_descendant_or_self
from genai_prices.types import (
    ModelInfo,
    ModelPrice,
    Provider,
    TieredPrices,
    TimeOfDateConstraint,
    _collect_resolved_model_prices,
    _compute_registry_priced_counts,
    calc_unit_price,
)
from genai_prices.units import UnitDef, _get_registry
from genai_prices.validation import validate_priced_units

from tokentrail.model import Unpriced
from tokentrail.pricing.providers import PROVIDER_IDS

__all__ = ["USAGE_KEYS", "PriceCatalog", "Priced", "default_catalog"]

#: Canonical usage type -> genai-prices usage key. Both count cached tokens inside input and reasoning
#: tokens inside output (genai-prices prices a unit as the remainder after its priced sub-units).
USAGE_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "input": "input_tokens",
        "output": "output_tokens",
        "cache_read": "cache_read_tokens",
        "cache_write": "cache_write_tokens",
        "cache_write_1h": "cache_write_1h_tokens",
        "reasoning": "output_reasoning_tokens",
        "audio_in": "input_audio_tokens",
        "audio_out": "output_audio_tokens",
        "image_in": "input_image_tokens",
        "web_search": "web_searches",
    }
)

# genai-prices unit -> the cost type it is reported under; units without a canonical name keep their key.
_COST_TYPES: Mapping[str, str] = MappingProxyType(
    {**{key: usage_type for usage_type, key in USAGE_KEYS.items()}, "requests": "requests"}
)
_GENAI_KEYS: dict[str, str] = dict(USAGE_KEYS)  # a plain dict: the hot path looks keys up in it
_INPUT_TOKENS = "input_tokens"  # the count genai-prices chooses a price tier by
_REQUESTS = "requests"
# With this provider id genai-prices splits a LiteLLM-style "vendor/model" ref into provider and model.
_SPLIT_PROVIDER_PREFIX = "litellm"
_NS_PER_DAY = 86_400 * 10**9
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Priced:
    """Inferred cost of one call, by type, and which genai-prices entry priced it."""

    cost: dict[str, Decimal]
    source: str


@dataclass(frozen=True, slots=True)
class _Match:
    """A model found in the data; hashed by ids so that it can key a cache."""

    provider_id: str
    model_id: str
    provider: Provider = field(compare=False)
    model: ModelInfo = field(compare=False)
    # Time-of-day prices (off-peak discounts) change within a day, so they cannot be cached per day.
    by_time_of_day: bool = field(compare=False)

    @property
    def source(self) -> str:
        return f"genai-prices:{self.provider_id}/{self.model_id}"


# (start, price) of a long-context tier, highest start first: genai-prices' search order.
_Tiers = tuple[tuple[int, Decimal], ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to price one model's prices for one set of reported (non-zero) usage keys.

    ``counting`` computes, most specific unit first, the count genai-prices bills each priced unit the
    usage reports: its reported value minus the counts of its priced descendants (``compute_leaf_values``
    restricted to the reported units; every other priced unit counts 0 for these keys, or rejects them,
    which the plan works out once). ``counts[0]`` is the one request per call; unit ``i`` of ``counting``
    lands at ``counts[i + 1]``. ``emitting`` then multiplies, in genai-prices' order (the order it sums in).
    """

    # (usage key, indexes into counts of the priced descendants to subtract)
    counting: tuple[tuple[str, tuple[int, ...]], ...]
    # (index into counts, cost type, flat or base price, tiers, unit ``per``)
    emitting: tuple[tuple[int, str, Decimal, _Tiers, int], ...]
    # Usage key whose value picks a tier (input tokens), or "" when no tier applies or input infers 0.
    tier_key: str
    # False when genai-prices rejects any usage with these keys (e.g. cached tokens but no input).
    valid: bool = True


_REJECTED = _Plan((), (), "", valid=False)


@dataclass(frozen=True, slots=True)
class _Rates:
    """A model's prices resolved to billable units, and pricing plans per set of reported keys."""

    model_price: ModelPrice
    units: tuple[tuple[UnitDef, Decimal | TieredPrices], ...]
    tiered: bool
    # frozenset of reported genai-prices usage keys -> plan; at most one per subset of USAGE_KEYS.
    plans: dict[frozenset[str], _Plan] = field(default_factory=dict)


class PriceCatalog:
    """Looks up models in a genai-prices data snapshot and prices usage with them.

    Lookups are cached per (provider, model) and resolved prices per (model, UTC day), in bounded LRU
    caches, since model names arrive from the network; pricing plans are cached per resolved prices
    and set of reported usage types, of which there are at most 2 ** len(USAGE_KEYS).
    """

    def __init__(self, snapshot: DataSnapshot | None = None, *, cache_size: int = 4096) -> None:
        self.snapshot = snapshot or get_snapshot()
        self._find = functools.lru_cache(maxsize=cache_size)(self._find_uncached)
        self._rates_on_day = functools.lru_cache(maxsize=cache_size)(self._rates_on_day_uncached)
        # Keyed by id(): ModelPrice is unhashable; the value holds the object so the id stays unique.
        self._rates_by_price: dict[int, _Rates] = {}

    def price(self, provider: str, model: str, usage: Mapping[str, int], at_ns: int) -> Priced | Unpriced:
        """Price one call of ``model`` at ``at_ns`` (UNIX ns; 0 means now) from canonical ``usage``."""
        values = _genai_values(usage)
        if not values:
            return Unpriced.NO_USAGE
        match = self._find(provider, model)
        if match is None:
            return Unpriced.AMBIGUOUS_PROVIDER if self._ambiguous(provider, model) else Unpriced.UNKNOWN_MODEL
        if at_ns <= 0:
            at_ns = time.time_ns()
        return self._priced(self._rates(match, at_ns), values, match.source)

    def prices_of(self, provider: str, model: str, at_ns: int) -> tuple[str, dict[str, Decimal]] | None:
        """The catalog entry that prices ``model`` and its prices at ``at_ns`` (0: now), by price key
        (``input_mtok`` ...; a tiered price by its base); None if the catalog has none."""
        match = self._find(provider, model)
        if match is None:
            return None
        prices = match.model.get_prices(_utc(at_ns or time.time_ns()))
        return match.source, {
            key: value.base if isinstance(value, TieredPrices) else value
            for key, value in vars(prices).items()
            if isinstance(value, Decimal | TieredPrices)
        }

    def price_with(self, model_price: ModelPrice, usage: Mapping[str, int], source: str) -> Priced | Unpriced:
        """Price one call with prices given outside the catalog (a user's rule), by the same arithmetic."""
        values = _genai_values(usage)
        if not values:
            return Unpriced.NO_USAGE
        return self._priced(self._rates_for(model_price), values, source)

    def _priced(self, rates: _Rates, values: dict[str, int], source: str) -> Priced | Unpriced:
        plain = all(type(count) is int and count >= 0 for count in values.values())
        if plain:
            reported = frozenset(values)
            plan = rates.plans.get(reported)
            if plan is None:
                plan = rates.plans[reported] = _plan(rates, reported)
            cost = _apply(plan, values)
        else:  # a float, a Decimal, a bool or a negative count: genai-prices validates it
            cost = _price_generic(rates, values)
        if cost is None:  # genai-prices rejects e.g. cache_read > input, or a negative count
            return Unpriced.INVALID_USAGE
        return Priced(cost=cost, source=source)

    def _find_uncached(self, provider: str, model: str) -> _Match | None:
        # Try the span's provider first, then whichever provider claims the model by name, then
        # genai-prices' "vendor/model" splitting, so an OpenAI-compatible proxy still gets its price.
        # A provider the catalog does not know, naming a model that several providers sell at different
        # prices, is not guessed: see _ambiguous.
        provider_id = PROVIDER_IDS.get(provider, provider)
        candidates: list[str | None] = [provider_id] if provider_id else []
        if not provider_id or self._known_provider(provider_id) or not self._ambiguous(provider, model):
            candidates.append(None)
        if "/" in model:
            candidates.append(_SPLIT_PROVIDER_PREFIX)
        for candidate in candidates:
            try:
                found, info = self.snapshot.find_provider_model(model, None, candidate, None)
            except LookupError:
                continue
            return _Match(found.id, info.id, found, info, _by_time_of_day(info))
        return None

    def _known_provider(self, provider_id: str) -> bool:
        return any(p.id == provider_id for p in self.snapshot.providers)

    @functools.lru_cache(maxsize=1024)  # noqa: B019  # the catalog lives as long as the process
    def _ambiguous(self, provider: str, model: str) -> bool:
        """Whether a span naming an unknown provider names a model that known providers price differently."""
        provider_id = PROVIDER_IDS.get(provider, provider)
        if not provider_id or self._known_provider(provider_id):
            return False
        prices = set()
        for candidate in self.snapshot.providers:
            try:
                _, info = self.snapshot.find_provider_model(model, None, candidate.id, None)
            except LookupError:
                continue
            prices.add(repr(info.get_prices(datetime.now(UTC))))
        return len(prices) > 1

    def _rates(self, match: _Match, at_ns: int) -> _Rates:
        if match.by_time_of_day:
            return self._rates_for(match.model.get_prices(_utc(at_ns)))
        return self._rates_on_day(match, at_ns // _NS_PER_DAY)

    def _rates_on_day_uncached(self, match: _Match, day: int) -> _Rates:
        return self._rates_for(match.model.get_prices(_utc(day * _NS_PER_DAY)))

    def _rates_for(self, model_price: ModelPrice) -> _Rates:
        rates = self._rates_by_price.get(id(model_price))
        if rates is None:
            units = _resolve(model_price)
            tiered = any(isinstance(price, TieredPrices) for _, price in units)
            rates = _Rates(model_price, units, tiered)
            self._rates_by_price[id(model_price)] = rates
        return rates


def _genai_values(usage: Mapping[str, int]) -> dict[str, int]:
    """Canonical usage as genai-prices usage keys, zero counts left out."""
    values: dict[str, int] = {}
    for usage_type, count in usage.items():
        key = _GENAI_KEYS.get(usage_type)
        if key is not None and count:
            values[key] = count
    return values


@functools.cache
def default_catalog() -> PriceCatalog:
    """The catalog over genai-prices' bundled data, loaded on first use (it takes a quarter second)."""
    return PriceCatalog()


def _by_time_of_day(model: ModelInfo) -> bool:
    prices = [] if isinstance(model.prices, ModelPrice) else model.prices
    return any(isinstance(price.constraint, TimeOfDateConstraint) for price in prices)


def _utc(at_ns: int) -> datetime:
    # Integer microseconds: no float rounding can move a request across a price's start date.
    return _EPOCH + timedelta(microseconds=at_ns // 1000)


# --- genai-prices internals -------------------------------------------------------------------------
# genai-prices 0.2 returns only input/output/total prices. The per-unit amounts follow its
# ModelPrice.calc_price step by step (the pin is genai-prices<0.3 in pyproject.toml): prices resolved
# and validated by its private helpers, counts by its unit registry's dimensions and its own inference
# of unreported units, amounts by calc_unit_price's arithmetic, so the by-type split adds up to its
# total exactly, tiers and cache discounts included. That work is planned once per (prices, set of
# reported keys); the tests hold every bundled model and random usage to genai_prices.calc_price.


def _resolve(model_price: ModelPrice) -> tuple[tuple[UnitDef, Decimal | TieredPrices], ...]:
    registry = _get_registry()
    units = _collect_resolved_model_prices(model_price, registry)
    validate_priced_units(tuple(unit for unit, _ in units), registry)
    return units


def _plan(rates: _Rates, reported: frozenset[str]) -> _Plan:
    """The plan for usage reporting (exactly) ``reported``, all positive; ``_REJECTED`` if genai-prices
    rejects any such usage whatever the counts."""
    # genai-prices reads a priced unit the usage does not report as 0, or rejects the usage when that
    # would hide reported tokens (a reported descendant, or two reported units it is the join of). Which
    # one depends only on which keys are positive, so a usage with a 1 for each asks it once for all.
    probe = Usage(**dict.fromkeys(reported, 1))
    counted: list[UnitDef] = []
    for unit, _ in rates.units:
        if unit.usage_key in reported:
            counted.append(unit)
        elif unit.usage_key != _REQUESTS and not _reads_as_zero(probe, unit.usage_key):
            return _REJECTED
    if rates.tiered and _INPUT_TOKENS not in reported and not _reads_as_zero(probe, _INPUT_TOKENS):
        return _REJECTED
    # compute_leaf_values' order: a unit's descendants have more dimensions, so they come first.
    counted.sort(key=lambda unit: (-len(unit.dimensions), unit.usage_key))
    index = {unit.usage_key: i + 1 for i, unit in enumerate(counted)}
    counting = tuple(
        (
            unit.usage_key,
            tuple(
                index[other.usage_key]
                for other in counted
                if other is not unit and is_descendant_or_self(unit, other)
            ),
        )
        for unit in counted
    )
    emitting: list[tuple[int, str, Decimal, _Tiers, int]] = []
    for unit, price in rates.units:
        at = 0 if unit.usage_key == _REQUESTS else index.get(unit.usage_key)
        if at is None:
            continue  # counts 0 for these keys, so it costs nothing
        cost_type = _COST_TYPES.get(unit.usage_key, unit.usage_key)
        if isinstance(price, TieredPrices):
            tiers = tuple((tier.start, tier.price) for tier in reversed(price.tiers))
            emitting.append((at, cost_type, price.base, tiers, unit.per))
        else:
            emitting.append((at, cost_type, price, (), unit.per))
    tier_key = _INPUT_TOKENS if rates.tiered and _INPUT_TOKENS in reported else ""
    return _Plan(counting, tuple(emitting), tier_key)


def _reads_as_zero(probe: Usage, usage_key: str) -> bool:
    try:
        getattr(probe, usage_key)
    except ValueError:
        return False
    return True


def _apply(plan: _Plan, values: Mapping[str, int]) -> dict[str, Decimal] | None:
    """Cost by type of ``values`` (positive ints, keyed as the plan's) or None if genai-prices rejects it.

    The arithmetic is ``calc_unit_price``'s: ``price * count / per``, the price of the highest tier whose
    start the total input tokens exceed, else the base price, for every token of the unit.
    """
    if not plan.valid:
        return None
    counts = [1]  # one request per call
    for key, descendants in plan.counting:
        count = values[key]
        for at in descendants:
            count -= counts[at]
        if count < 0:
            return None
        counts.append(count)
    total_input = values[plan.tier_key] if plan.tier_key else 0
    cost: dict[str, Decimal] = {}
    for at, cost_type, price, tiers, per in plan.emitting:
        count = counts[at]
        if count:
            for start, tier_price in tiers:
                if total_input > start:
                    price = tier_price
                    break
            cost[cost_type] = price * count / per
    return cost


def _price_generic(rates: _Rates, values: Mapping[str, object]) -> dict[str, Decimal] | None:
    """Cost by type through genai-prices' generic path, for counts that are not plain ints."""
    try:
        usage = Usage(**values)  # type: ignore[arg-type]  # genai-prices validates them
        counts = _compute_registry_priced_counts(rates.units, usage)
        total_input = usage.input_tokens if rates.tiered else 0
    except ValueError:
        return None
    return {
        _COST_TYPES.get(unit.usage_key, unit.usage_key): calc_unit_price(
            price, counts[unit.usage_key], total_input, unit.per
        )
        for unit, price in rates.units
        if counts[unit.usage_key]
    }
