"""Budgets, where they stand, and their alerts as documents (the API's JSON, and what the budgets page
shows). A webhook secret is never in them: only whether one is set."""

from __future__ import annotations

from typing import Any

from tokentrail.budgets.budget import Budget
from tokentrail.budgets.evaluate import BudgetStatus
from tokentrail.budgets.webhook import links
from tokentrail.documents.encoding import iso, money

__all__ = ["alert_json", "budget_json", "overview_json", "status_json"]


def budget_json(budget: Budget) -> dict[str, Any]:
    return {
        "id": budget.id,
        "project": budget.project,
        "name": budget.name,
        "scope": {"kind": budget.scope_kind, "value": budget.scope_value},
        "period": budget.period,
        "amount": money(budget.amount),
        "thresholds": [money(t) for t in budget.thresholds],
        "webhook_url": budget.webhook_url or None,
        "webhook_secret_set": bool(budget.webhook_secret),
        "enabled": budget.enabled,
        "created_at": iso(budget.created_ns),
    }


def status_json(status: BudgetStatus, base_url: str) -> dict[str, Any]:
    """Where a budget stands in its current period, with links to explain and see its spend."""
    projected = status.projected
    return {
        "period": {"start": iso(status.period.start_ns), "end": iso(status.period.end_ns)},
        "spend": money(status.spend),
        "used": money(round(status.used, 4)),
        "projected": None if projected is None else money(projected),
        "over": status.spend >= status.budget.amount,
        "projected_over": projected is not None and projected >= status.budget.amount,
        "links": links(base_url, status.budget, status.period, status.at_ns),
    }


def alert_json(alert: dict[str, Any]) -> dict[str, Any]:
    """One alert and its delivery attempts."""
    return {
        "id": alert["id"],
        "budget_id": alert["budget_id"],
        "kind": alert["kind"],
        "threshold": money(alert["threshold"]),
        "period": {"start": iso(alert["period_start_ns"]), "end": iso(alert["period_end_ns"])},
        "amount": money(alert["amount"]),
        "spend": money(alert["spend"]),
        "projected": None if alert["projected"] is None else money(alert["projected"]),
        "fired_at": iso(alert["fired_ns"]),
        "state": alert["state"],
        "attempts": int(alert["attempts"]),
        "deliveries": [
            {
                "attempt": int(row["attempt"]),
                "at": iso(row["at_ns"]),
                "status_code": int(row["status_code"]) or None,
                "error": row["error"] or None,
                "next_retry_at": iso(row["next_retry_ns"]) if row["next_retry_ns"] else None,
            }
            for row in alert.get("deliveries", [])
        ],
    }


def overview_json(
    overview: list[tuple[BudgetStatus, list[dict[str, Any]]]], base_url: str
) -> list[dict[str, Any]]:
    """Each budget with where it stands (``status``) and its current period's ``alerts``."""
    return [
        {
            **budget_json(status.budget),
            "status": status_json(status, base_url),
            "alerts": [alert_json(a) for a in alerts],
        }
        for status, alerts in overview
    ]
