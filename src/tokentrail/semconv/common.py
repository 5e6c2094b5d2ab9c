"""The rule vocabulary every convention table is written in, and the table for tokentrail's own attributes
and the general (non-LLM) OpenTelemetry conventions.

A convention is data: a tuple of :class:`Rule` rows, each naming one attribute and the canonical
:class:`Target` it fills. :mod:`tokentrail.semconv.normalize` is the one engine that applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "EXCEPTION_EVENT",
    "EXCEPTION_FIELDS",
    "OTEL_GENERAL",
    "SERVICE_NAME",
    "TOKENTRAIL",
    "Convention",
    "Family",
    "Rule",
    "Target",
]


class Target(StrEnum):
    """Where an attribute's value lands on :class:`tokentrail.model.Span`."""

    KIND = "kind"
    PROVIDER = "provider"
    REQUEST_MODEL = "request_model"
    RESPONSE_MODEL = "response_model"
    USAGE = "usage"  # Span.usage[rule.key]
    COST = "cost"  # Span.reported_cost[rule.key]
    CUSTOM_COST = "custom_cost"  # Span.reported_cost[<the span's kind>], see normalize
    SESSION_ID = "session_id"
    USER_ID = "user_id"
    TRACE_NAME = "trace_name"
    TAGS = "tags"
    METADATA = "metadata"
    INPUT = "input"
    OUTPUT = "output"
    SYSTEM_INSTRUCTIONS = "system_instructions"  # merged into Span.input as a leading system message
    ERROR_TYPE = "error_type"
    ERROR_MESSAGE = "error_message"
    ERROR_STACK = "error_stack"


@dataclass(frozen=True, slots=True)
class Rule:
    """One attribute a convention defines, and what it means canonically."""

    attribute: str
    target: Target
    #: The usage or cost type (a ``model.USAGE_TYPES`` entry, or ``total`` for cost) for USAGE/COST.
    key: str = ""
    #: Value lookup: span kinds for KIND, provider aliases for PROVIDER. Matched case-insensitively.
    values: Mapping[str, str] | None = None
    #: For KIND: any non-empty value means this kind (``db.system`` says "db" whatever the database).
    implies: str = ""
    #: A weak kind hint, outranked by every explicit kind and by "has a model and usage, so llm".
    hint: bool = False
    #: Read the value but also keep the raw attribute (it says more than the target can hold).
    keep: bool = False


@dataclass(frozen=True, slots=True)
class Family:
    """A prefix under which a convention flattens a list of objects (``llm.input_messages.0.message.role``).

    The attributes are rebuilt into a JSON list of objects for ``target`` (INPUT or OUTPUT).
    """

    prefix: str
    target: Target


@dataclass(frozen=True, slots=True)
class Convention:
    """A named table of rules; rows listed earlier win over later rows for the same target."""

    name: str
    rules: tuple[Rule, ...]
    families: tuple[Family, ...] = ()


#: tokentrail's own attributes, set by ``tokentrail.sdk`` or by hand; they outrank every convention.
TOKENTRAIL = Convention(
    "tokentrail",
    (
        Rule("tokentrail.cost.usd", Target.CUSTOM_COST),
        Rule("tokentrail.session.id", Target.SESSION_ID),
        Rule("tokentrail.user.id", Target.USER_ID),
        Rule("tokentrail.trace.name", Target.TRACE_NAME),
    ),
)

#: General OpenTelemetry conventions and common ad-hoc names; the lowest tier, so an LLM convention's
#: reading of the same span always wins.
OTEL_GENERAL = Convention(
    "otel",
    (
        # A de-facto name for what a tool call cost (several agent frameworks emit it).
        Rule("tool.cost_usd", Target.CUSTOM_COST),
        # HTTP and DB spans: the method or database name stays as an attribute, it is worth showing.
        Rule("http.request.method", Target.KIND, implies="http", hint=True, keep=True),
        Rule("http.method", Target.KIND, implies="http", hint=True, keep=True),  # deprecated spelling
        Rule("db.system.name", Target.KIND, implies="db", hint=True, keep=True),
        Rule("db.system", Target.KIND, implies="db", hint=True, keep=True),  # deprecated spelling
        # error.type is low-cardinality ("timeout", "500"); kept so it can be grouped on as is.
        Rule("error.type", Target.ERROR_TYPE, keep=True),
    ),
)

#: Resource attribute that names the service (every other resource attribute is kept as is).
SERVICE_NAME = "service.name"

#: The span event OpenTelemetry records an exception as, and its attributes.
EXCEPTION_EVENT = "exception"
EXCEPTION_FIELDS: Mapping[str, Target] = {
    "exception.type": Target.ERROR_TYPE,
    "exception.message": Target.ERROR_MESSAGE,
    "exception.stacktrace": Target.ERROR_STACK,
}
