"""How amounts and spans read for people, shared by the command line and the web UI."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tokentrail.model import FAILED_CALL

__all__ = ["duration", "percent_change", "signed_usd", "span_label", "tokens", "usd"]


def usd(amount: str | Decimal) -> str:
    """``$1.2345`` from a dollar, ``$0.004200`` below, tiny embedding costs still visible."""
    value = Decimal(amount)
    if value >= 1:
        return f"${value:,.4f}"
    if 0 < value < Decimal("0.000001"):
        return "$" + format(value, ".12f").rstrip("0")
    return f"${value:.6f}"


def signed_usd(amount: str | Decimal) -> str:
    """A change of cost: ``+$0.004200`` or ``-$1.0000``."""
    value = Decimal(amount)
    return ("-" if value < 0 else "+") + usd(abs(value))


def percent_change(ratio: str | Decimal) -> str:
    """``+40.0%`` from a change as a ratio of the old amount (``0.4``)."""
    return f"{Decimal(ratio):+.1%}"


def duration(ns: int) -> str:
    """``12 ms`` below ten seconds, ``12.3 s`` above."""
    ms = ns / 1e6
    if ms < 1:
        return f"{ms:.2f} ms"
    return f"{ms:.0f} ms" if ms < 10_000 else f"{ms / 1000:.1f} s"


def tokens(count: int) -> str:
    """``1,234`` tokens; ``1.2M`` from a million."""
    return f"{count / 1_000_000:.1f}M" if count >= 1_000_000 else f"{count:,}"


def span_label(span: dict[str, Any]) -> str:
    """One span of ``GET /api/v1/traces/{id}`` as a line of the command line's tree (rich markup)."""
    parts = [f"[bold]{span['name']}[/]", f"[dim]{span['kind']}[/]", duration(span["duration_ns"])]
    if span["response_model"] or span["request_model"]:
        parts.append(f"[cyan]{span['response_model'] or span['request_model']}[/]")
    if span["usage"]:
        parts.append(f"{span['usage'].get('input', 0):,}→{span['usage'].get('output', 0):,} tok")
    cost = span["cost"]
    if cost["unpriced_reason"]:
        parts.append(f"[yellow]unpriced: {cost['unpriced_reason']}[/]")
    elif cost["price_source"] == FAILED_CALL:
        parts.append("[dim]failed, no billed usage[/]")
    elif Decimal(cost["total"]):
        parts.append(f"self {usd(cost['total'])} ({cost['origin']})")
    if span["child_span_ids"] and Decimal(span["subtree_cost"]["total"]):
        parts.append(f"subtree [bold]{usd(span['subtree_cost']['total'])}[/]")
    if span["error"]:
        parts.append(f"[red]✗ {span['error']['type'] or 'error'}: {span['error']['message'][:80]}[/]")
    if span["broken_link"]:
        parts.append(f"[yellow]({span['broken_link']})[/]")
    return "  ".join(parts)
