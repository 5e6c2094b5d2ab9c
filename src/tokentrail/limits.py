"""What a span's numbers may be: what the store's columns hold, and what any provider could bill.

A client the operator does not control can send any number. One the store cannot hold (a cost past
``Decimal(38, 18)``, a count past ``UInt64``, a time past 2262) would be refused by ClickHouse or
wrapped into another number; one it can hold but no model could bill (a trillion tokens in one call)
would be priced as an absurd cost. :func:`check_usage` and :func:`check_stated_cost` run on each
normalized span before pricing: an impossible value is taken off the span (kept as a raw attribute, so
nothing sent is lost) with a warning for the request's ``partial_success``, and the span is stored with
everything else it said. Times are checked at decoding (:mod:`tokentrail.ingest.otlp`).

A request's shape is bounded too (:class:`RequestLimits`, applied at decoding): spans per request (more:
the request is refused, nothing stored), attributes per span (the surplus dropped, the ones conventions
read kept), characters per value (cut, with a marker) and nesting depth (the deeper part a marker).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import orjson

from tokentrail.model import Span

__all__ = [
    "DROPPED_ATTRIBUTES",
    "INVALID_COST_ATTRIBUTE",
    "INVALID_USAGE_ATTRIBUTE",
    "MAX_STORABLE_COST",
    "MAX_TIME_NS",
    "TRUNCATED",
    "Limits",
    "RequestLimits",
    "check_stated_cost",
    "check_usage",
]

#: The latest Unix time in nanoseconds the store's ``Int64`` columns hold (2262-04-11T23:47:16Z).
MAX_TIME_NS = 2**63 - 1
#: The largest amount a ``Decimal(38, 18)`` money column holds.
MAX_STORABLE_COST = Decimal("99999999999999999999.999999999999999999")
#: Where a span's usage goes when one of its counts is impossible: the counts as sent, as JSON text.
INVALID_USAGE_ATTRIBUTE = "tokentrail.invalid_usage"
#: Where a span's stated cost goes when it is over the ceiling: the amounts as sent, as JSON text.
INVALID_COST_ATTRIBUTE = "tokentrail.invalid_cost"
#: Set on a span that lost attributes over the limit: how many.
DROPPED_ATTRIBUTES = "tokentrail.dropped_attributes"
#: Set (true) on a span one of whose values was cut (it ends with a marker) or nested too deep.
TRUNCATED = "tokentrail.truncated"
#: OTel SDKs keep 128 attributes a span by default; a long chat flattened into ``llm.input_messages.*``
#: takes several hundred.
DEFAULT_MAX_ATTRIBUTES = 1_000
#: Spans one request may carry: exporters send a few hundred to a few thousand at a time.
DEFAULT_MAX_SPANS = 20_000
#: Levels of arrays and maps inside an attribute value; OTLP's parser refuses about 30 anyway.
DEFAULT_MAX_DEPTH = 16
#: The largest context windows are about ten million tokens and an embedding batch a few tens of millions:
#: a billion leaves room for anything real and stops counts that can only be garbage (1e30, 2^63).
DEFAULT_MAX_TOKENS = 1_000_000_000
#: No single call, tool or step costs a million dollars; a higher stated cost is a unit or encoding error.
DEFAULT_MAX_COST_USD = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Limits:
    """The bounds a span's usage and stated cost are held to (settings: see :mod:`tokentrail.config`)."""

    #: Most tokens (or requests, or searches) of one type one span may bill.
    max_tokens: int = DEFAULT_MAX_TOKENS
    #: Most USD one span may state it cost, per type and in all.
    max_cost_usd: Decimal = DEFAULT_MAX_COST_USD

    def __post_init__(self) -> None:
        if not (self.max_cost_usd.is_finite() and 0 < self.max_cost_usd <= MAX_STORABLE_COST):
            raise ValueError(f"the cost ceiling must be more than 0 and at most {MAX_STORABLE_COST}")
        if not 0 < self.max_tokens < 2**64:
            raise ValueError("the token ceiling must be more than 0 and less than 2^64")


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """The shape an OTLP request is held to at decoding (settings: see :mod:`tokentrail.config`)."""

    #: More spans than this in one request: the request is refused (413).
    max_spans: int = DEFAULT_MAX_SPANS
    #: Attributes a span (an event, a resource) keeps; past it only the ones conventions read are kept.
    max_attributes: int = DEFAULT_MAX_ATTRIBUTES
    #: Characters a value keeps before it is cut with a marker (``TOKENTRAIL_MAX_PAYLOAD_CHARS``).
    max_value_chars: int = 65536
    #: Levels of arrays and maps a value keeps.
    max_depth: int = DEFAULT_MAX_DEPTH


def check_usage(span: Span, limits: Limits) -> str | None:
    """Take usage with a count over ``limits.max_tokens`` (or not a whole count) off the span; a warning
    when it did.

    The whole usage goes, not just the bad count: a call priced from what is left would be priced from
    a part. Pricing then leaves the span unpriced with reason ``invalid_usage``.
    """
    ceiling = limits.max_tokens
    over = {
        kind: count
        for kind, count in span.usage.items()
        if type(count) is not int or not 0 <= count <= ceiling  # a payload parser's float or bool too
    }
    if not over:
        return None
    span.attributes[INVALID_USAGE_ATTRIBUTE] = _json({kind: str(count) for kind, count in span.usage.items()})
    span.usage, span.usage_source, span.usage_parser = {}, {}, ""
    return (
        f"span {span.span_id}: usage dropped, {_listed(over)} is not a count from 0 to {ceiling:,} tokens "
        "(TOKENTRAIL_MAX_TOKENS_PER_SPAN); the span is unpriced (invalid_usage)"
    )


def check_stated_cost(span: Span, limits: Limits) -> str | None:
    """Take a stated cost over ``limits.max_cost_usd`` off the span; a warning when it did.

    An LLM call is then priced from its usage; any other span is left unpriced with reason
    ``invalid_cost``.
    """
    stated = span.reported_cost
    ceiling = limits.max_cost_usd
    # Each amount first: a sum of two absurd amounts could overflow the decimal context itself.
    if not stated or (
        all(amount <= ceiling for amount in stated.values()) and sum(stated.values()) <= ceiling
    ):
        return None
    span.attributes[INVALID_COST_ATTRIBUTE] = _json({kind: str(amount) for kind, amount in stated.items()})
    span.reported_cost = {}
    return (
        f"span {span.span_id}: stated cost dropped, {_listed(stated)} USD is over the ceiling of "
        f"{ceiling} USD a span (TOKENTRAIL_MAX_SPAN_COST_USD)"
    )


def _listed(values: Mapping[str, object]) -> str:
    return ", ".join(f"{kind}={value}" for kind, value in values.items())


def _json(values: Mapping[str, str]) -> str:
    # orjson itself, not semconv's encoder: semconv reads the provider facts pricing loads, and pricing
    # imports this module.
    return orjson.dumps(values).decode()
