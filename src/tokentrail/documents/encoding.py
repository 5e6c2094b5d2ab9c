"""How values read in a document: exact money as strings, times in ISO 8601, usage without zeros."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

__all__ = ["iso", "money", "money_map", "tokens", "usage"]


def iso(ns: int) -> str:
    """An ISO 8601 UTC time (microsecond precision) for Unix nanoseconds."""
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat().replace("+00:00", "Z")


def money(value: Decimal | int | None) -> str:
    """A USD amount as a plain decimal string without trailing zeros (``"0.00725"``, ``"0"``)."""
    if value is None:
        return "0"
    # Trailing zeros cut from the text: normalize() would round to the context's precision (28 digits).
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def money_map(values: Mapping[str, Any]) -> dict[str, str]:
    """Amounts by type, sorted by type, the zero ones left out."""
    return {key: money(value) for key, value in sorted(values.items()) if value}


def usage(counts: Mapping[str, int]) -> dict[str, int]:
    """Token counts by type, sorted by type, the zero ones left out."""
    return {key: int(value) for key, value in sorted(counts.items()) if value}


def tokens(counts: Mapping[str, int]) -> int:
    """Input and output tokens together."""
    return int(counts.get("input", 0)) + int(counts.get("output", 0))
