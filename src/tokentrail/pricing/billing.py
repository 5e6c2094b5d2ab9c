"""How each provider's own API counts tokens, as data: whether its input count includes the prompt-cache
reads and writes, and whether its output count includes reasoning.

tokentrail's usage always means input including the cache and output including reasoning (see
:mod:`tokentrail.model`). Conventions say so too, and the tables read each convention in its own meaning;
but hand-written instrumentation often copies the provider's numbers as they come. When a span's counts
can only be read the provider's way (a part larger than its whole: 2,048 cache reads in an "input" of 30),
:func:`make_whole` adds the parts back as that provider's API defines them, and marks the whole
``derived``. Counts that fit both readings are left as the convention says: they cannot be told apart.

Sources: OpenAI usage objects (``prompt_tokens_details.cached_tokens`` inside ``prompt_tokens``,
``completion_tokens_details.reasoning_tokens`` inside ``completion_tokens``); Anthropic Messages
(``input_tokens`` excludes ``cache_creation_input_tokens`` and ``cache_read_input_tokens``; thinking is
billed inside ``output_tokens``); Gemini ``usageMetadata`` (``cachedContentTokenCount`` inside
``promptTokenCount``, ``thoughtsTokenCount`` outside ``candidatesTokenCount``); Bedrock Converse
(``inputTokens`` excludes ``cacheReadInputTokens`` and ``cacheWriteInputTokens``, for every model family).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tokentrail.model import Span, UsageSource

__all__ = ["PROVIDER_COUNTING", "Counting", "make_whole"]


@dataclass(frozen=True, slots=True)
class Counting:
    cache_in_input: bool
    reasoning_in_output: bool


_OPENAI = Counting(cache_in_input=True, reasoning_in_output=True)
_GEMINI = Counting(cache_in_input=True, reasoning_in_output=False)
_ANTHROPIC = Counting(cache_in_input=False, reasoning_in_output=True)

#: OpenTelemetry provider name -> how its API counts.
PROVIDER_COUNTING: Mapping[str, Counting] = {
    "openai": _OPENAI,
    "azure.ai.openai": _OPENAI,
    "x_ai": _OPENAI,
    "deepseek": _OPENAI,
    "anthropic": _ANTHROPIC,
    "aws.bedrock": _ANTHROPIC,
    "gcp.gemini": _GEMINI,
    "gcp.vertex_ai": _GEMINI,
    "gcp.gen_ai": _GEMINI,
}

_CACHE_PARTS = ("cache_read", "cache_write")
_DERIVED = UsageSource.DERIVED.value


def make_whole(span: Span) -> bool:
    """Add parts the provider counts outside its whole, where the counts show it; True if changed."""
    counting = PROVIDER_COUNTING.get(span.provider)
    usage = span.usage
    if counting is None or not usage:
        return False
    changed = False
    cached = sum(usage.get(part, 0) for part in _CACHE_PARTS)
    if not counting.cache_in_input and "input" in usage and cached > usage["input"]:
        usage["input"] += cached
        span.usage_source["input"] = _DERIVED
        changed = True
    reasoning = usage.get("reasoning", 0)
    if not counting.reasoning_in_output and "output" in usage and reasoning > usage["output"]:
        usage["output"] += reasoning
        span.usage_source["output"] = _DERIVED
        changed = True
    return changed
