"""What a correct normalizer makes of an OpenAI or Anthropic call, stated independently of the product: the
facts of a priced span as one comparable dict, and the call's usage and cost from the reply the stand-in
gave and the genai-prices data."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from prices import MTOK, per_mtok

if TYPE_CHECKING:
    from tests.compat.conftest import Exported

    from providers.anthropic_api import Reply as AnthropicReply


def openai_cost(model: str, when_ns: int, usage: dict[str, int]) -> Decimal:
    """OpenAI's bill for ``usage`` (canonical keys): cached input at the cache-read rate, the rest of the
    input at the input rate, all output (reasoning included) at the output rate."""
    prices = per_mtok(model, "openai", when_ns)
    cached = usage.get("cache_read", 0)
    total = (usage["input"] - cached) * prices["input_mtok"]
    if cached:
        total += cached * prices["cache_read_mtok"]
    if usage.get("output"):
        total += usage["output"] * prices["output_mtok"]
    return total / MTOK


def anthropic_usage(reply: AnthropicReply, *, output: int | None = None) -> dict[str, int]:
    """The canonical usage of an Anthropic reply: input counts every input token, the cache parts included;
    ``output`` stands for the reply's output tokens where the instrumentation reports another count."""
    usage = {
        "input": reply.input_tokens + reply.cache_creation_input_tokens + reply.cache_read_input_tokens,
        "output": reply.output_tokens if output is None else output,
    }
    if reply.cache_creation_input_tokens:
        usage["cache_write"] = reply.cache_creation_input_tokens
    if reply.cache_creation_1h:
        usage["cache_write_1h"] = reply.cache_creation_1h
    if reply.cache_read_input_tokens:
        usage["cache_read"] = reply.cache_read_input_tokens
    return usage


def anthropic_cost(model: str, reply: AnthropicReply, when_ns: int) -> Decimal:
    """Anthropic's bill for ``reply`` from ``model``: uncached input, 5-minute and 1-hour cache writes,
    cache reads and output, each at its own rate."""
    prices = per_mtok(model, "anthropic", when_ns)
    five_minute_writes = reply.cache_creation_input_tokens - reply.cache_creation_1h
    return (
        reply.input_tokens * prices["input_mtok"]
        + five_minute_writes * prices["cache_write_mtok"]
        + reply.cache_creation_1h * prices["cache_write_1h_mtok"]
        + reply.cache_read_input_tokens * prices["cache_read_mtok"]
        + reply.output_tokens * prices["output_mtok"]
    ) / MTOK


def nonzero(usage: dict[str, int]) -> dict[str, int]:
    """Usage without its zero counts (a zero and an absent count say the same)."""
    return {key: count for key, count in usage.items() if count}


def priced_facts(node: dict[str, Any]) -> dict[str, Any]:
    """An LLM or embedding node of a trace tree, reduced to what the normalizer and pricing decided.

    Zero counts are left out of ``usage`` (a zero and an absent count say the same); ``model`` is the
    model that served the call (the response model, else the requested one)."""
    usage = nonzero(node["usage"])
    total = node["cost"]["total"]
    return {
        "kind": node["kind"],
        "provider": node["provider"],
        "model": node["response_model"] or node["request_model"],
        "usage": usage,
        "usage_source": {key: node["usage_source"].get(key) for key in usage},
        "cost": None if total is None else Decimal(total),
        "origin": node["cost"]["origin"],
        "unpriced_reason": node["cost"]["unpriced_reason"],
        "duplicate_of": node["duplicate_of"],
    }


def openai_call(
    node: dict[str, Any], *, model: str, usage: dict[str, int], kind: str = "llm"
) -> dict[str, Any]:
    """The facts :func:`priced_facts` must find for an OpenAI call of ``model`` that reported ``usage``,
    priced at the prices in force when ``node`` started."""
    return {
        "kind": kind,
        "provider": "openai",
        "model": model,
        "usage": usage,
        "usage_source": dict.fromkeys(usage, "attribute"),
        "cost": openai_cost(model, node["start_ns"], usage),
        "origin": "inferred",
        "unpriced_reason": None,
        "duplicate_of": None,
    }


def named(tree: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The tree's spans called ``name``, depth-first in start order."""
    return [node for node in tree["spans"] if node["name"] == name]


def trace_row(exported: Exported, trace_id: str) -> dict[str, Any]:
    """The trace's row in ``GET /api/v1/traces``."""
    rows = exported.server.get("/api/v1/traces", limit=100).json()["traces"]
    (row,) = [row for row in rows if row["trace_id"] == trace_id]
    return row


def costs(tree: dict[str, Any]) -> Decimal:
    """The sum of the costs the tree's spans show, duplicates left out."""
    return sum(
        (Decimal(node["cost"]["total"] or 0) for node in tree["spans"] if not node["duplicate_of"]),
        Decimal(0),
    )
