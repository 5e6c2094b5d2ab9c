"""A budget's periods are UTC calendar days and months whenever it was made, and its projection carries
the recent rate of spend to the period's end (none in a period's first hour)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokentrail.budgets.periods import MIN_OBSERVED_NS, Period, period_of, previous_period, projection

HOUR = 3600 * 10**9


def ns(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp()) * 10**9


@pytest.mark.parametrize(
    ("period", "moment", "start", "end"),
    [
        ("day", ns(2026, 3, 14, 15, 9, 26), ns(2026, 3, 14), ns(2026, 3, 15)),
        ("day", ns(2026, 12, 31, 23, 59, 59), ns(2026, 12, 31), ns(2027, 1, 1)),
        ("day", ns(2028, 2, 28, 12), ns(2028, 2, 28), ns(2028, 2, 29)),  # a leap year's 28th
        ("month", ns(2026, 1, 31, 23, 59, 59), ns(2026, 1, 1), ns(2026, 2, 1)),
        ("month", ns(2026, 2, 10), ns(2026, 2, 1), ns(2026, 3, 1)),  # 28 days
        ("month", ns(2028, 2, 29, 6), ns(2028, 2, 1), ns(2028, 3, 1)),  # 29 days in a leap year
        ("month", ns(2026, 12, 15), ns(2026, 12, 1), ns(2027, 1, 1)),  # into the next year
        ("month", ns(2026, 4, 1), ns(2026, 4, 1), ns(2026, 5, 1)),  # its first instant is in it
    ],
)
def test_a_period_is_the_utc_calendar_day_or_month_holding_a_moment(period, moment, start, end):
    assert period_of(period, moment) == Period(start, end)


def test_the_period_before_a_month_is_the_whole_previous_month():
    assert previous_period("month", period_of("month", ns(2028, 3, 5))) == Period(
        ns(2028, 2, 1), ns(2028, 3, 1)
    )
    assert previous_period("day", period_of("day", ns(2026, 1, 1, 8))) == Period(
        ns(2025, 12, 31), ns(2026, 1, 1)
    )


@given(st.integers(min_value=ns(1971, 1, 1), max_value=ns(2100, 1, 1)), st.sampled_from(["day", "month"]))
def test_every_moment_is_in_its_period_and_periods_tile(moment, period):
    current = period_of(period, moment)
    assert current.start_ns <= moment < current.end_ns
    assert period_of(period, current.end_ns).start_ns == current.end_ns


def test_the_projection_carries_the_recent_rate_to_the_periods_end():
    day = period_of("day", ns(2026, 5, 5))
    now = day.start_ns + 12 * HOUR
    # $6 so far, all of it in the last 6 hours: $1 an hour for the 12 hours left.
    assert projection(Decimal(6), Decimal(6), day, now, 6 * HOUR) == Decimal(18)


def test_a_budget_made_mid_month_projects_from_the_months_own_start():
    """Made on the 20th, a month budget still covers the month from the 1st: its rate window (longer
    than the time since the 1st would allow) is cut at the month's start, not at the budget's creation."""
    month = period_of("month", ns(2026, 4, 20))  # 30 days
    now = month.start_ns + 24 * 10 * HOUR  # the 11th
    assert projection(Decimal(10), Decimal(10), month, now, 30 * 24 * HOUR) == Decimal(30)


def test_no_projection_in_a_periods_first_hour():
    day = period_of("day", ns(2026, 5, 5))
    assert projection(Decimal(1), Decimal(1), day, day.start_ns + MIN_OBSERVED_NS - 1, 6 * HOUR) is None
    assert projection(Decimal(1), Decimal(1), day, day.start_ns + MIN_OBSERVED_NS, 6 * HOUR) == Decimal(24)


def test_at_or_after_the_periods_end_the_projection_is_the_spend():
    day = period_of("day", ns(2026, 5, 5))
    assert projection(Decimal("4.5"), Decimal(1), day, day.end_ns + HOUR, 6 * HOUR) == Decimal("4.5")


def test_a_projection_is_exact_to_the_stores_eighteen_places():
    day = period_of("day", ns(2026, 5, 5))
    projected = projection(Decimal(1), Decimal(1), day, day.start_ns + 7 * HOUR, 3 * HOUR)
    assert projected == Decimal("6.666666666666666667")
