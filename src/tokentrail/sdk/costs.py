"""Stated costs: what a step cost in money, on its span as ``tokentrail.cost.usd`` (exact decimal text).

The server reads it as the span's custom cost (docs/conventions.md, "Custom costs"), so a tool's fee
counts in its trace's and session's totals beside the priced LLM calls.
"""

from __future__ import annotations

import threading
from decimal import Decimal, InvalidOperation

from opentelemetry import trace as trace_api

from tokentrail.sdk.attributes import COST, COST_DESCRIPTION, COST_EVENT

__all__ = ["Amount", "as_decimal", "record_cost"]

Amount = Decimal | str | int | float

# Two threads adding to one span's cost at once must not lose an amount.
_LOCK = threading.Lock()


def as_decimal(amount: Amount) -> Decimal:
    """``amount`` in USD as an exact decimal (a float through its shortest repr, so ``0.1`` stays
    ``0.1``); ValueError unless it is a finite, non-negative number."""
    if isinstance(amount, bool):
        raise ValueError(f"a cost must be a number, not {amount!r}")
    try:
        value = Decimal(repr(amount)) if isinstance(amount, float) else Decimal(amount)
    except (InvalidOperation, TypeError):
        raise ValueError(f"a cost must be a number, not {amount!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"a cost must be finite and not negative, not {amount!r}")
    return value


def record_cost(
    amount: Amount, description: str | None = None, *, span: trace_api.Span | None = None
) -> None:
    """Add ``amount`` (USD) to the cost the current span (or ``span``) states; several calls add up. Each is
    also a ``tokentrail.cost`` event on the span, with its description."""
    value = as_decimal(amount)
    target = span or trace_api.get_current_span()
    if not target.is_recording():
        return
    with _LOCK:
        stated = (getattr(target, "attributes", None) or {}).get(COST)
        total = value + (as_decimal(str(stated)) if stated is not None else 0)
        target.set_attribute(COST, format(total, "f"))
    event = {COST: format(value, "f")}
    if description:
        event[COST_DESCRIPTION] = description
    target.add_event(COST_EVENT, event)
