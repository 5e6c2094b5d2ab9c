"""Golden costs: spans priced by hand from the providers' published price sheets.

Every expected amount below was worked out by hand from the provider's list price on the span's date,
never with the pricing module or genai-prices: the ``why`` of each case quotes the sheet (USD per million
tokens, "/M") and does the arithmetic in micro-dollars (tokens * $/M = µ$; 1,000,000 µ$ = $1). Dates are
chosen where genai-prices' bundled data agrees with the sheet, and usage kept clear of the prices where it
does not: o3's cached input before its 2025-06-10 cut (the data has $0.50/M, the sheet $2.50/M), Gemini 2.5
context caching (the data has today's rates with no date), DeepSeek after 2025-09-05 (the data keeps the
earlier peak and off-peak prices). Amounts are compared as exact decimals: the total and every type.

Usage follows tokentrail's canonical meaning: ``input`` counts every input token (cache reads and writes
inside it, 1-hour writes inside ``cache_write``), ``output`` every output token (reasoning inside it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from raw_spans import normalized
from tokentrail.model import CostOrigin, Span, SpanKind, Unpriced
from tokentrail.pricing import price_span
from tokentrail.pricing.rules import RuleBook, parse_rule

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    """One hand-priced span: what it was, when, and what it must cost."""

    id: str
    provider: str
    model: str
    usage: dict[str, int]
    at: str  # ISO date and time, UTC: picks the price in force
    why: str  # the price sheet and the arithmetic
    total: str | None = None  # expected total in USD; None for a span that cannot be priced
    by_type: dict[str, str] | None = None  # expected cost of each type, when it matters
    attributes: dict[str, str] = field(default_factory=dict)  # what the span said, read by semconv
    rules: tuple[dict[str, Any], ...] = ()
    kind: SpanKind = SpanKind.LLM
    name: str = "chat"
    project: str = "shop"
    reported: dict[str, str] = field(default_factory=dict)
    source: str = ""  # expected price_source, when it matters
    origin: CostOrigin = CostOrigin.INFERRED
    reason: Unpriced | None = None  # expected unpriced_reason


def ns(iso: str) -> int:
    moment = datetime.fromisoformat(iso).replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1) * 1000


def span_of(case: Case) -> Span:
    start = ns(case.at)
    said = normalized(case.attributes)  # the tool name and billing tier, as ingest reads them
    return Span(
        project=case.project,
        trace_id="a" * 32,
        span_id="b" * 16,
        parent_span_id="",
        name=case.name,
        service="svc",
        start_ns=start,
        end_ns=start + 10**9,
        kind=case.kind,
        provider=case.provider,
        request_model=case.model,
        usage=dict(case.usage),
        tool_name=said.tool_name,
        billing_tier=said.billing_tier,
        attributes=dict(case.attributes),
        reported_cost={kind: Decimal(amount) for kind, amount in case.reported.items()},
    )


def priced(case: Case) -> Span:
    span = span_of(case)
    price_span(span, rules=RuleBook(tuple(parse_rule(rule) for rule in case.rules)))
    return span


BATCH = {"tokentrail.batch": "true"}

# --- OpenAI ------------------------------------------------------------------------------------------
OPENAI = [
    Case(
        "openai-gpt-4o-cached-input-billed-at-the-cached-rate",
        "openai",
        "gpt-4o",
        {"input": 1_200, "cache_read": 1_000, "output": 80},
        "2025-03-03T12:00:00",
        "gpt-4o: $2.50/M in, $1.25/M cached, $10/M out; 1,200 in of which 1,000 cached: "
        "200*2.50 + 1,000*1.25 + 80*10 = 500 + 1,250 + 800 = 2,550 µ$",
        "0.00255",
        {"input": "0.0005", "cache_read": "0.00125", "output": "0.0008"},
        source="genai-prices:openai/gpt-4o",
    ),
    Case(
        "openai-gpt-4o-dated-snapshot-priced-as-gpt-4o",
        "openai",
        "gpt-4o-2024-11-20",
        {"input": 5_000, "output": 1_000},
        "2025-03-03T12:00:00",
        "gpt-4o-2024-11-20: $2.50/M in, $10/M out: 5,000*2.50 + 1,000*10 = 12,500 + 10,000 = 22,500 µ$",
        "0.0225",
        {"input": "0.0125", "output": "0.01"},
        source="genai-prices:openai/gpt-4o",
    ),
    Case(
        "openai-gpt-4o-mini-cached-input",
        "openai",
        "gpt-4o-mini",
        {"input": 20_000, "cache_read": 12_800, "output": 600},
        "2025-03-03T12:00:00",
        "gpt-4o-mini: $0.15/M in, $0.075/M cached, $0.60/M out: "
        "7,200*0.15 + 12,800*0.075 + 600*0.60 = 1,080 + 960 + 360 = 2,400 µ$",
        "0.0024",
        {"input": "0.00108", "cache_read": "0.00096", "output": "0.00036"},
    ),
    Case(
        "openai-o3-mini-reasoning-billed-as-output",
        "openai",
        "o3-mini",
        {"input": 3_000, "output": 5_000, "reasoning": 4_200},
        "2025-03-03T12:00:00",
        "o3-mini: $1.10/M in, $4.40/M out (reasoning tokens are output tokens): "
        "3,000*1.10 + 5,000*4.40 = 3,300 + 22,000 = 25,300 µ$",
        "0.0253",
        {"input": "0.0033", "output": "0.022"},
        source="genai-prices:openai/o3-mini",
    ),
    Case(
        "openai-o4-mini-cached-input-and-reasoning",
        "openai",
        "o4-mini-2025-04-16",
        {"input": 50_000, "cache_read": 40_000, "output": 8_000, "reasoning": 7_000},
        "2025-08-15T12:00:00",
        "o4-mini: $1.10/M in, $0.275/M cached, $4.40/M out (reasoning inside): "
        "10,000*1.10 + 40,000*0.275 + 8,000*4.40 = 11,000 + 11,000 + 35,200 = 57,200 µ$",
        "0.0572",
        {"input": "0.011", "cache_read": "0.011", "output": "0.0352"},
        source="genai-prices:openai/o4-mini",
    ),
    Case(
        "openai-gpt-4.1-cached-input-at-a-quarter",
        "openai",
        "gpt-4.1",
        {"input": 100_000, "cache_read": 80_000, "output": 2_000},
        "2025-08-15T12:00:00",
        "gpt-4.1: $2.00/M in, $0.50/M cached, $8.00/M out: "
        "20,000*2 + 80,000*0.50 + 2,000*8 = 40,000 + 40,000 + 16,000 = 96,000 µ$",
        "0.096",
        {"input": "0.04", "cache_read": "0.04", "output": "0.016"},
    ),
    Case(
        "openai-gpt-4.1-mini-dated",
        "openai",
        "gpt-4.1-mini-2025-04-14",
        {"input": 10_000, "output": 1_000},
        "2025-08-15T12:00:00",
        "gpt-4.1-mini: $0.40/M in, $1.60/M out: 10,000*0.40 + 1,000*1.60 = 4,000 + 1,600 = 5,600 µ$",
        "0.0056",
        {"input": "0.004", "output": "0.0016"},
    ),
    Case(
        "openai-gpt-4.1-nano-cached-input",
        "openai",
        "gpt-4.1-nano",
        {"input": 10_000, "cache_read": 5_000, "output": 1_000},
        "2025-08-15T12:00:00",
        "gpt-4.1-nano: $0.10/M in, $0.025/M cached, $0.40/M out: "
        "5,000*0.10 + 5,000*0.025 + 1,000*0.40 = 500 + 125 + 400 = 1,025 µ$",
        "0.001025",
        {"input": "0.0005", "cache_read": "0.000125", "output": "0.0004"},
    ),
    Case(
        "openai-text-embedding-3-small",
        "openai",
        "text-embedding-3-small",
        {"input": 12_345},
        "2025-03-03T12:00:00",
        "text-embedding-3-small: $0.02/M: 12,345*0.02 = 246.9 µ$",
        "0.0002469",
        {"input": "0.0002469"},
        kind=SpanKind.EMBEDDING,
        name="embeddings",
    ),
    Case(
        "openai-text-embedding-3-large",
        "openai",
        "text-embedding-3-large",
        {"input": 8_000},
        "2025-03-03T12:00:00",
        "text-embedding-3-large: $0.13/M: 8,000*0.13 = 1,040 µ$",
        "0.00104",
        {"input": "0.00104"},
        kind=SpanKind.EMBEDDING,
        name="embeddings",
    ),
]

# --- A price change on a date: o3's 80% cut (genai-prices: from 2025-06-10, UTC) ---------------------
O3_USAGE = {"input": 10_000, "output": 4_000, "reasoning": 3_000}
O3_BEFORE = "o3 before the cut: $10/M in, $40/M out: 10,000*10 + 4,000*40 = 100,000 + 160,000 = 260,000 µ$"
O3_AFTER = "o3 after the cut: $2/M in, $8/M out: 10,000*2 + 4,000*8 = 20,000 + 32,000 = 52,000 µ$"
PRICE_CHANGE = [
    Case(
        "price-change-o3-a-week-before-the-cut",
        "openai",
        "o3",
        O3_USAGE,
        "2025-06-01T12:00:00",
        O3_BEFORE,
        "0.26",
        {"input": "0.1", "output": "0.16"},
    ),
    Case(
        "price-change-o3-the-last-microsecond-before-the-cut",
        "openai",
        "o3-2025-04-16",
        O3_USAGE,
        "2025-06-09T23:59:59.999999",
        O3_BEFORE,
        "0.26",
        {"input": "0.1", "output": "0.16"},
    ),
    Case(
        "price-change-o3-from-utc-midnight-of-the-cut",
        "openai",
        "o3-2025-04-16",
        O3_USAGE,
        "2025-06-10T00:00:00",
        O3_AFTER,
        "0.052",
        {"input": "0.02", "output": "0.032"},
    ),
    Case(
        "price-change-o3-ten-days-after-the-cut",
        "openai",
        "o3",
        O3_USAGE,
        "2025-06-20T12:00:00",
        O3_AFTER,
        "0.052",
        {"input": "0.02", "output": "0.032"},
    ),
]

# --- Anthropic ---------------------------------------------------------------------------------------
ANTHROPIC = [
    Case(
        "anthropic-sonnet-4-five-minute-cache-write-and-cache-read",
        "anthropic",
        "claude-sonnet-4-20250514",
        {"input": 30_000, "cache_write": 20_000, "cache_read": 8_000, "output": 1_000},
        "2025-08-15T12:00:00",
        "Claude Sonnet 4: $3/M in, $3.75/M 5-minute cache write, $0.30/M cache read, $15/M out; "
        "30,000 in = 2,000 uncached + 20,000 written + 8,000 read: "
        "2,000*3 + 20,000*3.75 + 8,000*0.30 + 1,000*15 = 6,000 + 75,000 + 2,400 + 15,000 = 98,400 µ$",
        "0.0984",
        {"input": "0.006", "cache_write": "0.075", "cache_read": "0.0024", "output": "0.015"},
        source="genai-prices:anthropic/claude-sonnet-4-0",
    ),
    Case(
        "anthropic-sonnet-4-one-hour-cache-write",
        "anthropic",
        "claude-sonnet-4-20250514",
        {"input": 50_000, "cache_write": 40_000, "cache_write_1h": 40_000, "output": 500},
        "2025-08-15T12:00:00",
        "Claude Sonnet 4: $3/M in, $6/M 1-hour cache write, $15/M out; 50,000 in = 10,000 uncached + "
        "40,000 written for 1 hour: 10,000*3 + 40,000*6 + 500*15 = 30,000 + 240,000 + 7,500 = 277,500 µ$",
        "0.2775",
        {"input": "0.03", "cache_write_1h": "0.24", "output": "0.0075"},
    ),
    Case(
        "anthropic-opus-4.1-five-minute-and-one-hour-writes-and-a-read",
        "anthropic",
        "claude-opus-4-1-20250805",
        {
            "input": 12_000,
            "cache_write": 10_000,
            "cache_write_1h": 4_000,
            "cache_read": 1_000,
            "output": 2_000,
        },
        "2025-08-15T12:00:00",
        "Claude Opus 4.1: $15/M in, $18.75/M 5-minute write, $30/M 1-hour write, $1.50/M read, $75/M out; "
        "12,000 in = 1,000 uncached + 6,000 written for 5 minutes + 4,000 for 1 hour + 1,000 read: "
        "1,000*15 + 6,000*18.75 + 4,000*30 + 1,000*1.50 + 2,000*75 "
        "= 15,000 + 112,500 + 120,000 + 1,500 + 150,000 = 399,000 µ$",
        "0.399",
        {
            "input": "0.015",
            "cache_write": "0.1125",
            "cache_write_1h": "0.12",
            "cache_read": "0.0015",
            "output": "0.15",
        },
        source="genai-prices:anthropic/claude-opus-4-1",
    ),
    Case(
        "anthropic-haiku-3.5-cache-read",
        "anthropic",
        "claude-3-5-haiku-20241022",
        {"input": 4_000, "cache_read": 3_000, "output": 300},
        "2025-03-03T12:00:00",
        "Claude Haiku 3.5: $0.80/M in, $0.08/M cache read, $4/M out: "
        "1,000*0.80 + 3,000*0.08 + 300*4 = 800 + 240 + 1,200 = 2,240 µ$",
        "0.00224",
        {"input": "0.0008", "cache_read": "0.00024", "output": "0.0012"},
    ),
    Case(
        "anthropic-haiku-4.5-cache-write-and-read",
        "anthropic",
        "claude-haiku-4-5-20251001",
        {"input": 10_000, "cache_write": 2_000, "cache_read": 6_000, "output": 1_000},
        "2025-11-03T12:00:00",
        "Claude Haiku 4.5: $1/M in, $1.25/M 5-minute write, $0.10/M read, $5/M out: "
        "2,000*1 + 2,000*1.25 + 6,000*0.10 + 1,000*5 = 2,000 + 2,500 + 600 + 5,000 = 10,100 µ$",
        "0.0101",
        {"input": "0.002", "cache_write": "0.0025", "cache_read": "0.0006", "output": "0.005"},
    ),
    Case(
        "anthropic-opus-4.5-cache-read-and-thinking",
        "anthropic",
        "claude-opus-4-5-20251101",
        {"input": 20_000, "cache_read": 15_000, "output": 3_000, "reasoning": 2_000},
        "2025-12-01T12:00:00",
        "Claude Opus 4.5: $5/M in, $0.50/M read, $25/M out (thinking billed as output): "
        "5,000*5 + 15,000*0.50 + 3,000*25 = 25,000 + 7,500 + 75,000 = 107,500 µ$",
        "0.1075",
        {"input": "0.025", "cache_read": "0.0075", "output": "0.075"},
    ),
    Case(
        "anthropic-sonnet-4.5-past-200k-input-every-token-at-the-long-context-rate",
        "anthropic",
        "claude-sonnet-4-5-20250929",
        {"input": 250_000, "cache_read": 50_000, "output": 4_000},
        "2025-10-15T12:00:00",
        "Claude Sonnet 4.5, over 200K input tokens (cache included): $6/M in, $0.60/M read, $22.50/M out: "
        "200,000*6 + 50,000*0.60 + 4,000*22.50 = 1,200,000 + 30,000 + 90,000 = 1,320,000 µ$",
        "1.32",
        {"input": "1.2", "cache_read": "0.03", "output": "0.09"},
    ),
    Case(
        "anthropic-sonnet-4.5-at-exactly-200k-input-stays-at-the-base-rate",
        "anthropic",
        "claude-sonnet-4-5-20250929",
        {"input": 200_000, "output": 1_000},
        "2025-10-15T12:00:00",
        "Claude Sonnet 4.5, ≤ 200K input tokens: $3/M in, $15/M out: "
        "200,000*3 + 1,000*15 = 600,000 + 15,000 = 615,000 µ$",
        "0.615",
        {"input": "0.6", "output": "0.015"},
    ),
    Case(
        "anthropic-sonnet-3.7-extended-thinking-billed-as-output",
        "anthropic",
        "claude-3-7-sonnet-20250219",
        {"input": 1_000, "output": 10_000, "reasoning": 8_000},
        "2025-04-01T12:00:00",
        "Claude Sonnet 3.7: $3/M in, $15/M out, thinking tokens are output: "
        "1,000*3 + 10,000*15 = 3,000 + 150,000 = 153,000 µ$",
        "0.153",
        {"input": "0.003", "output": "0.15"},
    ),
]

# --- Google Gemini -----------------------------------------------------------------------------------
GEMINI = [
    Case(
        "gemini-2.5-pro-below-the-200k-tier",
        "gcp.gemini",
        "gemini-2.5-pro",
        {"input": 150_000, "output": 5_000, "reasoning": 3_000},
        "2025-08-15T12:00:00",
        "Gemini 2.5 Pro, prompt ≤ 200k tokens: $1.25/M in, $10/M out (thinking included): "
        "150,000*1.25 + 5,000*10 = 187,500 + 50,000 = 237,500 µ$",
        "0.2375",
        {"input": "0.1875", "output": "0.05"},
        source="genai-prices:google/gemini-2.5-pro",
    ),
    Case(
        "gemini-2.5-pro-at-exactly-200k-stays-below-the-tier",
        "gcp.gemini",
        "gemini-2.5-pro",
        {"input": 200_000, "output": 1_000},
        "2025-08-15T12:00:00",
        "Gemini 2.5 Pro, prompt ≤ 200k tokens: $1.25/M in, $10/M out: "
        "200,000*1.25 + 1,000*10 = 250,000 + 10,000 = 260,000 µ$",
        "0.26",
        {"input": "0.25", "output": "0.01"},
    ),
    Case(
        "gemini-2.5-pro-above-the-200k-tier",
        "gcp.gemini",
        "gemini-2.5-pro",
        {"input": 300_000, "output": 5_000, "reasoning": 1_000},
        "2025-08-15T12:00:00",
        "Gemini 2.5 Pro, prompt > 200k tokens: $2.50/M in, $15/M out for every token: "
        "300,000*2.50 + 5,000*15 = 750,000 + 75,000 = 825,000 µ$",
        "0.825",
        {"input": "0.75", "output": "0.075"},
    ),
    Case(
        "gemini-2.5-flash-thoughts-billed-as-output",
        "gcp.gemini",
        "gemini-2.5-flash",
        {"input": 2_000, "output": 3_000, "reasoning": 2_500},
        "2025-08-15T12:00:00",
        "Gemini 2.5 Flash: $0.30/M text in, $2.50/M out including thinking; 500 candidate + 2,500 thought "
        "tokens = 3,000 out: 2,000*0.30 + 3,000*2.50 = 600 + 7,500 = 8,100 µ$",
        "0.0081",
        {"input": "0.0006", "output": "0.0075"},
        source="genai-prices:google/gemini-2.5-flash",
    ),
    Case(
        "gemini-2.5-flash-lite-on-vertex-ai",
        "gcp.vertex_ai",
        "gemini-2.5-flash-lite",
        {"input": 100_000, "output": 2_000},
        "2025-08-15T12:00:00",
        "Gemini 2.5 Flash-Lite: $0.10/M text in, $0.40/M out: 100,000*0.10 + 2,000*0.40 = 10,000 + 800 "
        "= 10,800 µ$",
        "0.0108",
        {"input": "0.01", "output": "0.0008"},
    ),
    Case(
        "gemini-2.0-flash-dated-version",
        "gcp.gemini",
        "gemini-2.0-flash-001",
        {"input": 40_000, "output": 2_000},
        "2025-08-15T12:00:00",
        "Gemini 2.0 Flash: $0.10/M text in, $0.40/M out: 40,000*0.10 + 2,000*0.40 = 4,000 + 800 = 4,800 µ$",
        "0.0048",
        {"input": "0.004", "output": "0.0008"},
    ),
]

# --- Amazon Bedrock ----------------------------------------------------------------------------------
BEDROCK = [
    Case(
        "bedrock-claude-3.7-sonnet-cross-region-with-cache-read",
        "aws.bedrock",
        "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        {"input": 8_000, "cache_read": 5_000, "output": 1_000},
        "2025-08-15T12:00:00",
        "Bedrock Claude 3.7 Sonnet: $3/M in, $0.30/M cache read, $15/M out: "
        "3,000*3 + 5,000*0.30 + 1,000*15 = 9,000 + 1,500 + 15,000 = 25,500 µ$",
        "0.0255",
        {"input": "0.009", "cache_read": "0.0015", "output": "0.015"},
    ),
    Case(
        "bedrock-claude-3-haiku",
        "aws.bedrock",
        "anthropic.claude-3-haiku-20240307-v1:0",
        {"input": 100_000, "output": 10_000},
        "2025-08-15T12:00:00",
        "Bedrock Claude 3 Haiku: $0.25/M in, $1.25/M out: 100,000*0.25 + 10,000*1.25 = 25,000 + 12,500 "
        "= 37,500 µ$",
        "0.0375",
        {"input": "0.025", "output": "0.0125"},
    ),
    Case(
        "bedrock-nova-pro",
        "aws.bedrock",
        "us.amazon.nova-pro-v1:0",
        {"input": 10_000, "output": 2_000},
        "2025-08-15T12:00:00",
        "Bedrock Amazon Nova Pro: $0.80/M in, $3.20/M out: 10,000*0.80 + 2,000*3.20 = 8,000 + 6,400 "
        "= 14,400 µ$",
        "0.0144",
        {"input": "0.008", "output": "0.0064"},
        source="genai-prices:aws/amazon.nova-pro-v1:0",
    ),
    Case(
        "bedrock-nova-micro-cache-read",
        "aws.bedrock",
        "amazon.nova-micro-v1:0",
        {"input": 40_000, "cache_read": 32_000, "output": 1_000},
        "2025-08-15T12:00:00",
        "Bedrock Amazon Nova Micro: $0.035/M in, $0.00875/M cache read, $0.14/M out: "
        "8,000*0.035 + 32,000*0.00875 + 1,000*0.14 = 280 + 280 + 140 = 700 µ$",
        "0.0007",
        {"input": "0.00028", "cache_read": "0.00028", "output": "0.00014"},
    ),
    Case(
        "bedrock-batch-nova-lite-at-half-price",
        "aws.bedrock",
        "amazon.nova-lite-v1:0",
        {"input": 1_000_000, "output": 100_000},
        "2025-08-15T12:00:00",
        "Bedrock Amazon Nova Lite: $0.06/M in, $0.24/M out; batch inference 50% off: "
        "(1,000,000*0.06 + 100,000*0.24) * 0.5 = (60,000 + 24,000) * 0.5 = 42,000 µ$",
        "0.042",
        {"input": "0.03", "output": "0.012"},
        attributes=BATCH,
    ),
]

# --- Mistral and DeepSeek ----------------------------------------------------------------------------
MISTRAL_DEEPSEEK = [
    Case(
        "mistral-large-2411",
        "mistral_ai",
        "mistral-large-2411",
        {"input": 10_000, "output": 2_000},
        "2025-03-03T12:00:00",
        "Mistral Large 24.11: $2/M in, $6/M out: 10,000*2 + 2,000*6 = 20,000 + 12,000 = 32,000 µ$",
        "0.032",
        {"input": "0.02", "output": "0.012"},
        source="genai-prices:mistral/mistral-large",
    ),
    Case(
        "mistral-small-3.2",
        "mistral_ai",
        "mistral-small-2506",
        {"input": 50_000, "output": 5_000},
        "2025-08-15T12:00:00",
        "Mistral Small 3.2: $0.10/M in, $0.30/M out: 50,000*0.10 + 5,000*0.30 = 5,000 + 1,500 = 6,500 µ$",
        "0.0065",
        {"input": "0.005", "output": "0.0015"},
    ),
    Case(
        "mistral-codestral-2501",
        "mistral_ai",
        "codestral-2501",
        {"input": 20_000, "output": 1_000},
        "2025-03-03T12:00:00",
        "Codestral 25.01: $0.30/M in, $0.90/M out: 20,000*0.30 + 1,000*0.90 = 6,000 + 900 = 6,900 µ$",
        "0.0069",
        {"input": "0.006", "output": "0.0009"},
    ),
    Case(
        "deepseek-chat-standard-hours-cache-hit-and-miss",
        "deepseek",
        "deepseek-chat",
        {"input": 10_000, "cache_read": 6_000, "output": 1_000},
        "2025-05-15T10:00:00",
        "DeepSeek-V3 (deepseek-chat), standard hours UTC 00:30-16:30: $0.27/M cache miss, $0.07/M cache "
        "hit, $1.10/M out: 4,000*0.27 + 6,000*0.07 + 1,000*1.10 = 1,080 + 420 + 1,100 = 2,600 µ$",
        "0.0026",
        {"input": "0.00108", "cache_read": "0.00042", "output": "0.0011"},
        source="genai-prices:deepseek/deepseek-chat",
    ),
    Case(
        "deepseek-chat-off-peak-half-price",
        "deepseek",
        "deepseek-chat",
        {"input": 10_000, "cache_read": 6_000, "output": 1_000},
        "2025-05-15T17:00:00",
        "deepseek-chat, off-peak UTC 16:30-00:30 (50% off): $0.135/M miss, $0.035/M hit, $0.55/M out: "
        "4,000*0.135 + 6,000*0.035 + 1,000*0.55 = 540 + 210 + 550 = 1,300 µ$",
        "0.0013",
        {"input": "0.00054", "cache_read": "0.00021", "output": "0.00055"},
    ),
    Case(
        "deepseek-reasoner-off-peak-reasoning-billed-as-output",
        "deepseek",
        "deepseek-reasoner",
        {"input": 10_000, "cache_read": 6_000, "output": 4_000, "reasoning": 3_000},
        "2025-05-15T20:00:00",
        "DeepSeek-R1 (deepseek-reasoner), off-peak (75% off): $0.135/M miss, $0.035/M hit, $0.55/M out "
        "(CoT included): 4,000*0.135 + 6,000*0.035 + 4,000*0.55 = 540 + 210 + 2,200 = 2,950 µ$",
        "0.00295",
        {"input": "0.00054", "cache_read": "0.00021", "output": "0.0022"},
    ),
]

# --- Batch and flex discounts ------------------------------------------------------------------------
DISCOUNTS = [
    Case(
        "batch-openai-gpt-4.1-mini-at-half-price",
        "openai",
        "gpt-4.1-mini",
        {"input": 1_000_000, "output": 100_000},
        "2025-08-15T12:00:00",
        "gpt-4.1-mini Batch API: $0.20/M in, $0.80/M out (half of $0.40/$1.60): "
        "1,000,000*0.20 + 100,000*0.80 = 200,000 + 80,000 = 280,000 µ$",
        "0.28",
        {"input": "0.2", "output": "0.08"},
        attributes=BATCH,
        source="genai-prices:openai/gpt-4.1-mini+batch(0.5)",
    ),
    Case(
        "batch-anthropic-sonnet-4-message-batches-at-half-price",
        "anthropic",
        "claude-sonnet-4-20250514",
        {"input": 100_000, "output": 10_000},
        "2025-08-15T12:00:00",
        "Claude Sonnet 4 Message Batches: $1.50/M in, $7.50/M out (half of $3/$15): "
        "100,000*1.50 + 10,000*7.50 = 150,000 + 75,000 = 225,000 µ$",
        "0.225",
        {"input": "0.15", "output": "0.075"},
        attributes={"tokentrail.batch": "True"},
    ),
    Case(
        "flex-openai-o4-mini-response-service-tier-at-half-price",
        "openai",
        "o4-mini",
        {"input": 20_000, "output": 10_000, "reasoning": 8_000},
        "2025-08-15T12:00:00",
        "o4-mini flex processing: $0.55/M in, $2.20/M out (half of $1.10/$4.40): "
        "20,000*0.55 + 10,000*2.20 = 11,000 + 22,000 = 33,000 µ$",
        "0.033",
        {"input": "0.011", "output": "0.022"},
        attributes={"openai.response.service_tier": "flex"},
    ),
    Case(
        "flex-openai-o3-request-service-tier-with-cached-input",
        "openai",
        "o3",
        {"input": 20_000, "cache_read": 10_000, "output": 5_000},
        "2025-08-15T12:00:00",
        "o3 flex processing: $1.00/M in, $0.25/M cached, $4.00/M out (half of $2/$0.50/$8): "
        "10,000*1 + 10,000*0.25 + 5,000*4 = 10,000 + 2,500 + 20,000 = 32,500 µ$",
        "0.0325",
        {"input": "0.01", "cache_read": "0.0025", "output": "0.02"},
        attributes={"openai.request.service_tier": "flex"},
    ),
    Case(
        "default-service-tier-pays-the-list-price",
        "openai",
        "o4-mini",
        {"input": 20_000, "output": 10_000},
        "2025-08-15T12:00:00",
        "o4-mini standard tier: $1.10/M in, $4.40/M out: 20,000*1.10 + 10,000*4.40 = 22,000 + 44,000 "
        "= 66,000 µ$",
        "0.066",
        {"input": "0.022", "output": "0.044"},
        attributes={"openai.response.service_tier": "default"},
        source="genai-prices:openai/o4-mini",
    ),
]

# --- User rules --------------------------------------------------------------------------------------
FT_NANO_RULE = {
    "id": "ft-nano-support",
    "match": "ft:gpt-4.1-nano-2025-04-14:acme:*",
    "provider": "openai",
    "prices": {"input": "0.20", "cache_read": "0.05", "output": "0.80"},
    "note": "OpenAI fine-tuned gpt-4.1-nano usage: $0.20/M in, $0.05/M cached, $0.80/M out",
}
FT_NANO = "ft:gpt-4.1-nano-2025-04-14:acme:support:BkX9a1Qz"
SONNET_COMMIT = {
    "id": "sonnet-commit",
    "match": "claude-sonnet-4-2025*",
    "provider": "anthropic",
    "effective_from": "2025-09-01",
    "prices": {"input": "2.40", "output": "12"},
    "note": "committed-use discount, 20% off list, from September 2025",
}
RULES = [
    Case(
        "rule-overrides-the-catalog-price-of-gpt-4o",
        "openai",
        "gpt-4o",
        {"input": 1_200, "cache_read": 1_000, "output": 80},
        "2025-03-03T12:00:00",
        "negotiated gpt-4o rule: $2.00/M in, $1.00/M cached, $8.00/M out (list: $2.50/$1.25/$10): "
        "200*2 + 1,000*1 + 80*8 = 400 + 1,000 + 640 = 2,040 µ$",
        "0.00204",
        {"input": "0.0004", "cache_read": "0.001", "output": "0.00064"},
        rules=(
            {
                "id": "negotiated-gpt-4o",
                "match": "gpt-4o",
                "provider": "openai",
                "prices": {"input": "2.00", "cache_read": "1.00", "output": "8.00"},
            },
        ),
        source="rule:negotiated-gpt-4o",
    ),
    Case(
        "rule-with-a-pattern-prices-an-unknown-fine-tuned-model",
        "openai",
        FT_NANO,
        {"input": 10_000, "cache_read": 4_000, "output": 500},
        "2025-08-15T12:00:00",
        "rule ft:gpt-4.1-nano-2025-04-14:acme:* at OpenAI's fine-tuned gpt-4.1-nano price: $0.20/M in, "
        "$0.05/M cached, $0.80/M out: 6,000*0.20 + 4,000*0.05 + 500*0.80 = 1,200 + 200 + 400 = 1,800 µ$",
        "0.0018",
        {"input": "0.0012", "cache_read": "0.0002", "output": "0.0004"},
        rules=(FT_NANO_RULE,),
        source="rule:ft-nano-support",
    ),
    Case(
        "rule-priced-span-in-the-batch-api-at-half-price",
        "openai",
        FT_NANO,
        {"input": 10_000, "output": 500},
        "2025-08-15T12:00:00",
        "fine-tuned gpt-4.1-nano rule, $0.20/M in, $0.80/M out, through the Batch API (50% off): "
        "(10,000*0.20 + 500*0.80) * 0.5 = (2,000 + 400) * 0.5 = 1,200 µ$",
        "0.0012",
        {"input": "0.001", "output": "0.0002"},
        rules=(FT_NANO_RULE,),
        attributes=BATCH,
        source="rule:ft-nano-support+batch(0.5)",
    ),
    Case(
        "rule-taking-effect-on-a-date-leaves-the-day-before-to-the-catalog",
        "anthropic",
        "claude-sonnet-4-20250514",
        {"input": 10_000, "output": 1_000},
        "2025-08-31T23:59:59",
        "before the rule's 2025-09-01 start, Claude Sonnet 4 list: $3/M in, $15/M out: "
        "10,000*3 + 1,000*15 = 30,000 + 15,000 = 45,000 µ$",
        "0.045",
        {"input": "0.03", "output": "0.015"},
        rules=(SONNET_COMMIT,),
        source="genai-prices:anthropic/claude-sonnet-4-0",
    ),
    Case(
        "rule-taking-effect-on-a-date-prices-spans-from-that-midnight",
        "anthropic",
        "claude-sonnet-4-20250514",
        {"input": 10_000, "output": 1_000},
        "2025-09-01T00:00:00",
        "from 2025-09-01 the committed-use rule: $2.40/M in, $12/M out: "
        "10,000*2.40 + 1,000*12 = 24,000 + 12,000 = 36,000 µ$",
        "0.036",
        {"input": "0.024", "output": "0.012"},
        rules=(SONNET_COMMIT,),
        source="rule:sonnet-commit",
    ),
    Case(
        "rule-with-a-request-fee-charges-it-once-per-call",
        "perplexity",
        "sonar",
        {"input": 2_000, "output": 500},
        "2025-08-15T12:00:00",
        "Perplexity Sonar, low search context: $1/M in, $1/M out, $5 per 1,000 requests: "
        "2,000*1 + 500*1 + 1 request * $0.005 = 2,000 + 500 + 5,000 = 7,500 µ$",
        "0.0075",
        {"input": "0.002", "output": "0.0005", "requests": "0.005"},
        rules=(
            {
                "id": "sonar-low-context",
                "match": "sonar",
                "provider": "perplexity",
                "prices": {"input": "1", "output": "1", "request": "0.005"},
            },
        ),
        source="rule:sonar-low-context",
    ),
    # Rules are stored per (project, id), so two projects may each have a rule of the same id.
    Case(
        "rule-of-the-spans-own-project-applies-when-another-project-uses-the-same-rule-id",
        "openai",
        "gpt-4o",
        {"input": 1_000_000, "output": 100_000},
        "2025-03-03T12:00:00",
        "project shop's rule 'negotiated': $2/M in, $8/M out (project lab's rule of the same id, "
        "$1/$4, is not shop's): 1,000,000*2 + 100,000*8 = 2,000,000 + 800,000 = 2,800,000 µ$",
        "2.8",
        {"input": "2", "output": "0.8"},
        rules=(
            {
                "id": "negotiated",
                "project": "shop",
                "match": "gpt-4o",
                "prices": {"input": "2", "output": "8"},
            },
            {
                "id": "negotiated",
                "project": "lab",
                "match": "gpt-4o",
                "prices": {"input": "1", "output": "4"},
            },
        ),
        source="rule:negotiated",
    ),
]

# --- Costs a span reports, and per-call prices -------------------------------------------------------
REPORTED_AND_CALLS = [
    Case(
        "provided-total-wins-over-the-catalog",
        "openai",
        "gpt-4o",
        {"input": 1_000, "output": 100},
        "2025-03-03T12:00:00",
        "the span reports $0.0042 (its gateway's bill); the catalog's 1,000*2.50 + 100*10 = 3,500 µ$ "
        "is not used",
        "0.0042",
        {"total": "0.0042"},
        reported={"total": "0.0042"},
        origin=CostOrigin.PROVIDED,
        source="reported",
    ),
    Case(
        "provided-components-win-and-their-total-is-not-counted-twice",
        "anthropic",
        "claude-sonnet-4-20250514",
        {"input": 1_000, "output": 100},
        "2025-08-15T12:00:00",
        "the span reports input $0.0025, output $0.001 and total $0.0035: the components are kept, "
        "2,500 + 1,000 = 3,500 µ$ (not 7,000)",
        "0.0035",
        {"input": "0.0025", "output": "0.001"},
        reported={"input": "0.0025", "output": "0.001", "total": "0.0035"},
        origin=CostOrigin.PROVIDED,
        source="reported",
    ),
    Case(
        "call-rule-prices-a-tool-call-by-its-tool-name",
        "",
        "",
        {},
        "2025-08-15T12:00:00",
        "Tavily search, basic depth: 1 API credit at $0.008 pay-as-you-go: 1 call * $0.008 = 8,000 µ$",
        "0.008",
        {"tool": "0.008"},
        rules=(
            {"id": "tavily-basic", "kind": "call", "match": "tavily_search", "prices": {"call": "0.008"}},
        ),
        attributes={"gen_ai.tool.name": "tavily_search"},
        kind=SpanKind.TOOL,
        name="execute_tool tavily_search",
        origin=CostOrigin.CUSTOM,
        source="rule:tavily-basic",
    ),
    Case(
        "call-rule-prices-a-rerank-per-search-unit",
        "cohere",
        "rerank-v3.5",
        {},
        "2025-08-15T12:00:00",
        "Cohere Rerank 3.5: $2.00 per 1,000 searches (a search: one query, up to 100 documents): "
        "1 search * $2.00 / 1,000 = 2,000 µ$",
        "0.002",
        {"rerank": "0.002"},
        rules=({"id": "cohere-rerank", "kind": "call", "match": "rerank-v3.5", "prices": {"call": "0.002"}},),
        kind=SpanKind.RERANK,
        name="rerank",
        origin=CostOrigin.CUSTOM,
        source="rule:cohere-rerank",
    ),
]

PRICED = [*OPENAI, *PRICE_CHANGE, *ANTHROPIC, *GEMINI, *BEDROCK, *MISTRAL_DEEPSEEK, *DISCOUNTS, *RULES]
PRICED += REPORTED_AND_CALLS

# --- Spans that cannot be priced, and why --------------------------------------------------------------
UNPRICED = [
    Case(
        "unpriced-unknown-model",
        "openai",
        "gpt-17-ultra",
        {"input": 10, "output": 5},
        "2025-08-15T12:00:00",
        "no price sheet lists gpt-17-ultra",
        reason=Unpriced.UNKNOWN_MODEL,
    ),
    Case(
        "unpriced-fine-tuned-model-without-a-rule",
        "openai",
        FT_NANO,
        {"input": 10_000, "output": 500},
        "2025-08-15T12:00:00",
        "the catalog has no fine-tuned gpt-4.1-nano; without a rule there is no price",
        reason=Unpriced.UNKNOWN_MODEL,
    ),
    Case(
        "unpriced-no-usage",
        "openai",
        "gpt-4o",
        {},
        "2025-08-15T12:00:00",
        "a call that failed before the provider answered: no token counts, so no cost (not $0)",
        reason=Unpriced.NO_USAGE,
    ),
    Case(
        "unpriced-no-model",
        "openai",
        "",
        {"input": 10, "output": 5},
        "2025-08-15T12:00:00",
        "usage but no model: nothing to look up",
        reason=Unpriced.NO_MODEL,
    ),
    Case(
        "unpriced-ambiguous-provider-for-gpt-4o-through-an-unknown-gateway",
        "acme-gateway",
        "gpt-4o",
        {"input": 1_000, "output": 100},
        "2025-08-15T12:00:00",
        "gpt-4o is sold by OpenAI, Azure, OpenRouter ... at different prices; acme-gateway is none of them",
        reason=Unpriced.AMBIGUOUS_PROVIDER,
    ),
    Case(
        "unpriced-more-cached-than-input-tokens",
        "openai",
        "gpt-4o",
        {"input": 100, "cache_read": 400, "output": 5},
        "2025-08-15T12:00:00",
        "400 cached tokens cannot be part of 100 input tokens",
        reason=Unpriced.INVALID_USAGE,
    ),
]


@pytest.mark.parametrize("case", PRICED, ids=lambda case: case.id)
def test_span_costs_exactly_what_the_price_sheet_says(case: Case) -> None:
    span = priced(case)

    assert case.total is not None
    assert (span.unpriced_reason, span.cost_origin) == (None, case.origin), case.why
    assert span.cost_total == Decimal(case.total), f"{case.why}; got {span.cost}"
    if case.by_type is not None:
        assert span.cost == {kind: Decimal(amount) for kind, amount in case.by_type.items()}, case.why
    if case.source:
        assert span.price_source == case.source


@pytest.mark.parametrize("case", UNPRICED, ids=lambda case: case.id)
def test_span_that_cannot_be_priced_has_no_cost_and_says_why(case: Case) -> None:
    span = priced(case)

    assert span.unpriced_reason is case.reason, case.why
    assert (span.cost, span.cost_origin, span.price_source) == ({}, None, "")


def usage_is_consistent(usage: dict[str, int]) -> bool:
    """Parts within their whole, as the canonical usage defines them."""
    cached = usage.get("cache_read", 0) + usage.get("cache_write", 0)
    return (
        cached <= usage.get("input", 0)
        and usage.get("cache_write_1h", 0) <= usage.get("cache_write", 0)
        and usage.get("reasoning", 0) <= usage.get("output", 0)
    )


def test_every_golden_case_shows_its_arithmetic_and_has_a_unique_id() -> None:
    cases = [*PRICED, *UNPRICED]

    assert len(cases) >= 40
    assert len({case.id for case in cases}) == len(cases)
    assert all(case.why and (case.total is None) == (case.reason is not None) for case in cases)
    assert all(usage_is_consistent(case.usage) for case in PRICED)
