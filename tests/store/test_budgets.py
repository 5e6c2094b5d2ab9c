"""Stored budgets and alerts: a change is a new row version; two servers writing the same alert's first
version leave one alert, and a later state (sent, failed) wins over a first version whenever it lands."""

from __future__ import annotations

from decimal import Decimal

from tokentrail.budgets.budget import new_budget
from tokentrail.store import budgets as stored


def alert(state: str = "pending", **fields) -> dict:
    row = {
        "project": "p",
        "budget_id": "b1",
        "id": "a1",
        "period_start_ns": 0,
        "period_end_ns": 86_400 * 10**9,
        "kind": "threshold",
        "threshold": Decimal("0.5"),
        "amount": Decimal(10),
        "spend": Decimal(5),
        "projected": None,
        "fired_ns": 1,
        "state": state,
        "attempts": 0,
        "next_attempt_ns": 0,
    }
    return {**row, **fields}


def test_a_budget_reads_back_changed_and_is_gone_once_deleted(store):
    budget = new_budget(
        "p", name="a", scope_kind="user", scope_value="ana", period="day", amount=Decimal("2.5")
    )
    stored.save_budget(store, budget.row())
    stored.save_budget(store, {**budget.row(), "name": "renamed"})
    (row,) = stored.budget_rows(store, "p")
    assert (row["name"], row["amount"], row["scope_value"]) == ("renamed", Decimal("2.5"), "ana")
    assert stored.budget_rows(store, "q") == [] and stored.budget_rows(store, "p", "other") == []
    stored.save_budget(store, {**budget.row(), "deleted_ns": 5})
    assert stored.budget_rows(store) == []


def test_racing_first_versions_are_one_alert_and_a_later_state_wins_over_a_late_first_version(store):
    stored.save_alert(store, alert(fired_ns=1), first=True)  # server A
    stored.save_alert(store, alert(fired_ns=2), first=True)  # server B, at once
    assert [row["id"] for row in stored.pending_alerts(store)] == ["a1"]
    stored.save_alert(store, alert("delivered", attempts=1))  # A sent it
    stored.save_alert(store, alert(fired_ns=3), first=True)  # B's first version, landing late
    assert stored.pending_alerts(store) == []
    assert [row["state"] for row in stored.alert_rows(store, "p", ["b1"])] == ["delivered"]
    assert stored.known_alerts(store, ["a1", "a2"]) == {"a1"}


def test_deliveries_read_back_in_attempt_order_in_their_project_only(store):
    for attempt, status in ((2, 200), (1, 503)):
        stored.save_delivery(
            store,
            {"project": "p", "budget_id": "b1", "alert_id": "a1", "attempt": attempt, "at_ns": attempt,
             "status_code": status, "error": "", "next_retry_ns": 0},
        )  # fmt: skip
    assert [row["status_code"] for row in stored.delivery_rows(store, "p", ["a1"])] == [503, 200]
    assert stored.delivery_rows(store, "q", ["a1"]) == []
