"""How a setting's text becomes its value: the parsers :data:`tokentrail.config.SETTINGS` uses, each
raising ``ValueError`` with what the value must be."""

from __future__ import annotations

import ipaddress
from decimal import Decimal, InvalidOperation

from tokentrail.limits import Limits

__all__ = [
    "LOOPBACK_NAMES",
    "MAX_RETENTION_DAYS",
    "ConfigError",
    "is_loopback",
    "parse_admin_key",
    "parse_cost_ceiling",
    "parse_entries",
    "parse_mapping",
    "parse_names",
    "parse_non_negative_int",
    "parse_positive_int",
    "parse_retention_days",
    "parse_token_ceiling",
]


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message names the variable and the value."""


def parse_mapping(text: str) -> dict[str, str]:
    """Parse ``"a=b,c=d"`` into ``{"a": "b", "c": "d"}``."""
    result: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"expected key=value, got {item!r}")
        result[key.strip()] = value.strip()
    return result


#: The names of this machine's loopback interface.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` serves this machine only (``localhost`` or a loopback address)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:  # any other name may resolve to an address others reach
        return False


def parse_names(text: str) -> tuple[str, ...]:
    """Parse ``"a.example, b.example"`` into lower-case names; at least one."""
    names = tuple(dict.fromkeys(name.strip().lower() for name in text.split(",") if name.strip()))
    if not names:
        raise ValueError("expected one or more names, comma-separated")
    return names


def parse_non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def parse_positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def parse_entries(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(";") if item.strip())


def parse_admin_key(text: str) -> str:
    if len(text.strip()) < 32:
        raise ValueError("an admin key must be 32 characters or more (e.g. `openssl rand -hex 32`)")
    return text.strip()


#: The longest retention a project can have: 100 years (0 keeps its rows forever).
MAX_RETENTION_DAYS = 36_500


def parse_retention_days(text: str) -> int:
    value = int(text)
    if not 0 <= value <= MAX_RETENTION_DAYS:
        raise ValueError(f"must be 0 (keep forever) to {MAX_RETENTION_DAYS} days")
    return value


def parse_cost_ceiling(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("must be an amount of USD, e.g. 1000000") from None
    return Limits(max_cost_usd=value).max_cost_usd  # which holds it to its bounds


def parse_token_ceiling(text: str) -> int:
    return Limits(max_tokens=int(text)).max_tokens
