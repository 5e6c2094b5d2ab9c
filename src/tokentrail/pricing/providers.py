"""Provider facts, read once from ``providers.toml``: genai-prices ids, how each API counts, discounts.

The file is data (one section per OpenTelemetry provider name); this module checks it against its schema
at import and refuses it whole, with a :class:`ProviderFileError` naming the file, the key and what is
wrong, rather than price with half a table.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "DISCOUNT_SHARES",
    "DISCOUNT_SIGNALS",
    "FACTS",
    "PROVIDER_COUNTING",
    "PROVIDER_IDS",
    "Counting",
    "Provider",
    "ProviderFacts",
    "ProviderFileError",
    "load",
]


class ProviderFileError(ValueError):
    """The provider facts file cannot be read or does not follow its schema."""


@dataclass(frozen=True, slots=True)
class Counting:
    """Whether a provider's input count includes the cache, and its output count reasoning."""

    cache_in_input: bool
    reasoning_in_output: bool


@dataclass(frozen=True, slots=True)
class Provider:
    """What pricing knows of one provider."""

    prices_id: str
    counting: Counting | None
    discounts: Mapping[str, Decimal]  # discount name -> share of the list price paid


@dataclass(frozen=True, slots=True)
class ProviderFacts:
    """The whole file: the discounts a span can claim, and the providers by OpenTelemetry name."""

    discounts: Mapping[str, tuple[tuple[str, str], ...]]  # name -> (attribute, value) pairs claiming it
    providers: Mapping[str, Provider]


# Each table's keys -> the type its value must have (exactly: TOML's true is not an integer here).
_FILE_KEYS = {"discounts": dict, "providers": dict}
_DISCOUNT_KEYS = {"when": list}
_SIGNAL_KEYS = {"attribute": str, "value": str}
_PROVIDER_KEYS = {"prices_id": str, "cache_in_input": bool, "reasoning_in_output": bool, "discounts": dict}
_COUNTING_KEYS = ("cache_in_input", "reasoning_in_output")
_TYPE_NAMES = {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}


def load(path: Path) -> ProviderFacts:
    """Read and check the provider facts file at ``path``; :class:`ProviderFileError` if it is wrong."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
        return _facts(document)
    except (OSError, UnicodeDecodeError, ValueError) as error:  # TOMLDecodeError is a ValueError
        raise ProviderFileError(f"{path}: {error}") from error


def _facts(document: dict[str, Any]) -> ProviderFacts:
    _table(document, _FILE_KEYS, required=("providers",), where="the file")
    discounts = {
        name: _signals(table, f"discounts.{name}") for name, table in document.get("discounts", {}).items()
    }
    providers = {name: _provider(name, table, discounts) for name, table in document["providers"].items()}
    return ProviderFacts(MappingProxyType(discounts), MappingProxyType(providers))


def _table(
    table: object, keys: Mapping[str, type], *, required: tuple[str, ...], where: str
) -> dict[str, Any]:
    """``table``, once it is a table holding only ``keys``, each of its type, and every ``required`` one."""
    if not isinstance(table, dict):
        raise ValueError(f"{where}: must be a table, not {_type_name(table)}")
    for key, value in table.items():
        if key not in keys:
            raise ValueError(f"{where}: unknown key {key!r} (known: {', '.join(keys)})")
        if type(value) is not keys[key]:
            raise ValueError(f"{where}.{key}: must be {_TYPE_NAMES[keys[key]]}, not {_type_name(value)}")
    for key in required:
        if key not in table:
            raise ValueError(f"{where}: {key!r} is missing")
    return table


def _type_name(value: object) -> str:
    return f"{_TYPE_NAMES.get(type(value), type(value).__name__)} ({value!r})"


def _signals(table: object, where: str) -> tuple[tuple[str, str], ...]:
    signals = []
    for index, item in enumerate(_table(table, _DISCOUNT_KEYS, required=("when",), where=where)["when"]):
        at = f"{where}.when[{index}]"
        signal = _table(item, _SIGNAL_KEYS, required=tuple(_SIGNAL_KEYS), where=at)
        if signal["value"] != signal["value"].lower():
            raise ValueError(f"{at}.value: must be lower case (spans' values are compared lower-cased)")
        signals.append((signal["attribute"], signal["value"]))
    if not signals:
        raise ValueError(f"{where}.when: names no attribute")
    return tuple(signals)


def _provider(name: str, table: object, discounts: Mapping[str, object]) -> Provider:
    where = f"providers.{name}"
    if not name or name != name.lower():
        raise ValueError(f"{where}: provider names are lower case, as spans carry them")
    fields = _table(table, _PROVIDER_KEYS, required=("prices_id",), where=where)
    if not fields["prices_id"]:
        raise ValueError(f"{where}.prices_id: must not be empty")
    stated = [key for key in _COUNTING_KEYS if key in fields]
    if len(stated) == 1:
        raise ValueError(f"{where}: {stated[0]!r} without its pair; state both counting rules or neither")
    counting = Counting(fields["cache_in_input"], fields["reasoning_in_output"]) if stated else None
    shares = {}
    for discount, share in fields.get("discounts", {}).items():
        if discount not in discounts:
            raise ValueError(
                f"{where}.discounts.{discount}: no such discount (known: {', '.join(discounts)})"
            )
        shares[discount] = _share(share, f"{where}.discounts.{discount}")
    return Provider(fields["prices_id"], counting, MappingProxyType(shares))


def _share(text: object, where: str) -> Decimal:
    if type(text) is not str:
        raise ValueError(f"{where}: must be a decimal number as a string, not {_type_name(text)}")
    try:
        share = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{where}: {text!r} is not a decimal number") from None
    if not (share.is_finite() and 0 < share <= 1):
        raise ValueError(f"{where}: {text!r} is not a share of the list price (more than 0, at most 1)")
    return share


#: The shipped facts, checked at import.
FACTS = load(Path(__file__).with_name("providers.toml"))

#: OTel ``gen_ai.provider.name`` -> genai-prices provider id. A provider missing here is handed to
#: genai-prices as is.
PROVIDER_IDS: Mapping[str, str] = MappingProxyType(
    {name: provider.prices_id for name, provider in FACTS.providers.items()}
)

#: OTel provider name -> how its API counts (:mod:`.billing`).
PROVIDER_COUNTING: Mapping[str, Counting] = MappingProxyType(
    {name: provider.counting for name, provider in FACTS.providers.items() if provider.counting is not None}
)

#: How a span says it was billed below list price: (attribute, lower-case value, discount name), in the
#: file's order; the first a span carries names its billing tier (:mod:`tokentrail.semconv.meaning`).
DISCOUNT_SIGNALS: tuple[tuple[str, str, str], ...] = tuple(
    (attribute, value, discount)
    for discount, signals in FACTS.discounts.items()
    for attribute, value in signals
)

#: Billing tier (a discount's name) -> provider -> the share of the list price such a call pays.
DISCOUNT_SHARES: Mapping[str, Mapping[str, Decimal]] = MappingProxyType(
    {
        discount: MappingProxyType(
            {
                name: provider.discounts[discount]
                for name, provider in FACTS.providers.items()
                if discount in provider.discounts
            }
        )
        for discount in FACTS.discounts
    }
)
