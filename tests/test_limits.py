"""The bounds a span's numbers are held to: impossible usage and stated costs are taken off the span,
kept as raw attributes, and leave it unpriced with a reason; what any provider could bill passes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tokentrail.config import ConfigError, Settings
from tokentrail.limits import (
    INVALID_COST_ATTRIBUTE,
    INVALID_USAGE_ATTRIBUTE,
    MAX_STORABLE_COST,
    Limits,
    check_stated_cost,
    check_usage,
)
from tokentrail.model import Span, SpanKind
from tokentrail.pricing import price_span
from tokentrail.pricing.rules import RuleBook, parse_rule


def _span(kind=SpanKind.LLM, **fields):
    span = Span(
        "default", "a" * 32, "b" * 16, "", "call", "svc", 1_767_225_600_000_000_000, 1_767_225_601_000_000_000
    )
    span.kind = kind
    span.provider, span.request_model = "openai", "gpt-4o"
    for name, value in fields.items():
        setattr(span, name, value)
    return span


def test_usage_within_the_ceiling_is_untouched():
    span = _span(usage={"input": 1_000_000_000, "output": 5})

    assert check_usage(span, Limits()) is None
    assert span.usage == {"input": 1_000_000_000, "output": 5}


def test_a_count_over_the_ceiling_takes_the_whole_usage_off_and_keeps_it_raw():
    span = _span(
        usage={"input": 2**63, "output": 5}, usage_source={"input": "attribute", "output": "attribute"}
    )

    warning = check_usage(span, Limits())
    price_span(span)

    assert warning is not None and "input=9223372036854775808" in warning
    assert span.usage == {} and span.usage_source == {}
    assert span.attributes[INVALID_USAGE_ATTRIBUTE] == '{"input":"9223372036854775808","output":"5"}'
    assert (span.unpriced_reason, span.cost) == ("invalid_usage", {})


def test_a_failed_call_with_impossible_usage_is_still_invalid_usage_not_a_failed_call():
    span = _span(usage={"input": 10**30}, status="error")

    check_usage(span, Limits())
    price_span(span)

    assert span.unpriced_reason == "invalid_usage"


def test_a_stated_cost_over_the_ceiling_is_dropped_and_an_llm_call_priced_from_usage():
    span = _span(usage={"input": 1_000_000}, reported_cost={"total": Decimal("1e20")})

    warning = check_stated_cost(span, Limits())
    price_span(span)

    assert warning is not None and "TOKENTRAIL_MAX_SPAN_COST_USD" in warning
    assert span.attributes[INVALID_COST_ATTRIBUTE] == '{"total":"1E+20"}'
    assert (span.cost_origin, span.cost) == ("inferred", {"input": Decimal("2.5")})


@pytest.mark.parametrize(
    "stated",
    [
        {"tool": Decimal("1000000.01")},
        {"input": Decimal("600000"), "output": Decimal("600000")},  # each under, together over
        {"total": Decimal("9e999999")},
    ],
)
def test_a_tool_stating_more_than_the_ceiling_is_unpriced_invalid_cost(stated):
    span = _span(kind=SpanKind.TOOL, reported_cost=stated)

    assert check_stated_cost(span, Limits()) is not None
    price_span(span)

    assert (span.unpriced_reason, span.cost) == ("invalid_cost", {})


def test_a_stated_cost_at_the_ceiling_stands():
    span = _span(kind=SpanKind.TOOL, reported_cost={"tool": Decimal(1_000_000)})

    assert check_stated_cost(span, Limits()) is None
    price_span(span)

    assert span.cost == {"tool": Decimal(1_000_000)}


def test_a_price_costing_more_than_the_store_holds_is_invalid_cost():
    # A rule pricing input at 10^20 USD a million tokens, for a billion tokens: 10^23 USD.
    absurd = parse_rule({"id": "absurd", "match": "gpt-4o", "prices": {"input": "1e20"}})
    span = _span(usage={"input": 1_000_000_000})

    price_span(span, rules=RuleBook((absurd,)))

    assert (span.unpriced_reason, span.cost, span.price_source) == ("invalid_cost", {}, "")
    assert Decimal(10**23) > MAX_STORABLE_COST


def test_the_ceilings_are_settings_checked_at_start():
    settings = Settings.from_env(
        {"TOKENTRAIL_MAX_TOKENS_PER_SPAN": "5000", "TOKENTRAIL_MAX_SPAN_COST_USD": "12.5"}
    )

    assert settings.limits == Limits(5000, Decimal("12.5"))
    for variable, value in [
        ("TOKENTRAIL_MAX_SPAN_COST_USD", "1e21"),
        ("TOKENTRAIL_MAX_SPAN_COST_USD", "NaN"),
        ("TOKENTRAIL_MAX_SPAN_COST_USD", "0"),
        ("TOKENTRAIL_MAX_SPAN_COST_USD", "lots"),
        ("TOKENTRAIL_MAX_TOKENS_PER_SPAN", str(2**64)),
        ("TOKENTRAIL_MAX_TOKENS_PER_SPAN", "-1"),
    ]:
        with pytest.raises(ConfigError, match=variable):
            Settings.from_env({variable: value})
