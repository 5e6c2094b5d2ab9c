"""Budgets, their alerts and the webhook deliveries of each alert (migration 11): one row version per
change, the newest read with ``FINAL``.

An alert's id is a function of its budget, period and threshold, so servers that find the same crossing at
once write the same row. Its first version is written at version 0: whichever server's first version
ClickHouse keeps, any later state (sent, failed) has a real time as its version and wins over it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from tokentrail.store.database import Store

__all__ = [
    "ALERT_COLUMNS",
    "BUDGET_COLUMNS",
    "DELIVERY_COLUMNS",
    "alert_rows",
    "budget_rows",
    "delivery_rows",
    "known_alerts",
    "pending_alerts",
    "save_alert",
    "save_budget",
    "save_delivery",
]

BUDGET_COLUMNS = (
    "project",
    "id",
    "name",
    "scope_kind",
    "scope_value",
    "period",
    "amount",
    "thresholds",
    "webhook_url",
    "webhook_secret",
    "enabled",
    "created_ns",
    "deleted_ns",
)
ALERT_COLUMNS = (
    "project",
    "budget_id",
    "id",
    "period_start_ns",
    "period_end_ns",
    "kind",
    "threshold",
    "amount",
    "spend",
    "projected",
    "fired_ns",
    "state",
    "attempts",
    "next_attempt_ns",
)
DELIVERY_COLUMNS = (
    "project",
    "budget_id",
    "alert_id",
    "attempt",
    "at_ns",
    "status_code",
    "error",
    "next_retry_ns",
)


def budget_rows(
    store: Store, project: str | None = None, budget_id: str | None = None
) -> list[dict[str, Any]]:
    """The budgets not deleted, of one project (or every project), oldest first."""
    conditions, params = _where(project=project, id=budget_id)
    return store.query_dicts(
        f"SELECT {', '.join(BUDGET_COLUMNS)} FROM budgets FINAL WHERE deleted_ns = 0{conditions} "
        "ORDER BY created_ns, id",
        params,
    )


def save_budget(store: Store, row: dict[str, Any]) -> None:
    _insert(store, "budgets", BUDGET_COLUMNS, [row], time.time_ns())


def alert_rows(
    store: Store, project: str, budget_ids: Sequence[str], *, since_ns: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    """The alerts of some budgets for periods starting at or after ``since_ns``, the latest first."""
    return store.query_dicts(
        f"SELECT {', '.join(ALERT_COLUMNS)} FROM budget_alerts FINAL WHERE project = {{project:String}} "
        "AND budget_id IN {budget_ids:Array(String)} AND period_start_ns >= {since_ns:Int64} "
        "ORDER BY fired_ns DESC, id LIMIT {limit:UInt32}",
        {"project": project, "budget_ids": list(budget_ids), "since_ns": since_ns, "limit": limit},
    )


def known_alerts(store: Store, ids: Iterable[str]) -> set[str]:
    """Which of these alert ids are stored already (fired by this server or another)."""
    wanted = list(ids)
    if not wanted:
        return set()
    rows = store.query(
        "SELECT DISTINCT id FROM budget_alerts WHERE id IN {ids:Array(String)}", {"ids": wanted}
    )
    return {row[0] for row in rows}


def pending_alerts(store: Store) -> list[dict[str, Any]]:
    """Every alert still to be sent, in every project, the soonest due first."""
    return store.query_dicts(
        f"SELECT {', '.join(ALERT_COLUMNS)} FROM budget_alerts FINAL WHERE state = 'pending' "
        "ORDER BY next_attempt_ns, id"
    )


def save_alert(store: Store, row: dict[str, Any], *, first: bool = False) -> None:
    """A new version of an alert; ``first``: its first version, which any later version replaces."""
    _insert(store, "budget_alerts", ALERT_COLUMNS, [row], 0 if first else time.time_ns())


def save_delivery(store: Store, row: dict[str, Any]) -> None:
    store.client().insert(
        "webhook_deliveries", [[row[c] for c in DELIVERY_COLUMNS]], column_names=list(DELIVERY_COLUMNS)
    )


def delivery_rows(store: Store, project: str, alert_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The attempts to send these alerts, in order."""
    return store.query_dicts(
        f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM webhook_deliveries FINAL "
        "WHERE project = {project:String} AND alert_id IN {ids:Array(String)} ORDER BY alert_id, attempt",
        {"project": project, "ids": list(alert_ids)},
    )


def _where(**equal: str | None) -> tuple[str, dict[str, Any]]:
    given = {column: value for column, value in equal.items() if value is not None}
    return "".join(f" AND {column} = {{{column}:String}}" for column in given), given


def _insert(
    store: Store, table: str, columns: Sequence[str], rows: list[dict[str, Any]], version: int
) -> None:
    values = [[*(row[column] for column in columns), version] for row in rows]
    store.client().insert(table, values, column_names=[*columns, "updated_ns"])
