"""What a budget alert's webhook says and how it is signed.

The body is JSON (money as exact decimal strings, times in ISO 8601 UTC) built from the stored alert, so
every attempt to send one alert sends the same bytes. Headers:

- ``X-Tokentrail-Signature: sha256=<hex>``: HMAC-SHA256 of the body under the budget's webhook secret;
- ``X-Tokentrail-Alert-Id``: the alert's id, the same on every attempt and from every server, for the
  receiver to drop a repeat (delivery is at least once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from tokentrail.budgets.budget import Budget
from tokentrail.budgets.periods import Period, previous_period
from tokentrail.documents.encoding import iso, money

__all__ = ["ALERT_ID_HEADER", "SIGNATURE_HEADER", "alert_body", "headers", "links", "signature"]

SIGNATURE_HEADER = "X-Tokentrail-Signature"
ALERT_ID_HEADER = "X-Tokentrail-Alert-Id"
_SECOND = 10**9


def links(base_url: str, budget: Budget, period: Period, at_ns: int) -> dict[str, str]:
    """Absolute links for a budget's period as of ``at_ns``: the cost explainer (the period so far against
    the same stretch of the period before, narrowed to the budget's scope), the costs page over the
    period, and the budgets page."""
    base = base_url.rstrip("/")
    until = min(max(at_ns, period.start_ns + _SECOND), period.end_ns)  # never an empty window
    before = previous_period(budget.period, period)
    explain = {
        "start": iso(period.start_ns),
        "end": iso(until),
        "vs_start": iso(before.start_ns),
        "vs_end": iso(min(before.start_ns + until - period.start_ns, before.end_ns)),
    }
    scope = budget.scope.explain_filter
    if scope is not None:
        explain[scope] = budget.scope_value
    costs = {"start": iso(period.start_ns), "end": iso(period.end_ns)}
    project = {"project": budget.project}
    return {
        "explain": f"{base}/explain?{urlencode({**explain, **project})}",
        "costs": f"{base}/costs?{urlencode({**costs, **project})}",
        "budget": f"{base}/budgets?{urlencode(project)}",
    }


def _optional_money(value: Decimal | None) -> str | None:
    return None if value is None else money(value)


def alert_body(base_url: str, budget: Budget, alert: dict[str, Any]) -> bytes:
    """The webhook body of one stored alert (or of a test: an alert row that was never stored)."""
    period = Period(alert["period_start_ns"], alert["period_end_ns"])
    document = {
        "id": alert["id"],
        "kind": alert["kind"],
        "budget": {"id": budget.id, "name": budget.name, "project": budget.project},
        "scope": {"kind": budget.scope_kind, "value": budget.scope_value},
        "period": {"kind": budget.period, "start": iso(period.start_ns), "end": iso(period.end_ns)},
        "amount": money(alert["amount"]),
        "threshold": money(alert["threshold"]),
        "spend": money(alert["spend"]),
        "projected": _optional_money(alert["projected"]),
        "fired_at": iso(alert["fired_ns"]),
        "links": links(base_url, budget, period, alert["fired_ns"]),
    }
    return json.dumps(document, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: what a receiver recomputes over the body it got, with the secret it was given."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers(budget: Budget, alert_id: str, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "tokentrail-budgets",
        SIGNATURE_HEADER: signature(budget.webhook_secret, body),
        ALERT_ID_HEADER: alert_id,
    }
