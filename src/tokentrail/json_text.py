"""Payloads kept as text that is usually JSON (span inputs and outputs, dataset items), read back."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["parsed"]


def parsed(text: str | None) -> Any:
    """JSON text as its value ("" and None as None; text that is not JSON as itself)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
