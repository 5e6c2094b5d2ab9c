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

__all__ = ["PROVIDER_IDS", "USAGE_KEYS", "PriceCatalog", "Priced", "default_catalog"]

#: OTel ``gen_ai.provider.name`` -> genai-prices provider id. A provider missing here is handed to
#: genai-prices as is (its own ``provider_match`` rules know e.g. "together_ai" and "openrouter").
PROVIDER_IDS: Mapping[str, str] = MappingProxyType(
    {
        "openai": "openai",
        "anthropic": "anthropic",
        "gcp.gemini": "google",
        "gcp.vertex_ai": "google",
        "gcp.gen_ai": "google",
        "aws.bedrock": "aws",
        # genai-prices' Azure entry falls back to OpenAI, Anthropic, DeepSeek, xAI and Moonshot prices;
        # passed through, "azure.ai.openai" would match OpenAI's provider_match ("contains openai").
        "azure.ai.openai": "azure",
        "azure.ai.inference": "azure",
        "mistral_ai": "mistral",
        "x_ai": "x-ai",
        "cohere": "cohere",
        "deepseek": "deepseek",
        "groq": "groq",
        "perplexity": "perplexity",
        "moonshot_ai": "moonshotai",
    }
)

#: Canonical usage type -> genai-prices usage key. Both count cached tokens inside input and reasoning
#: tokens inside output (genai-prices prices a unit as the remainder after its priced sub-units).
USAGE_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "input": "input_tokens",
        "output": "output_tokens",
        "cache_read": "cache_read_tokens",
        "cache_write": "cache_write_tokens",
        "reasoning": "output_reasoning_tokens",
        "audio_in": "input_audio_tokens",
        "audio_out": "output_audio_tokens",
        "image_in": "input_image_tokens",
    }
)

# genai-prices unit -> the cost type it is reported under; units without a canonical name keep their key.
_COST_TYPES: Mapping[str, str] = MappingProxyType(
    {**{key: usage_type for usage_type, key in USAGE_KEYS.items()}, "requests": "requests"}
)
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


@dataclass(frozen=True, slots=True)
class _Rates:
    """A model's prices resolved to billable units, ready to multiply."""

    model_price: ModelPrice
    units: tuple[tuple[UnitDef, Decimal | TieredPrices], ...]
    tiered: bool
    # Priced units no canonical usage type can reach (web searches, characters ...): genai-prices would
    # infer 0 for each after a scan of the usage; saying so up front keeps that scan off the hot path.
    zeros: Mapping[str, int]


class PriceCatalog:
    """Looks up models in a genai-prices data snapshot and prices usage with them.

    Lookups are cached per (provider, model) and resolved prices per (model, UTC day), in bounded LRU
    caches, since model names arrive from the network.
    """

    def __init__(self, snapshot: DataSnapshot | None = None, *, cache_size: int = 4096) -> None:
        self.snapshot = snapshot or get_snapshot()
        self._find = functools.lru_cache(maxsize=cache_size)(self._find_uncached)
        self._rates_on_day = functools.lru_cache(maxsize=cache_size)(self._rates_on_day_uncached)
        # Keyed by id(): ModelPrice is unhashable; the value holds the object so the id stays unique.
        self._rates_by_price: dict[int, _Rates] = {}
        registry = _get_registry()
        self._reachable = tuple(registry.units[key] for key in USAGE_KEYS.values())

    def price(self, provider: str, model: str, usage: Mapping[str, int], at_ns: int) -> Priced | Unpriced:
        """Price one call of ``model`` at ``at_ns`` (UNIX ns; 0 means now) from canonical ``usage``."""
        values = {key: usage[usage_type] for usage_type, key in USAGE_KEYS.items() if usage.get(usage_type)}
        if not values:
            return Unpriced.NO_USAGE
        match = self._find(provider, model)
        if match is None:
            return Unpriced.UNKNOWN_MODEL
        if at_ns <= 0:
            at_ns = time.time_ns()
        rates = self._rates(match, at_ns)
        try:
            amounts = _amounts_by_unit(rates, Usage(**values, **rates.zeros))
        except ValueError:  # genai-prices rejects e.g. cache_read > input, or a negative count
            return Unpriced.INVALID_USAGE
        cost = {_COST_TYPES.get(key, key): amount for key, amount in amounts}
        return Priced(cost=cost, source=match.source)

    def _find_uncached(self, provider: str, model: str) -> _Match | None:
        # Try the span's provider first, then whichever provider claims the model by name, then
        # genai-prices' "vendor/model" splitting, so an OpenAI-compatible proxy still gets its price.
        provider_id = PROVIDER_IDS.get(provider, provider)
        candidates: list[str | None] = [provider_id] if provider_id else []
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
            zeros = {
                unit.usage_key: 0
                for unit, _ in units
                if unit.usage_key != "requests"
                and not any(unit.is_compatible_with(other) for other in self._reachable)
            }
            tiered = any(isinstance(price, TieredPrices) for _, price in units)
            rates = _Rates(model_price, units, tiered, MappingProxyType(zeros))
            self._rates_by_price[id(model_price)] = rates
        return rates


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
# genai-prices 0.2 returns only input/output/total prices. The per-unit amounts come from the same
# private helpers its ModelPrice.calc_price runs (the pin is genai-prices<0.3 in pyproject.toml), so
# the by-type split adds up to its total exactly, tiers and cache discounts included.


def _resolve(model_price: ModelPrice) -> tuple[tuple[UnitDef, Decimal | TieredPrices], ...]:
    registry = _get_registry()
    units = _collect_resolved_model_prices(model_price, registry)
    validate_priced_units(tuple(unit for unit, _ in units), registry)
    return units


def _amounts_by_unit(rates: _Rates, usage: Usage) -> list[tuple[str, Decimal]]:
    """(genai-prices usage key, USD) for each priced unit the usage reaches; ValueError if rejected."""
    counts = _compute_registry_priced_counts(rates.units, usage)
    total_input = usage.input_tokens if rates.tiered else 0  # a tier is chosen by the total input tokens
    amounts = [
        (unit.usage_key, calc_unit_price(price, counts[unit.usage_key], total_input, unit.per))
        for unit, price in rates.units
        if counts[unit.usage_key]
    ]
    total = sum((amount for _, amount in amounts), Decimal(0))
    assert total == rates.model_price.calc_price(usage)["total_price"], "by-type split != genai-prices total"
    return amounts
