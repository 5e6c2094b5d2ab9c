"""A budget: how much one project, tag, user or service may spend per UTC day or month, the fractions of
it that raise an alert, and the webhook the alerts are sent to.

Every field is checked here, once, whoever makes the budget (the API, the CLI through it): a bad value is a
:class:`~tokentrail.errors.BadRequest` naming it.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from tokentrail.budgets.periods import PERIODS
from tokentrail.errors import BadRequest
from tokentrail.limits import MAX_STORABLE_COST

__all__ = ["DEFAULT_THRESHOLDS", "SCOPES", "Budget", "Scope", "new_budget", "with_secret"]


@dataclass(frozen=True, slots=True)
class Scope:
    """What a budget's spend counts: the cost grouping (``store.costs.COST_GROUPS``) whose group is the
    scope's value, or None for the whole project; and the filter the cost explainer takes for it."""

    group_by: str | None
    explain_filter: str | None


#: Scope kind -> how its spend is read and linked.
SCOPES: dict[str, Scope] = {
    "project": Scope(None, None),
    "tag": Scope("tag", "tag"),
    "user": Scope("user", "user"),
    "service": Scope("service", "service"),
}
DEFAULT_THRESHOLDS = (Decimal("0.5"), Decimal("0.8"), Decimal("1"))
#: A threshold above this many times the amount would never be useful (and is probably a typo for a %).
_MAX_THRESHOLD = Decimal(10)
_WEBHOOK_SCHEMES = ("http", "https")


@dataclass(frozen=True, slots=True)
class Budget:
    """One budget of one project (see the module's docstring)."""

    project: str
    id: str
    name: str
    scope_kind: str
    scope_value: str
    period: str
    amount: Decimal
    thresholds: tuple[Decimal, ...] = DEFAULT_THRESHOLDS
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    enabled: bool = True
    created_ns: int = 0

    @property
    def scope(self) -> Scope:
        return SCOPES[self.scope_kind]

    def checked(self) -> Budget:
        """This budget if every field is valid, its thresholds sorted; else BadRequest."""
        if self.scope_kind not in SCOPES:
            raise BadRequest(f"scope must be one of {', '.join(SCOPES)}, got {self.scope_kind!r}")
        if (self.scope_kind == "project") != (self.scope_value == ""):
            raise BadRequest("a project budget has no scope value; a tag, user or service budget needs one")
        if self.period not in PERIODS:
            raise BadRequest(f"period must be one of {', '.join(PERIODS)}, got {self.period!r}")
        if not self.amount.is_finite() or not 0 < self.amount <= MAX_STORABLE_COST:
            raise BadRequest(f"amount must be a positive number of USD, got {self.amount}")
        if not self.thresholds or any(not 0 < t <= _MAX_THRESHOLD for t in self.thresholds):
            raise BadRequest(
                f"thresholds are fractions of the amount, each above 0 and at most {_MAX_THRESHOLD}"
            )
        if self.webhook_url:
            parts = urlsplit(self.webhook_url)
            if parts.scheme not in _WEBHOOK_SCHEMES or not parts.hostname:
                raise BadRequest(f"webhook_url must be an http(s) URL, got {self.webhook_url!r}")
        return replace(self, thresholds=tuple(sorted(set(self.thresholds))))

    def row(self) -> dict[str, Any]:
        """The budget as a row of the ``budgets`` table."""
        return {
            "project": self.project,
            "id": self.id,
            "name": self.name,
            "scope_kind": self.scope_kind,
            "scope_value": self.scope_value,
            "period": self.period,
            "amount": self.amount,
            "thresholds": list(self.thresholds),
            "webhook_url": self.webhook_url,
            "webhook_secret": self.webhook_secret,
            "enabled": int(self.enabled),
            "created_ns": self.created_ns,
            "deleted_ns": 0,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Budget:
        return cls(
            project=row["project"],
            id=row["id"],
            name=row["name"],
            scope_kind=row["scope_kind"],
            scope_value=row["scope_value"],
            period=row["period"],
            amount=Decimal(row["amount"]),
            thresholds=tuple(Decimal(t) for t in row["thresholds"]),
            webhook_url=row["webhook_url"],
            webhook_secret=row["webhook_secret"],
            enabled=bool(row["enabled"]),
            created_ns=int(row["created_ns"]),
        )


def new_budget(project: str, **fields: Any) -> Budget:
    """A checked new budget with a fresh id."""
    return Budget(project=project, id=uuid.uuid4().hex[:16], created_ns=time.time_ns(), **fields).checked()


def with_secret(budget: Budget) -> tuple[Budget, str | None]:
    """The budget with a webhook secret when it has a webhook, and the secret if it was made just now (to
    be shown once: the API never shows a stored one)."""
    if not budget.webhook_url or budget.webhook_secret:
        return budget, None
    secret = secrets.token_urlsafe(32)
    return replace(budget, webhook_secret=secret), secret
