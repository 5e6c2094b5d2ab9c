"""A budget's periods and the projection of its spend: pure functions of times in Unix nanoseconds (UTC).

A ``day`` budget covers one UTC calendar day, a ``month`` budget one UTC calendar month, whenever the
budget was created: one made at noon on the 15th counts the whole month's spend, from the 1st.

The projection to the period's end is the spend so far plus the recent rate times the time left:

    projected = spend + rate * (period end - now)
    rate      = spend in [max(period start, now - rate window), now) / that window's length

so a burst in the last hours weighs more than a quiet start of the month. Before ``MIN_OBSERVED_NS`` of the
period has passed there is no projection (None): a single call in the first minute of a month would
otherwise project to a fortune.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext

__all__ = [
    "MIN_OBSERVED_NS",
    "PERIODS",
    "Period",
    "period_of",
    "previous_period",
    "projection",
    "rate_window",
]

_PLACES = Decimal(1).scaleb(-18)
#: The least of a period that must have passed before its spend is projected.
MIN_OBSERVED_NS = 3600 * 10**9


def _day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _month_start(moment: datetime) -> datetime:
    return _day_start(moment).replace(day=1)


def _next_day(start: datetime) -> datetime:
    return start + timedelta(days=1)


def _next_month(start: datetime) -> datetime:
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


#: Period name -> (the start of the period holding a moment, the start of the next one).
PERIODS: dict[str, tuple[Callable[[datetime], datetime], Callable[[datetime], datetime]]] = {
    "day": (_day_start, _next_day),
    "month": (_month_start, _next_month),
}


@dataclass(frozen=True, slots=True)
class Period:
    """``[start_ns, end_ns)``: one day or month of a budget."""

    start_ns: int
    end_ns: int

    @property
    def length_ns(self) -> int:
        return self.end_ns - self.start_ns


def _moment(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // 10**9, UTC)


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 10**9


def period_of(period: str, at_ns: int) -> Period:
    """The ``day`` or ``month`` (UTC) holding ``at_ns``."""
    start_of, next_start = PERIODS[period]
    start = start_of(_moment(at_ns))
    return Period(_ns(start), _ns(next_start(start)))


def previous_period(period: str, current: Period) -> Period:
    """The period just before ``current``."""
    return period_of(period, current.start_ns - 1)


def rate_window(current: Period, now_ns: int, window_ns: int) -> tuple[int, int]:
    """``[start, now)``: the recent stretch of the period the spending rate is measured over."""
    return max(current.start_ns, now_ns - window_ns), now_ns


def projection(
    spend: Decimal, recent: Decimal, current: Period, now_ns: int, window_ns: int
) -> Decimal | None:
    """Spend at the period's end if ``recent`` (the spend over :func:`rate_window`) goes on at the same
    rate; None while less than :data:`MIN_OBSERVED_NS` of the period has passed."""
    now_ns = min(now_ns, current.end_ns)
    start, end = rate_window(current, now_ns, window_ns)
    if now_ns - current.start_ns < MIN_OBSERVED_NS or end <= start:
        return None
    remaining = current.end_ns - now_ns
    with localcontext(prec=60):  # exact enough for the store's Decimal(38, 18), then cut to it
        return (spend + recent * Decimal(remaining) / Decimal(end - start)).quantize(_PLACES)
