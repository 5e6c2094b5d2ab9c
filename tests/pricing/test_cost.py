"""price_span: reported costs win, usage is priced by type from genai-prices' data, and gaps carry a reason.

Expected amounts are worked out here from the per-million-token prices in genai-prices' bundled data,
never with the pricing module's own helpers.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import genai_prices
import pytest
from genai_prices.data_snapshot import DataSnapshot, get_snapshot
from genai_prices.types import (
    ClauseEquals,
    ConditionalPrice,
    ModelInfo,
    ModelPrice,
    Provider,
    StartDateConstraint,
    Tier,
    TieredPrices,
    _collect_resolved_model_prices,
    _compute_registry_priced_counts,
    calc_unit_price,
)
from genai_prices.units import _get_registry
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tokentrail.model import CostOrigin, Span, SpanKind, Status, Unpriced
from tokentrail.pricing import PROVIDER_IDS, PriceCatalog, price_span

MTOK = Decimal(1_000_000)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
JAN_2025 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def ns(at: datetime) -> int:
    return (at - EPOCH) // timedelta(microseconds=1) * 1000


def llm_span(
    model: str, usage: dict[str, int], *, provider: str = "", at: datetime = JAN_2025, **fields: object
) -> Span:
    span = Span(
        project="p",
        trace_id="a" * 32,
        span_id="b" * 16,
        parent_span_id="",
        name="chat",
        service="svc",
        start_ns=ns(at),
        end_ns=ns(at) + 10**9,
        kind=SpanKind.LLM,
        provider=provider,
        request_model=model,
        usage=usage,
    )
    for name, value in fields.items():
        setattr(span, name, value)
    return span


def prices(provider_id: str, model: str, at: datetime = JAN_2025) -> ModelPrice:
    """The model's prices as genai-prices' data states them on that date."""
    _, info = get_snapshot().find_provider_model(model, None, provider_id, None)
    return info.get_prices(at)


def per_mtok(price: object) -> Decimal:
    assert isinstance(price, Decimal), f"expected a flat price, got {price!r}"
    return price


def priced(span: Span) -> Span:
    price_span(span)
    assert all(isinstance(amount, Decimal) for amount in span.cost.values())
    return span


def test_gpt_4o_cached_input_is_billed_at_the_cache_read_rate() -> None:
    rates = prices("openai", "gpt-4o")
    span = priced(
        llm_span(
            "gpt-4o-2024-08-06", {"input": 10_000, "cache_read": 4_000, "output": 500}, provider="openai"
        )
    )

    assert span.cost == {
        "input": 6_000 * per_mtok(rates.input_mtok) / MTOK,
        "cache_read": 4_000 * per_mtok(rates.cache_read_mtok) / MTOK,
        "output": 500 * per_mtok(rates.output_mtok) / MTOK,
    }
    assert span.cost_origin is CostOrigin.INFERRED
    assert span.unpriced_reason is None
    assert span.price_source == "genai-prices:openai/gpt-4o"


def test_reasoning_tokens_are_billed_inside_output_when_not_priced_apart() -> None:
    rates = prices("openai", "o3-mini")
    assert rates.output_reasoning_mtok is None  # the data bills reasoning as output
    span = priced(
        llm_span("o3-mini", {"input": 2_000, "output": 3_000, "reasoning": 2_500}, provider="openai")
    )

    assert span.cost == {
        "input": 2_000 * per_mtok(rates.input_mtok) / MTOK,
        "output": 3_000 * per_mtok(rates.output_mtok) / MTOK,
    }


def test_anthropic_cache_write_and_read_are_split_out_of_input() -> None:
    rates = prices("anthropic", "claude-3-5-sonnet-20241022")
    usage = {"input": 10_000, "cache_write": 3_000, "cache_read": 5_000, "output": 800}
    span = priced(llm_span("claude-3-5-sonnet-20241022", usage, provider="anthropic"))

    assert span.cost == {
        "input": 2_000 * per_mtok(rates.input_mtok) / MTOK,
        "cache_write": 3_000 * per_mtok(rates.cache_write_mtok) / MTOK,
        "cache_read": 5_000 * per_mtok(rates.cache_read_mtok) / MTOK,
        "output": 800 * per_mtok(rates.output_mtok) / MTOK,
    }
    assert span.price_source == "genai-prices:anthropic/claude-3-5-sonnet"


def tier_rate(price: object, input_tokens: int) -> Decimal:
    """Long-context pricing: past a tier's start, every token is billed at that tier's rate."""
    assert isinstance(price, TieredPrices)
    rate = price.base
    for tier in price.tiers:
        if input_tokens > tier.start:
            rate = tier.price
    return rate


@pytest.mark.parametrize("input_tokens", [100_000, 200_000, 200_001, 450_000])
def test_gemini_long_context_tier_applies_to_all_tokens_past_its_start(input_tokens: int) -> None:
    rates = prices("google", "gemini-2.5-pro")
    assert isinstance(rates.input_mtok, TieredPrices)
    assert rates.input_mtok.tiers[0].start == 200_000
    usage = {"input": input_tokens, "cache_read": 20_000, "output": 4_000}
    span = priced(llm_span("gemini-2.5-pro", usage, provider="gcp.gemini"))

    assert span.cost == {
        "input": (input_tokens - 20_000) * tier_rate(rates.input_mtok, input_tokens) / MTOK,
        "cache_read": 20_000 * tier_rate(rates.cache_read_mtok, input_tokens) / MTOK,
        "output": 4_000 * tier_rate(rates.output_mtok, input_tokens) / MTOK,
    }
    assert span.price_source == "genai-prices:google/gemini-2.5-pro"


def test_tier_is_chosen_by_input_tokens_even_where_input_is_not_priced() -> None:
    tiered = TieredPrices(base=Decimal(2), tiers=[Tier(start=1_000, price=Decimal(3))])
    model = ModelInfo(
        id="out-only", match=ClauseEquals(equals="out-only"), prices=ModelPrice(output_mtok=tiered)
    )
    provider = Provider(id="acme", name="Acme", api_pattern="acme", models=[model])
    catalog = PriceCatalog(DataSnapshot(providers=[provider], from_auto_update=False))

    def cost(usage: dict[str, int]) -> dict[str, Decimal] | Unpriced | None:
        span = llm_span("out-only", usage, provider="acme")
        price_span(span, catalog=catalog)
        return span.cost or span.unpriced_reason

    assert cost({"output": 10}) == {"output": 10 * Decimal(2) / MTOK}
    assert cost({"input": 1_000, "output": 10}) == {"output": 10 * Decimal(2) / MTOK}
    assert cost({"input": 1_001, "output": 10}) == {"output": 10 * Decimal(3) / MTOK}
    # genai-prices will not take input tokens as 0 when cached ones are reported, so neither do we
    with pytest.raises(ValueError, match="input_tokens"):
        ModelPrice(output_mtok=tiered).calc_price(genai_prices.Usage(cache_read_tokens=5, output_tokens=10))
    assert cost({"cache_read": 5, "output": 10}) is Unpriced.INVALID_USAGE


def test_embedding_span_is_priced_by_input_tokens() -> None:
    rates = prices("openai", "text-embedding-3-small")
    span = llm_span("text-embedding-3-small", {"input": 12_345}, provider="openai", kind=SpanKind.EMBEDDING)

    assert priced(span).cost == {"input": 12_345 * per_mtok(rates.input_mtok) / MTOK}
    assert span.cost_origin is CostOrigin.INFERRED


def first_price_change(provider_id: str, model: str) -> datetime:
    _, info = get_snapshot().find_provider_model(model, None, provider_id, None)
    assert isinstance(info.prices, list)
    starts = [
        price.constraint.start_date
        for price in info.prices
        if isinstance(price, ConditionalPrice) and isinstance(price.constraint, StartDateConstraint)
    ]
    return datetime.combine(starts[0], datetime.min.time(), tzinfo=UTC)


def test_price_change_takes_effect_at_utc_midnight_of_its_start_date() -> None:
    change = first_price_change("openai", "o3")  # o3's price cut
    before, after = change - timedelta(microseconds=1), change
    old, new = prices("openai", "o3", before), prices("openai", "o3", after)
    assert old.input_mtok != new.input_mtok
    usage = {"input": 50_000, "output": 5_000}

    for at, rates in ((before, old), (after, new)):
        span = priced(llm_span("o3", usage, provider="openai", at=at))
        assert span.cost == {
            "input": 50_000 * per_mtok(rates.input_mtok) / MTOK,
            "output": 5_000 * per_mtok(rates.output_mtok) / MTOK,
        }


def test_provided_cost_wins_over_inference_and_drops_a_duplicate_total() -> None:
    reported = {"input": Decimal("0.0125"), "output": Decimal("0.03"), "total": Decimal("0.0425")}
    span = priced(
        llm_span("gpt-4o", {"input": 1_000, "output": 100}, provider="openai", reported_cost=reported)
    )

    assert span.cost == {"input": Decimal("0.0125"), "output": Decimal("0.03")}
    assert span.cost_origin is CostOrigin.PROVIDED
    assert span.price_source == "reported"
    assert span.unpriced_reason is None


def test_provided_total_alone_is_kept_as_the_total() -> None:
    span = priced(llm_span("no-such-model", {}, reported_cost={"total": Decimal("0.5")}))

    assert span.cost == {"total": Decimal("0.5")}
    assert span.cost_origin is CostOrigin.PROVIDED


def test_tool_span_with_reported_cost_is_custom() -> None:
    span = llm_span("", {}, kind=SpanKind.TOOL, reported_cost={"total": Decimal("0.002")})

    assert priced(span).cost == {"total": Decimal("0.002")}
    assert span.cost_origin is CostOrigin.CUSTOM
    assert span.price_source == "reported"


def test_tool_span_without_reported_cost_costs_nothing_and_needs_no_reason() -> None:
    span = priced(llm_span("", {}, kind=SpanKind.TOOL))

    assert (span.cost, span.cost_origin, span.unpriced_reason, span.price_source) == ({}, None, None, "")


@pytest.mark.parametrize(
    ("model", "usage", "reason"),
    [
        ("gpt-17-ultra", {"input": 10, "output": 5}, Unpriced.UNKNOWN_MODEL),
        ("gpt-4o", {}, Unpriced.NO_USAGE),
        ("gpt-4o", {"input": 0, "output": 0}, Unpriced.NO_USAGE),
        ("", {"input": 10, "output": 5}, Unpriced.NO_MODEL),
        ("gpt-4o", {"input": 100, "cache_read": 400}, Unpriced.INVALID_USAGE),
        ("gpt-4o", {"input": -5, "output": 5}, Unpriced.INVALID_USAGE),
    ],
)
def test_unpriced_llm_span_carries_its_reason_instead_of_a_zero(
    model: str, usage: dict[str, int], reason: Unpriced
) -> None:
    span = priced(llm_span(model, usage, provider="openai"))

    assert span.unpriced_reason is reason
    assert span.cost == {}
    assert span.cost_origin is None
    assert span.price_source == ""


@pytest.mark.parametrize(
    ("kind", "model", "usage"),
    [
        (SpanKind.LLM, "gpt-4o", {}),
        (SpanKind.LLM, "gpt-4o", {"input": 0, "output": 0}),
        (SpanKind.LLM, "", {}),  # a 400 for a missing model: still billed nothing
        (SpanKind.EMBEDDING, "text-embedding-3-small", {}),
    ],
)
def test_a_failed_call_without_usage_was_billed_nothing_and_is_not_unpriced(
    kind: SpanKind, model: str, usage: dict[str, int]
) -> None:
    span = priced(llm_span(model, usage, provider="openai", kind=kind, status=Status.ERROR))

    assert (span.cost, span.cost_origin, span.unpriced_reason, span.price_source) == (
        {},
        None,
        None,
        "failed_call",
    )


def test_only_the_missing_usage_of_a_successful_call_is_unpriced() -> None:
    failed = priced(llm_span("gpt-4o", {}, provider="openai", status=Status.ERROR))
    partial = priced(
        llm_span("gpt-4o", {"input": 1_000, "output": 20}, provider="openai", status=Status.ERROR)
    )
    reported = priced(
        llm_span(
            "gpt-4o", {}, provider="openai", status=Status.ERROR, reported_cost={"total": Decimal("0.01")}
        )
    )
    succeeded = [
        priced(llm_span("gpt-4o", {}, provider="openai", status=s)) for s in (Status.OK, Status.UNSET)
    ]

    assert failed.unpriced_reason is None
    assert partial.cost_origin is CostOrigin.INFERRED and partial.cost_total > 0
    assert reported.cost == {"total": Decimal("0.01")} and reported.cost_origin is CostOrigin.PROVIDED
    assert [span.unpriced_reason for span in succeeded] == [Unpriced.NO_USAGE, Unpriced.NO_USAGE]


def test_response_model_is_priced_in_preference_to_the_request_model() -> None:
    span = priced(llm_span("gpt-4o", {"input": 1_000}, provider="openai", response_model="gpt-4o-mini"))

    assert span.price_source == "genai-prices:openai/gpt-4o-mini"


def test_every_mapped_provider_id_exists_in_the_data() -> None:
    known = {provider.id for provider in get_snapshot().providers}

    assert set(PROVIDER_IDS.values()) <= known


@pytest.mark.parametrize(
    ("provider", "model", "source"),
    [
        ("azure.ai.openai", "gpt-4o", "genai-prices:azure/gpt-4o"),
        ("gcp.vertex_ai", "gemini-2.5-pro", "genai-prices:google/gemini-2.5-pro"),
        ("aws.bedrock", "us.anthropic.claude-3-5-sonnet-20240620-v1:0", "genai-prices:aws/"),
        ("x_ai", "grok-3", "genai-prices:x-ai/"),
        # a provider that does not list the model, an unknown provider and none: found by model name
        ("openai", "claude-3-5-sonnet-20241022", "genai-prices:anthropic/claude-3-5-sonnet"),
        ("ibm.watsonx.ai", "o3-mini", "genai-prices:openai/o3-mini"),  # only one price exists
        ("", "gpt-4o", "genai-prices:openai/gpt-4o"),
        ("", "anthropic/claude-3-5-sonnet", "genai-prices:anthropic/claude-3-5-sonnet"),
    ],
)
def test_provider_is_mapped_then_falls_back_to_the_model_name(provider: str, model: str, source: str) -> None:
    span = priced(llm_span(model, {"input": 1_000, "output": 100}, provider=provider))

    assert span.cost_origin is CostOrigin.INFERRED
    assert span.price_source.startswith(source)


def test_an_unknown_provider_naming_a_model_sold_at_several_prices_is_not_guessed() -> None:
    # gpt-4o is sold by OpenAI, Azure, OpenRouter ... at different cache prices; "acme-gateway" is none.
    span = priced(llm_span("gpt-4o", {"input": 1_000, "output": 100}, provider="acme-gateway"))

    assert span.cost == {}
    assert span.unpriced_reason is Unpriced.AMBIGUOUS_PROVIDER


def test_repricing_replaces_the_previous_result() -> None:
    span = priced(llm_span("gpt-4o", {"input": 1_000}, provider="openai"))
    span.usage = {}

    assert priced(span).cost == {}
    assert span.unpriced_reason is Unpriced.NO_USAGE
    assert span.cost_origin is None


GENAI_KEYS = {
    "input": "input_tokens",
    "output": "output_tokens",
    "cache_read": "cache_read_tokens",
    "cache_write": "cache_write_tokens",
    "reasoning": "output_reasoning_tokens",
    "audio_in": "input_audio_tokens",
    "audio_out": "output_audio_tokens",
    "image_in": "input_image_tokens",
}


def genai_usage(usage: dict[str, int]) -> genai_prices.Usage:
    """The same usage in genai-prices' keys; zero counts are left out, as the pricing module does."""
    return genai_prices.Usage(
        **{GENAI_KEYS[usage_type]: count for usage_type, count in usage.items() if count}
    )


def bundled_models() -> list[tuple[str, str]]:
    return [(provider.id, model.id) for provider in get_snapshot().providers for model in provider.models]


def findable(provider_id: str, model: str) -> bool:
    """Whether genai-prices finds the model by its own id (a few are found only under another's)."""
    try:
        get_snapshot().find_provider_model(model, None, provider_id, None)
    except LookupError:
        return False
    return True


def tier_crossed(provider_id: str, model: str, at: datetime, input_tokens: int) -> bool:
    rates = prices(provider_id, model, at)
    return any(
        isinstance(price, TieredPrices) and input_tokens > price.tiers[0].start
        for price in rates.__dict__.values()
    )


# Each usage profile, and what at least a few bundled models must show for it; audio and images are
# reported without cached tokens (a model that prices cached audio needs to be told which are audio).
PROFILES = {
    "long context, cache read and write, reasoning": (
        {"input": 300_000, "cache_read": 1_000, "cache_write": 500, "output": 2_000, "reasoning": 500},
        {"tier", "cache_read", "cache_write", "reasoning billed as output"},
    ),
    "short context, cached input, reasoning": (
        {"input": 150_000, "cache_read": 40_000, "output": 3_000, "reasoning": 2_999},
        {"cache_read", "reasoning billed as output"},
    ),
    "audio and image in, audio out": (
        {"input": 250_000, "audio_in": 20_000, "image_in": 5_000, "output": 1_000, "audio_out": 300},
        {"tier", "audio_in", "audio_out", "image_in", "requests"},
    ),
    "cached audio, which genai-prices cannot split": (
        {"input": 80_000, "cache_read": 30_000, "audio_in": 10_000, "output": 500},
        {"cache_read", "audio_in", "rejected"},
    ),
}


@pytest.mark.parametrize(
    "at", [JAN_2025, datetime(2025, 11, 3, 15, 30, tzinfo=UTC)], ids=["2025-01", "2025-11"]
)
@pytest.mark.parametrize("profile", PROFILES)
def test_by_type_cost_adds_up_to_genai_prices_total_for_every_bundled_model(
    profile: str, at: datetime
) -> None:
    usage, must_cover = PROFILES[profile]
    covered: Counter[str] = Counter()
    for provider_id, model in bundled_models():
        try:
            expected = genai_prices.calc_price(
                genai_usage(usage), model, provider_id=provider_id, genai_request_timestamp=at
            ).total_price
        except LookupError:
            continue  # priced elsewhere by our fallbacks
        except ValueError:  # usage this model's units reject
            span = priced(llm_span(model, usage, provider=provider_id, at=at))
            assert span.unpriced_reason is Unpriced.INVALID_USAGE, (provider_id, model, span.cost)
            assert span.cost == {}
            covered["rejected"] += 1
            continue
        span = priced(llm_span(model, usage, provider=provider_id, at=at))
        assert span.cost_total == expected, (provider_id, model, span.cost)
        assert span.unpriced_reason is None
        assert all(amount > 0 for amount in span.cost.values()), (provider_id, model, span.cost)
        covered.update(span.cost.keys())
        if "reasoning" in usage and "output" in span.cost and "reasoning" not in span.cost:
            covered["reasoning billed as output"] += 1
        if tier_crossed(provider_id, model, at, usage["input"]):
            covered["tier"] += 1
        covered["checked"] += 1

    assert covered["checked"] > 1_000
    assert {feature for feature in must_cover if covered[feature] >= 3} == must_cover, covered


@st.composite
def usages(draw: st.DrawFn) -> dict[str, int]:
    """Mostly plausible usage (parts within their whole), sometimes a part past it or a negative count."""

    def count(whole: int) -> int:
        whole = max(whole, 0)
        shape = draw(st.integers(0, 19))
        if shape == 0:
            return draw(st.integers(-3, -1))
        if shape == 1:
            return draw(st.integers(whole + 1, whole + 1_000))
        if shape <= 5:
            return 0
        return draw(st.integers(0, whole))

    usage = {"input": count(600_000), "output": count(20_000)}
    for usage_type in ("cache_read", "cache_write", "audio_in", "image_in"):
        if draw(st.booleans()):
            usage[usage_type] = count(usage["input"])
    for usage_type in ("reasoning", "audio_out"):
        if draw(st.booleans()):
            usage[usage_type] = count(usage["output"])
    return usage


def genai_breakdown(
    provider_id: str, model: str, at: datetime, usage: genai_prices.Usage
) -> dict[str, Decimal]:
    """genai-prices' own per-unit amounts (its generic leaf counting), non-zero ones, by canonical type."""
    canonical = {key: usage_type for usage_type, key in GENAI_KEYS.items()}
    resolved = _collect_resolved_model_prices(prices(provider_id, model, at), _get_registry())
    counts = _compute_registry_priced_counts(resolved, usage)
    tiered = any(isinstance(price, TieredPrices) for _, price in resolved)
    total_input = usage.input_tokens if tiered else 0
    return {
        canonical.get(unit.usage_key, unit.usage_key): calc_unit_price(
            price, counts[unit.usage_key], total_input, unit.per
        )
        for unit, price in resolved
        if counts[unit.usage_key]
    }


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    model=st.sampled_from([model for model in bundled_models() if findable(*model)]),
    usage=usages(),
    at=st.datetimes(datetime(2023, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)),
)
@example(
    model=("google", "gemini-2.5-pro"),
    usage={"input": 250_000, "cache_read": 60_000, "output": 9},
    at=JAN_2025,
)
@example(
    model=("anthropic", "claude-sonnet-4-5"),
    usage={"input": 200_001, "cache_read": 1, "cache_write": 200_000, "output": 1},
    at=datetime(2025, 10, 1, tzinfo=UTC),
)
@example(
    model=("openai", "gpt-4o-realtime-preview"),
    usage={"input": 9_000, "audio_in": 8_000, "output": 700, "audio_out": 650},
    at=JAN_2025,
)
@example(model=("openai", "gpt-image-1"), usage={"input": 9_000, "image_in": 9_000, "output": 5}, at=JAN_2025)
@example(model=("perplexity", "sonar"), usage={"input": 10, "output": 10}, at=JAN_2025)
@example(model=("deepseek", "deepseek-chat"), usage={"input": 10, "cache_read": 4, "output": 2}, at=JAN_2025)
@example(
    model=("google", "gemini-2.5-flash"),
    usage={"input": 100, "cache_read": 10, "audio_in": 10, "output": 1},
    at=datetime(2025, 8, 1, tzinfo=UTC),
)
@example(model=("openai", "o3-mini"), usage={"input": 10, "output": 10, "reasoning": 11}, at=JAN_2025)
@example(model=("openai", "gpt-4o"), usage={"input": 10, "cache_read": 10, "output": 0}, at=JAN_2025)
@example(model=("openai", "gpt-4o"), usage={"input": 0, "cache_read": 10, "output": 5}, at=JAN_2025)
def test_by_type_cost_matches_genai_prices_or_both_reject(
    model: tuple[str, str], usage: dict[str, int], at: datetime
) -> None:
    provider_id, model_id = model
    span = priced(llm_span(model_id, usage, provider=provider_id, at=at))
    if not any(usage.values()):
        assert span.unpriced_reason is Unpriced.NO_USAGE
        return
    try:
        reported = genai_usage(usage)
        expected = genai_prices.calc_price(
            reported, model_id, provider_id=provider_id, genai_request_timestamp=at
        ).total_price
    except ValueError:
        event("both reject")
        assert span.unpriced_reason is Unpriced.INVALID_USAGE, span.cost
        assert span.cost == {}
        return

    event("priced")
    assert span.unpriced_reason is None
    assert span.cost_total == expected
    assert span.cost == genai_breakdown(provider_id, model_id, at, reported)


def test_web_searches_a_model_ran_are_billed_per_thousand() -> None:
    # Anthropic's web search tool: $10 per 1,000 searches, beside the tokens.
    span = priced(
        llm_span("claude-sonnet-4-5", {"input": 100, "output": 50, "web_search": 3}, provider="anthropic")
    )
    assert span.cost["web_search"] == Decimal("0.03")
