"""Budgets as the API and the pages see them: made, changed and deleted in one project, read with where
each stands now and its alerts (each with its delivery attempts)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from tokentrail.budgets.budget import Budget, new_budget, with_secret
from tokentrail.budgets.evaluate import BudgetStatus, SpendReader, status_of
from tokentrail.errors import BadRequest, NotFound
from tokentrail.store import budgets as stored
from tokentrail.store.database import Store

__all__ = [
    "EDITABLE",
    "alerts_of",
    "create_budget",
    "delete_budget",
    "list_budgets",
    "overview",
    "read_budget",
    "statuses",
    "update_budget",
]

#: The fields a change (PATCH) may set; the scope and period make another budget, so they are not here.
EDITABLE = frozenset({"name", "amount", "thresholds", "webhook_url", "webhook_secret", "enabled"})


def list_budgets(store: Store, project: str) -> list[Budget]:
    return [Budget.from_row(row) for row in stored.budget_rows(store, project)]


def read_budget(store: Store, project: str, budget_id: str) -> Budget:
    rows = stored.budget_rows(store, project, budget_id)
    if not rows:
        raise NotFound(f"no budget {budget_id!r} in project {project!r}")
    return Budget.from_row(rows[0])


def create_budget(store: Store, project: str, fields: dict[str, Any]) -> tuple[Budget, str | None]:
    """The new budget, and its webhook secret if the server made one (see :func:`with_secret`)."""
    budget, secret = with_secret(new_budget(project, **fields))
    stored.save_budget(store, budget.row())
    return budget, secret


def update_budget(
    store: Store, project: str, budget_id: str, changes: dict[str, Any]
) -> tuple[Budget, str | None]:
    """The changed budget, and its webhook secret if the server made one (a webhook added without one)."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise BadRequest(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
    budget, secret = with_secret(replace(read_budget(store, project, budget_id), **changes).checked())
    stored.save_budget(store, budget.row())
    return budget, secret


def delete_budget(store: Store, project: str, budget_id: str) -> Budget:
    """Delete a budget: no more checks or alerts; its pending webhooks are cancelled."""
    budget = read_budget(store, project, budget_id)
    stored.save_budget(store, {**budget.row(), "deleted_ns": time.time_ns()})
    return budget


def statuses(
    store: Store, budgets: list[Budget], rate_window_s: int, now_ns: int | None = None
) -> list[BudgetStatus]:
    """Where each budget stands now."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    reader = SpendReader(store, budgets, now_ns, rate_window_s * 10**9)
    return [status_of(reader, budget) for budget in budgets]


def alerts_of(
    store: Store, project: str, budget_ids: list[str], *, since_ns: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    """The budgets' alerts, the latest first, each with its ``deliveries`` (attempts in order)."""
    if not budget_ids:
        return []
    alerts = stored.alert_rows(store, project, budget_ids, since_ns=since_ns, limit=limit)
    attempts: dict[str, list[dict[str, Any]]] = {}
    for row in stored.delivery_rows(store, project, [alert["id"] for alert in alerts]):
        attempts.setdefault(row["alert_id"], []).append(row)
    return [{**alert, "deliveries": attempts.get(alert["id"], [])} for alert in alerts]


def overview(
    store: Store, project: str, rate_window_s: int
) -> list[tuple[BudgetStatus, list[dict[str, Any]]]]:
    """Every budget of the project with where it stands and the alerts of its current period."""
    current = statuses(store, list_budgets(store, project), rate_window_s)
    since = min((status.period.start_ns for status in current), default=0)
    alerts = alerts_of(store, project, [status.budget.id for status in current], since_ns=since)
    return [
        (
            status,
            [
                alert
                for alert in alerts
                if (alert["budget_id"], alert["period_start_ns"])
                == (status.budget.id, status.period.start_ns)
            ],
        )
        for status in current
    ]
