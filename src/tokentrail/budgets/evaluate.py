"""Where a budget stands in its current period (spend so far, the projection to the period's end) and which
alerts that calls for.

Spend is read as the cost reports count it (:func:`tokentrail.store.costs.costs_in_windows`), so a
budget's spend is the number the costs page shows for the same scope and window: a tag budget counts every
span of a trace carrying the tag. Alert kinds:

- ``threshold``: spend ≥ threshold x amount, one alert per threshold crossed;
- ``projected``: the projection (:func:`tokentrail.budgets.periods.projection`) ≥ amount while the spend
  is still below it; one per period.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from tokentrail.budgets.budget import Budget
from tokentrail.budgets.periods import Period, period_of, projection, rate_window
from tokentrail.store.costs import costs_in_windows
from tokentrail.store.database import Store

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
    """A budget's current period at ``at_ns``, its spend so far and the spend projected at its end (None:
    too early)."""

    budget: Budget
    at_ns: int
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
    """The spend of budgets at one moment: the windows each needs (its period, its rate window) are read
    together, in one pass per (project, scope kind) whatever the number of budgets and windows."""

    def __init__(self, store: Store, budgets: list[Budget], now_ns: int, rate_window_ns: int) -> None:
        self.store = store
        self.now_ns = now_ns
        self.rate_window_ns = rate_window_ns
        self._windows: dict[tuple[str, str | None], set[tuple[int, int]]] = defaultdict(set)
        for budget in budgets:
            period, rate = self.windows(budget)
            self._windows[budget.project, budget.scope.group_by] |= {(period.start_ns, period.end_ns), rate}
        self._read: dict[tuple[str, str | None], dict[tuple[int, int], dict[str, Decimal]]] = {}

    def windows(self, budget: Budget) -> tuple[Period, tuple[int, int]]:
        """The budget's current period, and the window its spending rate is measured over."""
        period = period_of(budget.period, self.now_ns)
        return period, rate_window(period, self.now_ns, self.rate_window_ns)

    def spend(self, budget: Budget, window: tuple[int, int]) -> Decimal:
        """The budget's spend in one of its windows (nothing in an empty one)."""
        if window[1] <= window[0]:
            return Decimal(0)
        key = (budget.project, budget.scope.group_by)
        if key not in self._read:
            windows = sorted(w for w in self._windows[key] if w[1] > w[0])
            amounts = costs_in_windows(self.store, budget.project, budget.scope.group_by, windows)
            self._read[key] = {
                w: {group: values[index] for group, values in amounts.items()}
                for index, w in enumerate(windows)
            }
        return self._read[key][window].get(budget.scope_value, Decimal(0))


def status_of(reader: SpendReader, budget: Budget) -> BudgetStatus:
    """Where ``budget`` stands at the reader's moment: the spans that started in its period so far count."""
    period, rate = reader.windows(budget)
    spend = reader.spend(budget, (period.start_ns, period.end_ns))
    recent = reader.spend(budget, rate)
    projected = projection(spend, recent, period, reader.now_ns, reader.rate_window_ns)
    return BudgetStatus(budget, reader.now_ns, period, spend, projected)


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
