"""Hosted tracing offers: the shipped table is dated and sourced, and bills follow its tiers exactly
(expectations worked out by hand from the sourced prices)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from tokentrail.estimate.offers import OFFERS, OfferFileError, load, monthly_bill


def _offer(vendor, plan):
    return next(offer for offer in OFFERS if offer.vendor == vendor and offer.plan.startswith(plan))


def _bill(vendor, plan, traces_per_day, spans_per_trace):
    return monthly_bill(_offer(vendor, plan), Decimal(traces_per_day), Decimal(spans_per_trace)).amount


# (vendor, plan, traces a day, spans a trace, the month's bill): a month is 30 days.
CASES = [
    # 3,000 traces, inside the 10k included: the seat alone.
    ("LangSmith", "Plus (1 seat, 14-day", 100, 12, Decimal("39")),
    # 30,000 traces: 20,000 beyond the 10k at $0.50 per 1k = $10.
    ("LangSmith", "Plus (1 seat, 14-day", 1000, 12, Decimal("49")),
    # 30,000 traces, 25,000 beyond the Developer plan's 5k = $12.50.
    ("LangSmith", "Developer", 1000, 3, Decimal("12.5")),
    # 30,000 extended traces: 10k upgrades at $4.50 per 1k, 20k at $5.00 per 1k, and the seat.
    ("LangSmith", "Plus (1 seat, 400-day", 1000, 12, Decimal("184")),
    # 30,000 traces and 360,000 spans = 390,000 units: 290,000 beyond 100k at $8 per 100k = $23.20.
    ("Langfuse Cloud", "Core", 1000, 12, Decimal("52.2")),
    ("Langfuse Cloud", "Pro", 1000, 12, Decimal("222.2")),
    # 600,000 traces of 19 spans = 12M units: 900k at $8, 9M at $7, 2M at $6.50 per 100k.
    ("Langfuse Cloud", "Core", 20_000, 19, Decimal(29 + 72 + 630 + 130)),
    # 3,000 traces of 10 spans = 33,000 units: inside Hobby's 50k.
    ("Langfuse Cloud", "Hobby", 100, 10, Decimal("0")),
]


@pytest.mark.parametrize(("vendor", "plan", "traces_per_day", "spans_per_trace", "expected"), CASES)
def test_a_months_bill_follows_the_offers_graduated_tiers(
    vendor, plan, traces_per_day, spans_per_trace, expected
):
    assert _bill(vendor, plan, traces_per_day, spans_per_trace) == expected


def test_a_fractional_rate_bills_pro_rata():
    # 333.3 traces a day = 9,999 traces a month, within the 10k included.
    assert _bill("LangSmith", "Plus (1 seat, 14-day", "333.3", "1.5") == Decimal("39")
    # 400.01 traces a day = 12,000.3 traces: 2,000.3 beyond at $0.0005 a trace.
    assert _bill("LangSmith", "Plus (1 seat, 14-day", "400.01", "1") == Decimal("40.00015")


def test_a_plan_over_its_limit_has_no_bill():
    bill = monthly_bill(_offer("Langfuse Cloud", "Hobby"), Decimal(1000), Decimal(12))
    assert bill.units == 390_000 and bill.amount is None


def test_every_shipped_offer_is_dated_and_sourced():
    assert OFFERS
    for offer in OFFERS:
        assert isinstance(offer.as_of, datetime.date)
        assert offer.source and all(url.startswith("https://") for url in offer.source)
        assert offer.how


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ('unit = "span"', "unit"),
        ('unit = "trace"\nprice = "1"', "unknown keys ['price']"),
        ('unit = "trace"\nmonthly_fee = "-1"', "monthly_fee"),
        ('unit = "trace"\ntiers = [{ from = 10, to = 5, price = "1", per = 1 }]', "tiers[0]"),
    ],
)
def test_an_offers_file_that_breaks_the_schema_is_refused_naming_the_key(tmp_path, entry, named):
    lines = {
        "vendor": '"V"',
        "plan": '"P"',
        "as_of": "2026-12-05",
        "source": '["https://example.com"]',
        "monthly_fee": '"1"',
        "tiers": "[]",
        "how": '"h"',
    }
    for line in entry.splitlines():
        key, value = line.split(" = ", 1)
        lines[key] = value
    path = tmp_path / "offers.toml"
    path.write_text("[[offers]]\n" + "\n".join(f"{key} = {value}" for key, value in lines.items()))
    with pytest.raises(OfferFileError, match=named.replace("[", r"\[").replace("]", r"\]")):
        load(path)
