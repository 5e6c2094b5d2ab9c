"""A budget is checked once, wherever it is made: its scope, period, amount, thresholds and webhook URL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tokentrail.budgets.budget import Budget, new_budget, with_secret
from tokentrail.errors import BadRequest


def make(**fields):
    base = {"name": "b", "scope_kind": "project", "scope_value": "", "period": "month", "amount": Decimal(10)}
    return new_budget("p", **{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scope_kind": "team", "scope_value": "x"}, "scope must be one of project, tag, user, service"),
        ({"scope_kind": "tag"}, "needs one"),
        ({"scope_value": "ana"}, "a project budget has no scope value"),
        ({"period": "week"}, "period must be one of day, month"),
        ({"amount": Decimal(-1)}, "amount must be a positive number"),
        ({"amount": Decimal(0)}, "amount must be a positive number"),
        ({"thresholds": (Decimal(80),)}, "thresholds are fractions"),
        ({"thresholds": ()}, "thresholds are fractions"),
        ({"webhook_url": "ftp://example.com/hook"}, "webhook_url must be an http\\(s\\) URL"),
        ({"webhook_url": "not a url"}, "webhook_url must be an http\\(s\\) URL"),
    ],
)
def test_a_bad_field_is_refused_by_name(fields, message):
    with pytest.raises(BadRequest, match=message):
        make(**fields)


def test_thresholds_are_kept_sorted_once_each():
    assert make(thresholds=(Decimal(1), Decimal("0.5"), Decimal(1))).thresholds == (
        Decimal("0.5"),
        Decimal(1),
    )


def test_a_budget_reads_back_from_its_row_as_it_was():
    budget = make(
        scope_kind="user", scope_value="ana", webhook_url="https://hooks.example.com/x", webhook_secret="s"
    )
    assert Budget.from_row(budget.row()) == budget


def test_a_webhook_without_a_secret_gets_one_made_once():
    budget, secret = with_secret(make(webhook_url="https://hooks.example.com/x"))
    assert secret and budget.webhook_secret == secret
    assert with_secret(budget) == (budget, None)  # kept, never made (or shown) again
    no_webhook = make()
    assert with_secret(no_webhook) == (no_webhook, None)
