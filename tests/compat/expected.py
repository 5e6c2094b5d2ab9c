"""What a correct normalizer makes of an OpenAI, Anthropic or Gemini call, stated independently of the
product: the facts of a priced span as one comparable dict, and the call's usage and cost from the reply
the stand-in gave and the genai-prices data."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from prices import MTOK, per_mtok

if TYPE_CHECKING:
    from tests.compat.conftest import Exported

    from providers.anthropic_api import Reply as AnthropicReply
    from providers.gemini_api import Reply as GeminiReply


def openai_cost(model: str, when_ns: int, usage: dict[str, int]) -> Decimal:
    """OpenAI's bill for ``usage`` (canonical keys): cached input at the cache-read rate, the rest of the
    input at the input rate, all output (reasoning included) at the output rate."""
    return _cached_input_cost(per_mtok(model, "openai", when_ns), usage)


def _cached_input_cost(prices: dict[str, Decimal], usage: dict[str, int]) -> Decimal:
    """Cached input at the cache-read rate, the rest of the input at the input rate, all output at the
    output rate: how OpenAI and Gemini bill."""
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


def gemini_usage(reply: GeminiReply) -> dict[str, int]:
    """The canonical usage of a Gemini reply: input is ``promptTokenCount`` (the cached content inside it,
    and any tool-use prompt beside it); output is the answer AND the thinking (``candidatesTokenCount`` +
    ``thoughtsTokenCount``), reasoning the thinking alone."""
    usage = {
        "input": reply.prompt_tokens + reply.tool_use_prompt_tokens,
        "output": reply.candidates_tokens + reply.thoughts_tokens,
    }
    if reply.cached_tokens:
        usage["cache_read"] = reply.cached_tokens
    if reply.thoughts_tokens:
        usage["reasoning"] = reply.thoughts_tokens
    return usage


def gemini_cost(model: str, when_ns: int, usage: dict[str, int]) -> Decimal:
    """Google's bill for ``usage`` (canonical keys) on the Gemini API: cached input at the cache-read rate,
    the rest of the input at the input rate, all output (thinking included) at the output rate.

    genai-prices' ``google`` prices for text; context-cache storage (billed per hour, not per call) is not
    part of a call's cost. Models with tiered prices (``gemini-2.5-pro``, ``gemini-3-pro-preview``: a
    higher rate above 200k prompt tokens) are refused: their rate depends on the prompt's size, which
    this helper does not model; ``gemini-2.5-flash`` has flat prices."""
    prices = per_mtok(model, "google", when_ns)
    if "input_mtok" not in prices or "output_mtok" not in prices:
        raise ValueError(f"{model} has tiered prices; gemini_cost only computes flat ones")
    return _cached_input_cost(prices, usage)


def gemini_call(node: dict[str, Any], *, model: str, usage: dict[str, int]) -> dict[str, Any]:
    """The facts :func:`priced_facts` must find for a Gemini API call of ``model`` that reported ``usage``,
    priced at the prices in force when ``node`` started: one provider, ``gcp.gemini``, whatever the
    instrumentation calls it."""
    return {
        "kind": "llm",
        "provider": "gcp.gemini",
        "model": model,
        "usage": usage,
        "usage_source": dict.fromkeys(usage, "attribute"),
        "cost": gemini_cost(model, node["start_ns"], usage),
        "origin": "inferred",
        "unpriced_reason": None,
        "duplicate_of": None,
    }


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


def prompt_turns(exported: Exported, trace_id: str) -> list[dict[str, Any]]:
    """The trace's LLM calls in order, each with its prompt's tokens by source (``/prompt-sources``)."""
    response = exported.server.get(f"/api/v1/traces/{trace_id}/prompt-sources")
    assert response.status_code == 200, response.text
    return response.json()["turns"]


def attributed(counts: dict[str, int], reported: int) -> dict[str, int]:
    """Counts of the messages by source with the tokens the provider reported beyond them unattributed."""
    return {**counts, "unattributed": reported - sum(counts.values())}
