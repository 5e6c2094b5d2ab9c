"""Sending the pending alerts' webhooks, each attempt recorded in ``webhook_deliveries``.

The state lives in the store, not in a server's memory: an alert is ``pending`` with its attempts so far
and when the next is due, so a restarted server (or any other server of the store) takes up where the last
one stopped. An answer is judged as forwarding judges one (:mod:`tokentrail.http_retry`): 2xx delivered;
408, 429, 5xx or no answer tried again after its ``Retry-After`` or a backoff, until ``max_attempts``;
any other 4xx failed for good.

Two servers may both send one pending alert before either records it sent: delivery is at least once,
and the ``X-Tokentrail-Alert-Id`` header lets the receiver drop the repeat.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tokentrail.budgets.budget import Budget
from tokentrail.budgets.webhook import alert_body, headers
from tokentrail.http_retry import is_permanent, retry_delay
from tokentrail.store import budgets as stored
from tokentrail.store.database import Store

__all__ = ["Attempt", "WebhookSender"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST of a webhook: the answer's status (0: none) or the error, and whether it was taken."""

    status_code: int
    error: str
    response: httpx.Response | None

    @property
    def delivered(self) -> bool:
        return self.response is not None and self.response.is_success

    @property
    def permanent(self) -> bool:
        return self.response is not None and not self.delivered and is_permanent(self.response)


class WebhookSender:
    """Sends the alerts that are due; the caller decides when (see tokentrail.budgets.watch)."""

    def __init__(
        self,
        store: Store,
        base_url: str,
        *,
        max_attempts: int,
        max_backoff_s: float = 300.0,
        timeout_s: float = 10.0,
    ) -> None:
        self.store = store
        self.base_url = base_url
        self.max_attempts = max_attempts
        self.max_backoff_s = max_backoff_s
        self._client = httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self._client.close()

    def post(self, budget: Budget, alert: dict[str, Any]) -> Attempt:
        """POST one alert's webhook once."""
        body = alert_body(self.base_url, budget, alert)
        try:
            response = self._client.post(
                budget.webhook_url, content=body, headers=headers(budget, alert["id"], body)
            )
        except httpx.HTTPError as exc:
            return Attempt(0, f"{type(exc).__name__}: {exc}", None)
        error = "" if response.is_success else f"HTTP {response.status_code}: {response.text[:300]}"
        return Attempt(response.status_code, error, response)

    def send_due(self, now_ns: int | None = None) -> int | None:
        """Send every pending alert whose next attempt is due; returns when the next one will be (or None)."""
        now_ns = time.time_ns() if now_ns is None else now_ns
        budgets = {row["id"]: Budget.from_row(row) for row in stored.budget_rows(self.store)}
        next_due: int | None = None
        for alert in stored.pending_alerts(self.store):
            if alert["next_attempt_ns"] > now_ns:
                next_due = min(next_due or alert["next_attempt_ns"], alert["next_attempt_ns"])
                continue
            budget = budgets.get(alert["budget_id"])
            if budget is None or not budget.webhook_url:  # deleted, or its webhook taken away since
                stored.save_alert(self.store, {**alert, "state": "cancelled"})
                continue
            updated = self._attempt(budget, alert)
            if updated["state"] == "pending":
                next_due = min(next_due or updated["next_attempt_ns"], updated["next_attempt_ns"])
        return next_due

    def _attempt(self, budget: Budget, alert: dict[str, Any]) -> dict[str, Any]:
        attempt = self.post(budget, alert)
        number = alert["attempts"] + 1
        at_ns = time.time_ns()
        if attempt.delivered:
            state, next_ns = "delivered", 0
        elif attempt.permanent or number >= self.max_attempts:
            state, next_ns = "failed", 0
            logger.warning("budget %s: alert %s not delivered: %s", budget.id, alert["id"], attempt.error)
        else:
            delay = retry_delay(attempt.response, number - 1, self.max_backoff_s)
            state, next_ns = "pending", at_ns + int(delay * 1e9)
        stored.save_delivery(
            self.store,
            {
                "project": budget.project,
                "budget_id": budget.id,
                "alert_id": alert["id"],
                "attempt": number,
                "at_ns": at_ns,
                "status_code": attempt.status_code,
                "error": attempt.error,
                "next_retry_ns": next_ns,
            },
        )
        updated = {**alert, "state": state, "attempts": number, "next_attempt_ns": next_ns}
        stored.save_alert(self.store, updated)
        return updated
