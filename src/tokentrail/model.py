"""The canonical span: what every source is normalized into.

Data flows one way: an OTLP decoder yields :class:`RawSpan` objects, a semconv mapper turns each into a
:class:`Span`, pricing fills in its cost, and the writer stores it.

Usage semantics (the same for every convention, whatever the emitter said):

- ``input`` counts *all* input tokens, cached ones included; ``cache_read`` and ``cache_write`` are the
  parts of ``input`` that were read from or written to a prompt cache, and ``cache_write_1h`` the part of
  ``cache_write`` written with a one-hour lifetime (Anthropic bills it at its own rate).
- ``output`` counts *all* output tokens; ``reasoning`` is the part of ``output`` spent on reasoning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tokentrail.money import sum_money

__all__ = [
    "FAILED_CALL",
    "PRICED_BY_USAGE",
    "USAGE_TYPES",
    "AttributeValue",
    "CostOrigin",
    "RawEvent",
    "RawSpan",
    "Span",
    "SpanKind",
    "Status",
    "Unpriced",
    "UsageSource",
]

AttributeValue = str | bool | int | float | bytes | list[Any] | dict[str, Any] | None


class SpanKind(StrEnum):
    """What a span did, independent of the convention that described it."""

    LLM = "llm"
    EMBEDDING = "embedding"
    RERANK = "rerank"
    RETRIEVAL = "retrieval"
    TOOL = "tool"
    AGENT = "agent"
    CHAIN = "chain"
    GUARDRAIL = "guardrail"
    EVALUATOR = "evaluator"
    HTTP = "http"
    DB = "db"
    OTHER = "other"


#: Kinds whose cost is inferred from token usage and a model's price.
PRICED_BY_USAGE = frozenset({SpanKind.LLM, SpanKind.EMBEDDING})


class Status(StrEnum):
    UNSET = "unset"
    OK = "ok"
    ERROR = "error"


class CostOrigin(StrEnum):
    """Where a span's cost came from."""

    PROVIDED = "provided"  # the span stated its own cost
    INFERRED = "inferred"  # usage x the model's price
    CUSTOM = "custom"  # a non-LLM cost (a tool's fee, a retrieval call ...) the span stated


class Unpriced(StrEnum):
    """Why a span that should have a price has none."""

    UNKNOWN_MODEL = "unknown_model"
    NO_USAGE = "no_usage"
    NO_MODEL = "no_model"
    INVALID_USAGE = "invalid_usage"
    #: The span stated a cost over the ceiling (a tool, a step), or its price would cost more than the
    #: store holds.
    INVALID_COST = "invalid_cost"
    #: The span names a provider the catalog does not know (a gateway, a proxy), and the model is sold by
    #: several known providers at different prices: no price is guessed.
    AMBIGUOUS_PROVIDER = "ambiguous_provider"


#: ``price_source`` of an LLM or embedding call that failed without usage (a 429, a 400): billed nothing,
#: so neither priced nor unpriced.
FAILED_CALL = "failed_call"


class UsageSource(StrEnum):
    """Where a usage number came from."""

    ATTRIBUTE = "attribute"
    PAYLOAD = "payload"
    ESTIMATE = "estimate"
    #: Worked out from other counts (a whole that left its parts out, made whole).
    DERIVED = "derived"


#: Usage types, in display order.
USAGE_TYPES = (
    "input",
    "output",
    "cache_read",
    "cache_write",
    "cache_write_1h",
    "reasoning",
    "audio_in",
    "audio_out",
    "image_in",
    "requests",
    "web_search",  # searches a model ran as a server-side tool (Anthropic, OpenAI), billed per thousand
)


@dataclass(slots=True)
class RawEvent:
    name: str
    time_ns: int
    attributes: dict[str, AttributeValue]


@dataclass(slots=True)
class RawSpan:
    """One decoded OTLP span, before any convention is applied. Ids are lower-case hex."""

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    start_ns: int
    end_ns: int
    status_code: int  # OTLP: 0 unset, 1 ok, 2 error
    status_message: str
    attributes: dict[str, AttributeValue]
    resource: dict[str, AttributeValue]
    scope_name: str = ""
    events: list[RawEvent] = field(default_factory=list)
    otel_kind: int = 0


@dataclass(slots=True)
class Span:
    """A normalized span, ready to be priced and stored."""

    project: str
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    service: str
    start_ns: int
    end_ns: int
    kind: SpanKind = SpanKind.OTHER
    status: Status = Status.UNSET
    error_type: str = ""
    error_message: str = ""
    error_stack: str = ""
    scope: str = ""
    provider: str = ""
    request_model: str = ""
    response_model: str = ""
    #: The provider's id for the response (``chatcmpl-...``, ``msg_...``): one id, one call.
    response_id: str = ""
    #: The tool (or other named step) the span ran, as its convention names it: what a per-call price
    #: rule is matched against before the model and the span's name.
    tool_name: str = ""
    #: The tier the call was billed at, as the span says: "" for list price, else a discount of
    #: ``pricing/providers.toml`` (``batch``, ``flex``).
    billing_tier: str = ""
    usage: dict[str, int] = field(default_factory=dict)
    usage_source: dict[str, str] = field(default_factory=dict)
    #: For usage read from a provider payload: the parser that read it (``genai-prices:openai/chat``).
    usage_parser: str = ""
    #: Cost the span states about itself, by type (``total`` when only a total is given).
    reported_cost: dict[str, Decimal] = field(default_factory=dict)
    cost: dict[str, Decimal] = field(default_factory=dict)
    cost_origin: CostOrigin | None = None
    unpriced_reason: Unpriced | None = None
    price_source: str = ""
    session_id: str = ""
    user_id: str = ""
    trace_name: str = ""
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    input: str = ""
    output: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    resource: dict[str, str] = field(default_factory=dict)
    events: str = ""  # JSON list of {name, time_ns, attributes}
    #: Set when this span reports the same LLM call as another span of its trace (two instrumentation
    #: layers): the id of the span that is counted, and why they were recognised as one call.
    duplicate_of: str = ""
    duplicate_reason: str = ""
    #: An LLM call's prompt tokens by source, summing to its prompt tokens (tokentrail.pricing.prompt);
    #: the part earlier turns carried in, and how the text was counted.
    prompt_sources: dict[str, int] = field(default_factory=dict)
    prompt_history: int = 0
    prompt_method: str = ""

    @property
    def model(self) -> str:
        """The model that served the call: the response model when known, else the requested one."""
        return self.response_model or self.request_model

    @property
    def cost_total(self) -> Decimal:
        """The sum of ``cost``, exact."""
        return sum_money(self.cost.values())
