"""Which alerts a budget's standing calls for: one per threshold crossed, and one when the projection
reaches the amount before the spend does; each with an id that any server computes alike."""

from __future__ import annotations

from decimal import Decimal

from tokentrail.budgets.budget import Budget
from tokentrail.budgets.evaluate import PROJECTED, THRESHOLD, BudgetStatus, alert_id, alerts_due
from tokentrail.budgets.periods import period_of

MAY_2026 = 1_777_593_600 * 10**9

BUDGET = Budget(
    project="p",
    id="b1",
    name="",
    scope_kind="project",
    scope_value="",
    period="month",
    amount=Decimal(10),
    thresholds=(Decimal("0.5"), Decimal("0.8"), Decimal(1)),
)


def due(spend: str, projected: str | None = None) -> list[tuple[str, Decimal]]:
    status = BudgetStatus(
        BUDGET,
        MAY_2026,
        period_of("month", MAY_2026),
        Decimal(spend),
        None if projected is None else Decimal(projected),
    )
    return [(alert.kind, alert.threshold) for alert in alerts_due(status)]


def test_one_alert_per_threshold_reached():
    assert due("4.99") == []
    assert due("5") == [(THRESHOLD, Decimal("0.5"))]
    assert due("12") == [(THRESHOLD, Decimal("0.5")), (THRESHOLD, Decimal("0.8")), (THRESHOLD, Decimal(1))]


def test_a_projection_at_the_amount_alerts_while_the_spend_is_below_it():
    assert due("2", projected="9.99") == []
    assert due("2", projected="10") == [(PROJECTED, Decimal(1))]
    assert (PROJECTED, Decimal(1)) not in due("10", projected="30")  # crossed already: the threshold says so


def test_an_alerts_id_depends_on_budget_period_and_threshold_only():
    start = period_of("month", MAY_2026).start_ns
    assert alert_id("b1", start, THRESHOLD, Decimal("0.50")) == alert_id(
        "b1", start, THRESHOLD, Decimal("0.5")
    )
    others = {
        alert_id("b2", start, THRESHOLD, Decimal("0.5")),
        alert_id("b1", start + 1, THRESHOLD, Decimal("0.5")),
        alert_id("b1", start, THRESHOLD, Decimal("0.8")),
        alert_id("b1", start, PROJECTED, Decimal("0.5")),
    }
    assert len(others) == 4 and alert_id("b1", start, THRESHOLD, Decimal("0.5")) not in others
