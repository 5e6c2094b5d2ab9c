"""Usage made whole the way each provider's own API counts tokens: whether its input count includes the
prompt-cache reads and writes, and whether its output count includes reasoning.

tokentrail's usage always means input including the cache and output including reasoning (see
:mod:`tokentrail.model`). Conventions say so too, and the tables read each convention in its own meaning;
but hand-written instrumentation often copies the provider's numbers as they come. When a span's counts
can only be read the provider's way (a part larger than its whole: 2,048 cache reads in an "input" of 30),
:func:`make_whole` adds the parts back as that provider's API defines them, and marks the whole
``derived``. Counts that fit both readings are left as the convention says: they cannot be told apart.

The counting rules, with their sources, are data: ``cache_in_input`` and ``reasoning_in_output`` per
provider in ``providers.toml`` (:data:`~tokentrail.pricing.providers.PROVIDER_COUNTING`).
"""

from __future__ import annotations

from tokentrail.model import Span, UsageSource
from tokentrail.pricing.providers import PROVIDER_COUNTING

__all__ = ["make_whole"]

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
