"""JSON for API responses: exact decimals as strings, never floats."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastapi.responses import JSONResponse

__all__ = ["ExactJSONResponse", "money", "money_map"]


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
    return {key: money(value) for key, value in sorted(values.items()) if value}


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


class ExactJSONResponse(JSONResponse):
    """A JSON response that writes Decimal values as exact strings."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=_default, ensure_ascii=False, separators=(",", ":")).encode()
