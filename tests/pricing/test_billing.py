"""Provider counting rules: counts copied the provider's way are made whole when they can only be read so."""

from __future__ import annotations

import pytest

from tokentrail.model import Span, SpanKind
from tokentrail.pricing import price_span
from tokentrail.pricing.billing import make_whole


def _span(provider: str, usage: dict[str, int]) -> Span:
    span = Span("p", "a" * 32, "b" * 16, "", "chat", "svc", 1, 2, kind=SpanKind.LLM, provider=provider)
    span.usage, span.usage_source = dict(usage), dict.fromkeys(usage, "attribute")
    return span


@pytest.mark.parametrize(
    ("provider", "usage", "whole"),
    [
        # Anthropic's input_tokens leave the cache out: 30 fresh + 2,048 read + 100 written.
        ("anthropic", {"input": 30, "cache_read": 2_048, "cache_write": 100, "output": 5}, {"input": 2_178}),
        # Bedrock Converse counts the same way for every model family.
        ("aws.bedrock", {"input": 2, "cache_write": 1_322, "output": 5}, {"input": 1_324}),
        # Gemini's candidates leave the thoughts out.
        ("gcp.gemini", {"input": 100, "output": 50, "reasoning": 120}, {"output": 170}),
    ],
)
def test_a_part_larger_than_its_whole_is_added_as_the_provider_counts(provider, usage, whole):
    span = _span(provider, usage)
    assert make_whole(span)
    assert {key: span.usage[key] for key in whole} == whole
    assert all(span.usage_source[key] == "derived" for key in whole)


@pytest.mark.parametrize(
    ("provider", "usage"),
    [
        ("anthropic", {"input": 3_000, "cache_read": 2_048, "output": 5}),  # fits both readings: as stated
        ("openai", {"input": 30, "cache_read": 2_048, "output": 5}),  # OpenAI counts cache inside: invalid
        ("gcp.gemini", {"input": 30, "cache_read": 2_048, "output": 5}),  # Gemini too
        ("anthropic", {"input": 10, "output": 5, "reasoning": 20}),  # Anthropic's thinking is inside output
        ("acme", {"input": 30, "cache_read": 2_048}),  # an unknown provider is not guessed
    ],
)
def test_counts_that_fit_the_convention_or_an_unknown_provider_are_left_alone(provider, usage):
    span = _span(provider, usage)
    assert not make_whole(span)
    assert span.usage == usage


def test_a_made_whole_anthropic_span_is_priced_instead_of_refused():
    span = _span("anthropic", {"input": 30, "cache_read": 2_048, "output": 5})
    span.request_model = "claude-haiku-4-5"
    price_span(span)
    assert span.unpriced_reason is None
    assert set(span.cost) == {"input", "cache_read", "output"}
    price_span(span)  # idempotent: re-pricing does not add the cache again
    assert span.usage["input"] == 2_078
