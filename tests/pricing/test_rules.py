"""User price rules: which rule prices a span, how its prices apply, and what a bad rule is told."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tokentrail.errors import BadRequest
from tokentrail.model import CostOrigin, Span, SpanKind, Unpriced
from tokentrail.pricing import price_span
from tokentrail.pricing.rules import ALL_PROJECTS, PriceRule, RuleBook, RuleKind, parse_rule

MTOK = Decimal(1_000_000)
NOV_2026 = int(datetime(2026, 11, 15, tzinfo=UTC).timestamp()) * 10**9


def _rule(rule_id: str, match: str, prices: dict[str, str], **fields: object) -> PriceRule:
    return parse_rule({"id": rule_id, "match": match, "prices": prices, **fields})


def _span(model: str, usage: dict[str, int], *, kind: SpanKind = SpanKind.LLM, **fields: object) -> Span:
    span = Span("shop", "a" * 32, "b" * 16, "", "chat", "svc", NOV_2026, NOV_2026 + 1, kind=kind)
    span.request_model, span.usage = model, usage
    for name, value in fields.items():
        setattr(span, name, value)
    return span


def _priced(span: Span, *rules: PriceRule) -> Span:
    price_span(span, rules=RuleBook(rules))
    return span


def test_a_model_rule_prices_a_fine_tuned_model_the_catalog_does_not_know() -> None:
    rule = _rule("ft", "ft:gpt-4o-mini:acme:*", {"input": "0.30", "cache_read": "0.15", "output": "1.20"})
    span = _priced(
        _span("ft:gpt-4o-mini:acme:support:9x2", {"input": 10_000, "cache_read": 4_000, "output": 500}), rule
    )

    # 6,000 uncached at $0.30/M + 4,000 cached at $0.15/M + 500 out at $1.20/M
    assert span.cost == {
        "input": 6_000 * Decimal("0.30") / MTOK,
        "cache_read": 4_000 * Decimal("0.15") / MTOK,
        "output": 500 * Decimal("1.20") / MTOK,
    }
    assert (span.cost_origin, span.price_source) == (CostOrigin.INFERRED, "rule:ft")


def test_a_model_rule_overrides_the_catalog_for_the_model_it_names() -> None:
    rule = _rule("negotiated", "gpt-4o", {"input": "2", "output": "8"}, provider="openai")
    span = _priced(_span("gpt-4o", {"input": 1_000_000, "output": 1_000_000}, provider="openai"), rule)
    assert span.cost_total == Decimal(10)
    assert span.price_source == "rule:negotiated"


def test_cache_and_reasoning_without_their_own_price_cost_the_input_and_output_rate() -> None:
    rule = _rule("flat", "house-model", {"input": "1", "output": "4"})
    span = _priced(
        _span("house-model", {"input": 1_000, "cache_read": 400, "output": 300, "reasoning": 200}), rule
    )
    assert span.cost_total == (1_000 * 1 + 300 * 4) / MTOK


def test_a_request_fee_is_charged_once_per_call() -> None:
    rule = _rule("fee", "house-model", {"input": "1", "request": "0.01"})
    span = _priced(_span("house-model", {"input": 1_000}), rule)
    assert span.cost == {"input": Decimal("0.001"), "requests": Decimal("0.01")}


def test_the_rule_in_force_at_the_spans_start_prices_it() -> None:
    old = _rule("v1", "house-model", {"input": "1"}, effective_from="2026-01-01")
    new = _rule("v2", "house-model", {"input": "3"}, effective_from="2026-12-01T00:00:00Z")
    november = _priced(_span("house-model", {"input": 1_000_000}), old, new)
    december = _priced(
        _span("house-model", {"input": 1_000_000}, start_ns=NOV_2026 + 30 * 86_400 * 10**9), old, new
    )
    assert (november.price_source, november.cost_total) == ("rule:v1", Decimal(1))
    assert (december.price_source, december.cost_total) == ("rule:v2", Decimal(3))


def test_a_rule_taking_effect_later_leaves_earlier_spans_to_the_catalog() -> None:
    later = _rule("later", "gpt-4o", {"input": "100"}, effective_from="2027-01-01")
    span = _priced(_span("gpt-4o", {"input": 1_000}, provider="openai"), later)
    assert span.price_source == "genai-prices:openai/gpt-4o"


@pytest.mark.parametrize(
    ("rules", "winner"),
    [
        ([("any", ALL_PROJECTS, "gpt-4o", ""), ("ours", "shop", "gpt-4o", "")], "ours"),
        ([("pattern", "shop", "gpt-4o*", ""), ("exact", "shop", "gpt-4o", "")], "exact"),
        ([("anyone", "shop", "gpt-4o", ""), ("at-openai", "shop", "gpt-4o", "openai")], "at-openai"),
        ([("elsewhere", "other-project", "gpt-4o", "")], None),
        ([("at-azure", "shop", "gpt-4o", "azure.ai.openai")], None),
    ],
)
def test_the_most_specific_rule_wins(rules: list[tuple[str, str, str, str]], winner: str | None) -> None:
    book = [
        _rule(rule_id, match, {"input": "1"}, project=project, provider=provider)
        for rule_id, project, match, provider in rules
    ]
    span = _priced(_span("gpt-4o", {"input": 10}, provider="openai"), *book)
    assert span.price_source == (f"rule:{winner}" if winner else "genai-prices:openai/gpt-4o")


def test_patterns_and_names_match_without_regard_to_case() -> None:
    rule = _rule("ft", "FT:*", {"input": "1"})
    assert _priced(_span("ft:house", {"input": 10}), rule).price_source == "rule:ft"


def test_a_call_rule_prices_a_tool_that_reports_nothing() -> None:
    rule = _rule("search-api", "web_search", {"call": "0.002"}, kind="call")
    span = _priced(_span("", {}, kind=SpanKind.TOOL, name="tool call", tool_name="web_search"), rule)
    assert span.cost == {"tool": Decimal("0.002")}
    assert (span.cost_origin, span.price_source) == (CostOrigin.CUSTOM, "rule:search-api")


def test_a_call_rule_prices_a_rerank_per_search_by_its_model() -> None:
    rule = _rule("cohere-rerank", "rerank-v3.5", {"call": "0.002"}, kind="call")  # $2 per 1,000 searches
    span = _priced(_span("rerank-v3.5", {}, kind=SpanKind.RERANK), rule)
    assert span.cost == {"rerank": Decimal("0.002")}


def test_a_cost_the_span_reports_wins_over_every_rule() -> None:
    tool_rule = _rule("search-api", "web_search", {"call": "0.002"}, kind="call")
    span = _span("", {}, kind=SpanKind.TOOL, name="web_search", reported_cost={"tool": Decimal("0.01")})
    assert _priced(span, tool_rule).cost == {"tool": Decimal("0.01")}


def test_a_model_rule_does_not_price_a_span_without_usage() -> None:
    rule = _rule("flat", "house-model", {"input": "1"})
    span = _priced(_span("house-model", {}), rule)
    assert (span.cost, span.unpriced_reason) == ({}, Unpriced.NO_USAGE)


def test_a_rule_book_crosses_processes_as_its_rules() -> None:
    book = RuleBook((_rule("flat", "house-model", {"input": "1"}),))
    copy = pickle.loads(pickle.dumps(book))
    assert copy.rules == book.rules
    assert copy.model_rule("p", "", "house-model", 1) == book.rules[0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"id": "has space", "match": "m", "prices": {"input": "1"}}, "rule id"),
        ({"id": "r", "match": "", "prices": {"input": "1"}}, "'match'"),
        ({"id": "r", "match": "m", "prices": {}}, "'prices'"),
        ({"id": "r", "match": "m", "prices": {"tokens": "1"}}, "unknown price 'tokens'"),
        ({"id": "r", "match": "m", "prices": {"input": "-1"}}, "zero or more"),
        ({"id": "r", "match": "m", "prices": {"input": "cheap"}}, "not a number"),
        ({"id": "r", "match": "m", "prices": {"cache_read": "1"}}, "needs at least an input"),
        ({"id": "r", "kind": "call", "match": "m", "prices": {"input": "1"}}, "unknown price 'input'"),
        ({"id": "r", "kind": "tier", "match": "m", "prices": {"input": "1"}}, "kind must be"),
        ({"id": "r", "match": "m", "prices": {"input": "1"}, "effective_from": "soon"}, "ISO date"),
    ],
)
def test_a_bad_rule_is_refused_with_what_is_wrong(data: dict[str, object], message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_rule(data)


def test_float_prices_keep_their_decimal_value() -> None:
    assert _rule("r", "m", {"input": 0.1}).prices == {"input": Decimal("0.1")}  # type: ignore[dict-item]
    assert RuleKind(_rule("r", "m", {"input": "1"}).kind) is RuleKind.MODEL
