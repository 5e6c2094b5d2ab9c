"""Where a budget stands in its current period (spend so far, the projection to the period's end) and which
alerts that calls for.

Spend is read with the cost reports' own reads (:mod:`tokentrail.store.costs`), so a budget's spend is
the number the costs page shows for the same scope and window: a tag budget counts every span of a trace
carrying the tag. Alert kinds:

- ``threshold``: spend ≥ threshold x amount, one alert per threshold crossed;
- ``projected``: the projection (:func:`tokentrail.budgets.periods.projection`) ≥ amount while the spend
  is still below it; one per period.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from tokentrail.budgets.budget import Budget
from tokentrail.budgets.periods import Period, period_of, projection, rate_window
from tokentrail.store.costs import cost_total, costs
from tokentrail.store.database import Store
from tokentrail.store.sql import CostFilter

__all__ = [
    "PROJECTED",
    "THRESHOLD",
    "AlertDue",
    "BudgetStatus",
    "SpendReader",
    "alert_id",
    "alerts_due",
    "status_of",
]

THRESHOLD = "threshold"
PROJECTED = "projected"


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """A budget's current period, its spend so far and the spend projected at its end (None: too early)."""

    budget: Budget
    period: Period
    spend: Decimal
    projected: Decimal | None

    @property
    def used(self) -> Decimal:
        """The spend as a fraction of the amount."""
        return self.spend / self.budget.amount


@dataclass(frozen=True, slots=True)
class AlertDue:
    """An alert a status calls for: its kind and threshold (1 for a projected one)."""

    id: str
    kind: str
    threshold: Decimal


class SpendReader:
    """Spend per scope and window, each distinct read made once: budgets of one scope kind and period
    share it, so a check costs one read per (project, scope kind, window), not one per budget."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._read: dict[tuple[str, str | None, int, int], dict[str, Decimal]] = {}

    def spend(self, budget: Budget, start_ns: int, end_ns: int) -> Decimal:
        group_by = budget.scope.group_by
        key = (budget.project, group_by, start_ns, end_ns)
        if key not in self._read:
            where = CostFilter(start_ns=start_ns, end_ns=end_ns)
            self._read[key] = (
                {"": cost_total(self.store, budget.project, where)}
                if group_by is None
                else {row["key"]: row["cost"] for row in costs(self.store, budget.project, group_by, where)}
            )
        return Decimal(self._read[key].get(budget.scope_value, 0))


def status_of(reader: SpendReader, budget: Budget, now_ns: int, rate_window_ns: int) -> BudgetStatus:
    """Where ``budget`` stands at ``now_ns``: the spans that started in its period so far count."""
    period = period_of(budget.period, now_ns)
    spend = reader.spend(budget, period.start_ns, period.end_ns)
    start, end = rate_window(period, now_ns, rate_window_ns)
    recent = reader.spend(budget, start, end) if end > start else Decimal(0)
    return BudgetStatus(budget, period, spend, projection(spend, recent, period, now_ns, rate_window_ns))


def alert_id(budget_id: str, period_start_ns: int, kind: str, threshold: Decimal) -> str:
    """The same id wherever and however often the same crossing is found."""
    text = f"{budget_id}|{period_start_ns}|{kind}|{threshold.normalize()}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def alerts_due(status: BudgetStatus) -> list[AlertDue]:
    """Every alert the status calls for in its period (those fired already included: ids tell)."""
    budget = status.budget
    due = [
        AlertDue(alert_id(budget.id, status.period.start_ns, THRESHOLD, t), THRESHOLD, t)
        for t in budget.thresholds
        if status.spend >= t * budget.amount
    ]
    if status.projected is not None and status.projected >= budget.amount > status.spend:
        one = Decimal(1)
        due.append(AlertDue(alert_id(budget.id, status.period.start_ns, PROJECTED, one), PROJECTED, one))
    return due
