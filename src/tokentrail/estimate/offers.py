"""Hosted tracing offers, read once from ``offers.toml``, and what each would bill for a month of traces.

The file is data (one entry per offer, with the date its prices were read and where); this module checks
it at load and refuses it whole, naming the key, rather than estimate with half a table. Bills are exact
Decimals: graduated tiers over the month's billed units, plus the plan's fee.
"""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tokentrail import money

__all__ = [
    "DAYS_PER_MONTH",
    "OFFERS",
    "UNITS",
    "Bill",
    "Offer",
    "OfferFileError",
    "Tier",
    "load",
    "monthly_bill",
]

#: The month bills are worked out for.
DAYS_PER_MONTH = 30

#: What an offer bills per month, from the traces a month and the spans per trace.
UNITS: Mapping[str, Callable[[Decimal, Decimal], Decimal]] = {
    "trace": lambda traces, spans_per_trace: traces,
    "trace_and_spans": lambda traces, spans_per_trace: traces * (1 + spans_per_trace),
}


class OfferFileError(ValueError):
    """The offers file cannot be read or does not follow its schema."""


@dataclass(frozen=True, slots=True)
class Tier:
    """Units past ``start`` up to ``end`` (None: no end), billed at ``price`` per ``per`` units."""

    start: int
    end: int | None
    price: Decimal
    per: int


@dataclass(frozen=True, slots=True)
class Offer:
    vendor: str
    plan: str
    as_of: datetime.date
    source: tuple[str, ...]
    unit: str
    monthly_fee: Decimal
    tiers: tuple[Tier, ...]
    how: str
    limit: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Bill:
    offer: Offer
    #: The month's billed units (traces, or traces and spans).
    units: Decimal
    #: The month's bill in USD; None when the units are over the plan's limit.
    amount: Decimal | None


def monthly_bill(offer: Offer, traces_per_day: Decimal, spans_per_trace: Decimal) -> Bill:
    """What ``offer`` bills for a month of ``DAYS_PER_MONTH`` days at the given rates."""
    with money.exact():
        units = UNITS[offer.unit](traces_per_day * DAYS_PER_MONTH, spans_per_trace)
        if offer.limit is not None and units > offer.limit:
            return Bill(offer, units, None)
        amount = offer.monthly_fee
        for tier in offer.tiers:
            top = units if tier.end is None else min(units, Decimal(tier.end))
            if top > tier.start:
                amount += (top - tier.start) * tier.price / tier.per
    return Bill(offer, units, amount)


def load(path: Path) -> tuple[Offer, ...]:
    """The offers of a TOML file following ``offers.toml``'s schema."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise OfferFileError(f"{path}: {exc}") from None
    return tuple(_offer(path, index, entry) for index, entry in enumerate(data.get("offers", [])))


_REQUIRED = ("vendor", "plan", "as_of", "source", "unit", "monthly_fee", "tiers", "how")
_OPTIONAL = ("limit", "note")


def _offer(path: Path, index: int, entry: dict[str, Any]) -> Offer:
    where = f"{path}: offers[{index}]"
    unknown = set(entry) - set(_REQUIRED) - set(_OPTIONAL)
    missing = [key for key in _REQUIRED if key not in entry]
    if unknown or missing:
        raise OfferFileError(f"{where}: unknown keys {sorted(unknown)}, missing keys {missing}")
    if entry["unit"] not in UNITS:
        raise OfferFileError(f"{where}.unit: one of {', '.join(UNITS)}, got {entry['unit']!r}")
    if not isinstance(entry["as_of"], datetime.date):
        raise OfferFileError(f"{where}.as_of: a date (2026-12-05), got {entry['as_of']!r}")
    return Offer(
        vendor=str(entry["vendor"]),
        plan=str(entry["plan"]),
        as_of=entry["as_of"],
        source=tuple(str(url) for url in entry["source"]),
        unit=entry["unit"],
        monthly_fee=_amount(f"{where}.monthly_fee", entry["monthly_fee"]),
        tiers=tuple(_tier(f"{where}.tiers[{i}]", tier) for i, tier in enumerate(entry["tiers"])),
        how=str(entry["how"]),
        limit=entry.get("limit"),
        note=str(entry.get("note", "")),
    )


def _tier(where: str, tier: dict[str, Any]) -> Tier:
    if set(tier) - {"from", "to", "price", "per"} or not {"from", "price", "per"} <= set(tier):
        raise OfferFileError(f"{where}: keys from, price, per and optionally to, got {sorted(tier)}")
    if tier.get("to") is not None and tier["to"] <= tier["from"]:
        raise OfferFileError(f"{where}: 'to' must be past 'from'")
    if not isinstance(tier["per"], int) or tier["per"] <= 0:
        raise OfferFileError(f"{where}.per: a positive whole number, got {tier['per']!r}")
    return Tier(int(tier["from"]), tier.get("to"), _amount(f"{where}.price", tier["price"]), tier["per"])


def _amount(where: str, text: object) -> Decimal:
    try:
        value = Decimal(text) if isinstance(text, str) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0:
        raise OfferFileError(f"{where}: a non-negative amount in USD as a string, got {text!r}")
    return value


#: The offers tokentrail ships, read once.
OFFERS = load(Path(__file__).with_name("offers.toml"))
