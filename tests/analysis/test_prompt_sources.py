"""Splitting a call's prompt cost between its parts: exact, whatever the amount."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tokentrail.analysis.prompt_sources import split_money
from tokentrail.money import exact, sum_money

#: What the store holds: Decimal(38, 18), up to 20 digits before the point.
AMOUNTS = st.decimals(min_value=0, max_value=Decimal("99999999999999999999.999999999999999999"), places=18)


@given(amount=AMOUNTS, weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=8))
def test_the_parts_add_up_to_the_amount_and_each_is_within_a_unit_of_its_share(amount, weights):
    if not any(weights):
        weights[0] = 1
    by_key = dict(enumerate(weights))

    parts = split_money(amount, by_key)

    assert sum_money(parts.values()) == amount
    whole = sum(weights)
    with exact():
        for key, part in parts.items():
            assert abs(part * whole - amount * by_key[key]) < Decimal("1e-18") * whole


def test_nothing_to_share_by_gives_nothing_to_anyone():
    assert split_money(Decimal("0.5"), {"history": 0, "rest": 0}) == {"history": 0, "rest": 0}
