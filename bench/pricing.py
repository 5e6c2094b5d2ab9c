"""Throughput of ``price_span`` against genai-prices' own ``calc_price`` on the same usages.

``price_span`` breaks each LLM span's cost down by usage type; ``genai_prices.calc_price`` returns only
totals. Both run over the same N spans (several models: cached input, cache writes, reasoning, audio,
long-context tiers, time-of-day prices, per-request fees), after a warm-up, on one core. The baseline
gets prebuilt ``genai_prices.Usage`` objects and resolved provider ids, so it is timed doing nothing but
its own lookup and arithmetic.

    python bench/pricing.py [--spans N] [--repeat R]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import genai_prices

from tokentrail.model import Span, SpanKind
from tokentrail.pricing import PROVIDER_IDS, price_span
from tokentrail.pricing.catalog import USAGE_KEYS, default_catalog

# (OTel provider, model, usage types reported besides input and output)
MODELS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("openai", "gpt-4o-2024-08-06", ("cache_read",)),
    ("openai", "o3-mini", ("cache_read", "reasoning")),
    ("openai", "gpt-4o-realtime-preview", ("audio_in", "audio_out")),
    ("anthropic", "claude-3-5-sonnet-20241022", ("cache_read", "cache_write")),
    ("anthropic", "claude-sonnet-4-5", ("cache_read", "cache_write")),  # tiered past 200k input
    ("gcp.gemini", "gemini-2.5-pro", ("cache_read", "reasoning")),  # tiered past 200k input
    ("deepseek", "deepseek-chat", ("cache_read",)),  # time-of-day prices
    ("perplexity", "sonar", ()),  # a fee per request
    ("mistral_ai", "mistral-large-latest", ()),
)
START = datetime(2025, 6, 1, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def make_usage(rng: random.Random, extra: tuple[str, ...]) -> dict[str, int]:
    usage = {"input": rng.randrange(1, 400_000), "output": rng.randrange(1, 8_000)}
    for usage_type in extra:
        if rng.random() < 0.6:
            whole = usage["output"] if usage_type in ("reasoning", "audio_out") else usage["input"]
            share = whole // 3 if usage_type in ("cache_read", "cache_write") else whole
            usage[usage_type] = rng.randrange(0, share + 1)
    return usage


def make_spans(n: int, seed: int) -> list[tuple[Span, datetime]]:
    rng = random.Random(seed)
    spans = []
    for i in range(n):
        provider, model, extra = MODELS[i % len(MODELS)]
        at = START + timedelta(seconds=rng.randrange(0, 30 * 86_400), microseconds=rng.randrange(10**6))
        start_ns = (at - EPOCH) // timedelta(microseconds=1) * 1000
        span = Span(
            project="bench",
            trace_id=f"{i:032x}",
            span_id=f"{i:016x}",
            parent_span_id="",
            name="chat",
            service="bench",
            start_ns=start_ns,
            end_ns=start_ns + 10**9,
            kind=SpanKind.LLM,
            provider=provider,
            request_model=model,
            usage=make_usage(rng, extra),
        )
        spans.append((span, at))
    return spans


def best_of(repeat: int, run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=50_000, help="LLM spans to price (default 50,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each path; the best is shown")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    default_catalog()  # loading the bundled data is not part of either path
    spans = make_spans(args.spans, args.seed)
    only_spans = [span for span, _ in spans]
    calls = [
        (
            genai_prices.Usage(**{USAGE_KEYS[t]: v for t, v in span.usage.items() if v}),
            span.request_model,
            PROVIDER_IDS.get(span.provider, span.provider),
            at,
        )
        for span, at in spans
    ]

    def ours() -> None:
        for span in only_spans:
            price_span(span)

    def baseline() -> None:
        for usage, model, provider_id, at in calls:
            with suppress(ValueError):  # usage genai-prices rejects; price_span marks it invalid_usage
                genai_prices.calc_price(usage, model, provider_id=provider_id, genai_request_timestamp=at)

    warm = min(len(spans), 10 * len(MODELS))
    for span in only_spans[:warm]:
        price_span(span)
    baseline()  # warm-up: genai-prices' own lookup caches
    ours_s = best_of(args.repeat, ours)
    base_s = best_of(args.repeat, baseline)
    priced = sum(1 for span in only_spans if span.cost)
    n = len(spans)

    print(f"{n:,} LLM spans, {len(MODELS)} models, {priced:,} priced; best of {args.repeat} runs, one core")
    print(f"{'path':<44} {'spans/s':>12} {'us/span':>9} {'vs baseline':>12}")
    for name, seconds in (
        ("price_span (cost by usage type)", ours_s),
        ("genai_prices.calc_price (totals only)", base_s),
    ):
        print(f"{name:<44} {n / seconds:>12,.0f} {seconds / n * 1e6:>9.2f} {base_s / seconds:>11.1f}x")


if __name__ == "__main__":
    main()
