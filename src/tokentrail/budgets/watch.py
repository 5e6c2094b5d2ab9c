"""The server's budget watch: a thread that checks every enabled budget each ``TOKENTRAIL_BUDGET_CHECK_S``
seconds, stores the alerts they call for, and sends the webhooks that are due.

Nothing is kept in memory between checks: budgets, fired alerts and pending deliveries are all in the
store, so any number of servers can watch one store. Each finds the same crossings and writes the same
alert rows (their ids are deterministic; see tokentrail.store.budgets), and each sends pending alerts;
a receiver may see one alert twice (at least once), never not at all while attempts remain.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from tokentrail.budgets.budget import Budget
from tokentrail.budgets.deliveries import WebhookSender
from tokentrail.budgets.evaluate import SpendReader, alerts_due, status_of
from tokentrail.store import budgets as stored
from tokentrail.store.database import Store

__all__ = ["BudgetWatch"]

logger = logging.getLogger(__name__)

#: The longest the thread sleeps without looking for pending deliveries another server may have left.
_IDLE_S = 60.0


class BudgetWatch:
    """Checks budgets and sends their alerts, on a thread of its own from :meth:`start` to :meth:`stop`."""

    def __init__(
        self, store: Store, sender: WebhookSender, *, check_interval_s: float, rate_window_s: float
    ) -> None:
        self.store = store
        self.sender = sender
        self.check_interval_s = check_interval_s
        self.rate_window_ns = int(rate_window_s * 1e9)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tokentrail-budgets", daemon=True)

    def check(self, now_ns: int | None = None) -> list[dict[str, Any]]:
        """Store the alerts every enabled budget calls for at ``now_ns`` that no server stored yet; returns
        them (each ``pending`` when its budget has a webhook, else ``unsent``)."""
        now_ns = time.time_ns() if now_ns is None else now_ns
        budgets = [Budget.from_row(row) for row in stored.budget_rows(self.store)]
        enabled = [budget for budget in budgets if budget.enabled]
        reader = SpendReader(self.store, enabled, now_ns, self.rate_window_ns)
        fired = []
        for budget in enabled:
            fired += self._check_one(reader, budget)
        if fired:
            self._wake.set()
        return fired

    def _check_one(self, reader: SpendReader, budget: Budget) -> list[dict[str, Any]]:
        status = status_of(reader, budget)
        due = alerts_due(status)
        known = stored.known_alerts(self.store, [alert.id for alert in due])
        fired = []
        for alert in (alert for alert in due if alert.id not in known):
            row = {
                "project": budget.project,
                "budget_id": budget.id,
                "id": alert.id,
                "period_start_ns": status.period.start_ns,
                "period_end_ns": status.period.end_ns,
                "kind": alert.kind,
                "threshold": alert.threshold,
                "amount": budget.amount,
                "spend": status.spend,
                "projected": status.projected,
                "fired_ns": time.time_ns(),
                "state": "pending" if budget.webhook_url else "unsent",
                "attempts": 0,
                "next_attempt_ns": 0,
            }
            stored.save_alert(self.store, row, first=True)
            fired.append(row)
        return fired

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(30)
        self.sender.close()

    def _run(self) -> None:
        next_check = time.monotonic()
        while not self._stop.is_set():
            self._wake.clear()  # before the round: an alert fired during it wakes the next at once
            try:
                if self.check_interval_s and time.monotonic() >= next_check:
                    next_check = time.monotonic() + self.check_interval_s
                    self.check()
                next_due = self.sender.send_due()
            except Exception:  # a store that is down now may be back at the next round; say so and go on
                logger.exception("budget check failed")
                next_due = None
            waits = [_IDLE_S, next_check - time.monotonic() if self.check_interval_s else _IDLE_S]
            if next_due is not None:
                waits.append((next_due - time.time_ns()) / 1e9)
            self._wake.wait(max(0.0, min(waits)))
