"""Exact sums of money in Python.

The default decimal context keeps 28 significant digits, so adding two amounts the store holds
(``Decimal(38, 18)``: 20 digits before the point and 18 after) can round without a word. Every sum of
money is made in :func:`exact` instead, whose precision holds any sum of any number of stored amounts
(and of the ``Decimal(76, 18)`` sums ClickHouse returns).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from decimal import Context, Decimal, localcontext

__all__ = ["PRECISION", "exact", "sum_money"]

#: Significant digits of a sum: more than the 76 of ClickHouse's ``Decimal(76, 18)`` sums.
PRECISION = 80


def exact() -> AbstractContextManager[Context]:
    """A decimal context (for a ``with`` block) in which adding amounts of money never rounds."""
    return localcontext(prec=PRECISION)


def sum_money(amounts: Iterable[Decimal]) -> Decimal:
    """The exact sum of ``amounts`` (0 for none)."""
    with exact():
        return sum(amounts, Decimal(0))
