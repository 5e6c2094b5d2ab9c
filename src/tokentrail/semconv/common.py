"""The rule vocabulary every convention table is written in, and the table for tokentrail's own attributes
and the general (non-LLM) OpenTelemetry conventions.

A convention is data: :class:`Rule` rows (one attribute and the canonical :class:`Target` it fills),
:class:`Family` rows (attribute names that share a prefix: flattened lists, metadata maps) and
:class:`Event` rows (span events that carry messages). :mod:`tokentrail.semconv.normalize` is the one
engine that applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from tokentrail.model import SpanKind

__all__ = [
    "AGGREGATE_KINDS",
    "EVALUATION_EVALUATOR",
    "EVALUATION_TARGET_TRACE",
    "EVALUATOR_SERVICE",
    "EXCEPTION_EVENT",
    "EXCEPTION_FIELDS",
    "OTEL_GENERAL",
    "PROMPT_ATTRIBUTES",
    "SERVICE_NAME",
    "SERVICE_VERSION",
    "TOKENTRAIL",
    "USAGE_PARTS",
    "Convention",
    "Encoding",
    "Event",
    "Family",
    "Rule",
    "Shape",
    "Target",
    "id_keys",
]


class Target(StrEnum):
    """Where an attribute's value lands on :class:`tokentrail.model.Span`."""

    KIND = "kind"
    PROVIDER = "provider"
    REQUEST_MODEL = "request_model"
    RESPONSE_MODEL = "response_model"
    RESPONSE_ID = "response_id"
    USAGE = "usage"  # Span.usage[rule.key]
    COST = "cost"  # Span.reported_cost[rule.key]
    CUSTOM_COST = "custom_cost"  # Span.reported_cost[<the span's kind>], see normalize
    SESSION_ID = "session_id"
    USER_ID = "user_id"
    TRACE_NAME = "trace_name"
    #: The tool (or other named step) a call is known by: what a per-call price rule matches first.
    TOOL_NAME = "tool_name"
    TAGS = "tags"
    METADATA = "metadata"  # merged key by key: Span.metadata
    INPUT = "input"
    OUTPUT = "output"
    SYSTEM_INSTRUCTIONS = "system_instructions"  # merged into Span.input as a leading system message
    ERROR = "error"  # the span failed (e.g. Langfuse level ERROR); only read when the status is unset
    ERROR_TYPE = "error_type"
    ERROR_MESSAGE = "error_message"
    ERROR_STACK = "error_stack"
    OBJECT = "object"  # a JSON (or Python-literal) object whose fields are read by Rule.fields


class Encoding(StrEnum):
    """How an attribute's value is written before its target's converter reads it."""

    PLAIN = "plain"
    #: A JSON document in a string: MLflow writes ``"\\"LLM\\""``; Langfuse v5 JSON-encodes metadata values.
    JSON = "json"
    #: A Python literal in a string, ``str(dict)``: LangSmith writes ``{'cache_read': 5}``.
    PYTHON = "python"
    #: A comma-joined list in one string: LangSmith writes tags as ``"a, b"``.
    CSV = "csv"


#: Usage parts and the whole each is part of (see :mod:`tokentrail.model`): canonical ``input`` includes
#: the cached and audio/image input tokens, canonical ``output`` includes the reasoning and audio ones.
USAGE_PARTS: Mapping[str, str] = {
    "cache_read": "input",
    "cache_write": "input",
    "cache_write_1h": "cache_write",
    "audio_in": "input",
    "image_in": "input",
    "reasoning": "output",
    "audio_out": "output",
}

#: Kinds that wrap other calls. Token usage or LLM cost stated on such a span (Vercel's ``ai.generateText``,
#: an ``invoke_agent`` span, an OpenInference AGENT) sums the calls below it, which carry their own; it is
#: kept as raw attributes so that the trace does not count it twice.
AGGREGATE_KINDS = frozenset({SpanKind.AGENT, SpanKind.CHAIN})


@dataclass(frozen=True, slots=True)
class Rule:
    """One attribute a convention defines, and what it means canonically."""

    attribute: str
    target: Target
    #: The usage or cost type (a ``model.USAGE_TYPES`` entry, or ``total`` for cost) for USAGE/COST.
    key: str = ""
    #: Value lookup: span kinds for KIND, provider aliases for PROVIDER, failure levels for ERROR.
    #: Matched case-insensitively.
    values: Mapping[str, str] | None = None
    #: Any non-empty value means this kind (``db.system`` says "db" whatever the database); on a rule with
    #: another target, as well as filling it (a tool's name is a name, and says the span is a tool call).
    implies: str = ""
    #: The kind (or implied kind) is a weak hint, outranked by every explicit kind and by "has a model
    #: and usage, so llm".
    hint: bool = False
    #: Read the value but also keep the raw attribute (it says more than the target can hold).
    keep: bool = False
    #: How the value is written (JSON-encoded, a Python literal, comma-joined).
    encoding: Encoding = Encoding.PLAIN
    #: Fields read from the value as an object: each a Rule whose ``attribute`` is the field's dotted path
    #: (``input_token_details.cache_read``). Required for OBJECT; on a payload rule (INPUT/OUTPUT) they
    #: are read from the payload's JSON in addition to the payload itself.
    fields: tuple[Rule, ...] = ()
    #: USAGE only: the usage parts this count leaves out (Langfuse's ``input`` excludes cached tokens).
    #: The engine adds them, so ``Span.usage`` keeps tokentrail's meaning.
    excludes: tuple[str, ...] = ()
    #: USAGE only, on a part: the emitter reports it outside its whole whatever the whole's rule says
    #: (Anthropic's ``cache_read_input_tokens`` is not inside Anthropic's ``input_tokens``).
    additive: bool = False
    #: COST only: the cost parts this amount includes (OpenInference's ``llm.cost.prompt`` includes the
    #: cache costs). Reported cost types are disjoint (they add up to the total), so the engine subtracts
    #: those parts when they are stated too.
    includes: tuple[str, ...] = ()


class Shape(StrEnum):
    """How the attributes under a :class:`Family` prefix are laid out."""

    #: ``<prefix><index>.<wrapper>.<field>``: OpenInference lists, where the singular wrapper after the
    #: index (``message``, ``tool_call``, ``document``) carries nothing and is dropped.
    LIST = "list"
    #: ``<prefix><index>.<field>``: OpenLLMetry's ``gen_ai.prompt.0.role``, no wrapper.
    BARE_LIST = "bare_list"
    #: ``<prefix><key>``: one metadata entry per attribute (``langsmith.metadata.tenant``).
    MAP = "map"


@dataclass(frozen=True, slots=True)
class Family:
    """Attributes that share a prefix, read together.

    A list family (LIST, BARE_LIST) is rebuilt into a JSON list of objects for ``target`` (INPUT or
    OUTPUT); only names with a digit right after the prefix belong to it. A MAP family puts each
    attribute into ``Span.metadata`` under the name after the prefix, except the ``keys`` it lists,
    which are rules of their own (``session_id`` is a session, not metadata).
    """

    prefix: str
    target: Target
    shape: Shape = Shape.LIST
    #: MAP only: rules for particular keys; each Rule's ``attribute`` is the key after the prefix.
    keys: tuple[Rule, ...] = ()
    #: MAP only: how each value is written (Langfuse v5 JSON-encodes every metadata value).
    encoding: Encoding = Encoding.PLAIN
    #: LIST only: the list says something the attribute that outranks it does not (a reranker's
    #: candidate documents beside its query), so when outranked it is kept raw instead of dropped.
    keep_outranked: bool = False


@dataclass(frozen=True, slots=True)
class Event:
    """A span event a convention defines.

    A *carrier* event holds span attributes under their usual names (GenAI's
    ``gen_ai.client.inference.operation.details`` holds ``gen_ai.input.messages``); they are read with
    the same rules, after the span's own attributes. Any other event is one message: its attributes
    (less ``drop``) become a message object, ``role`` filled in when absent, appended in event order to
    the list for ``target``.
    """

    name: str
    target: Target = Target.INPUT
    role: str = ""
    carrier: bool = False
    #: An attribute holding the whole message as JSON (Azure AI Inference: ``gen_ai.event.content``).
    content: str = ""
    #: Attributes that describe the event, not the message (``gen_ai.system``).
    drop: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Convention:
    """A named table of rules; rows listed earlier win over later rows for the same target."""

    name: str
    rules: tuple[Rule, ...]
    families: tuple[Family, ...] = ()
    events: tuple[Event, ...] = ()


#: Metadata keys applications use for a chat thread or a user, in the spellings seen in practice.
SESSION_KEYS = ("session_id", "sessionId", "thread_id", "threadId", "conversation_id", "conversationId")
USER_KEYS = ("user_id", "userId")


def id_keys(session: tuple[str, ...] = SESSION_KEYS, user: tuple[str, ...] = USER_KEYS) -> tuple[Rule, ...]:
    """MAP family keys that name the session and the user (the first listed wins when several are set)."""
    return tuple(Rule(key, Target.SESSION_ID) for key in session) + tuple(
        Rule(key, Target.USER_ID) for key in user
    )


#: tokentrail's own attributes, set by ``tokentrail.sdk`` or by hand; they outrank every convention.
TOKENTRAIL = Convention(
    "tokentrail",
    (
        Rule("tokentrail.span.kind", Target.KIND, values={kind: kind for kind in SpanKind}),
        Rule("tokentrail.cost.usd", Target.CUSTOM_COST),
        Rule("tokentrail.session.id", Target.SESSION_ID),
        Rule("tokentrail.user.id", Target.USER_ID),
        Rule("tokentrail.trace.name", Target.TRACE_NAME),
        Rule("tokentrail.tags", Target.TAGS),
        Rule("tokentrail.tool.name", Target.TOOL_NAME, keep=True),
        Rule("tokentrail.input", Target.INPUT),
        Rule("tokentrail.output", Target.OUTPUT),
    ),
    # tokentrail.metadata(plan="pro") writes tokentrail.metadata.plan: nested contexts merge key by key.
    families=(Family("tokentrail.metadata.", Target.METADATA, Shape.MAP),),
)

#: General OpenTelemetry conventions and common ad-hoc names; the lowest tier, so an LLM convention's
#: reading of the same span always wins.
OTEL_GENERAL = Convention(
    "otel",
    (
        # A de-facto name for what a tool call cost (several agent frameworks emit it).
        Rule("tool.cost_usd", Target.CUSTOM_COST),
        # OpenLIT's stated cost of a call, USD; Langfuse reads it too.
        Rule("gen_ai.usage.cost", Target.COST, key="total"),
        # The deprecated general name for the user (user.id replaced it).
        Rule("enduser.id", Target.USER_ID),
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
#: The resource attribute naming a service's release (what the cost explainer compares releases by).
SERVICE_VERSION = "service.version"

#: Where conventions name the managed prompt a call used: (prompt name, prompt version) attribute pairs,
#: first set wins. They stay raw attributes on the span (no canonical field); the quality view groups by
#: them. OpenInference names a template's version only.
PROMPT_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("gen_ai.prompt.name", "gen_ai.prompt.version"),
    ("langfuse.observation.prompt.name", "langfuse.observation.prompt.version"),
    ("traceloop.prompt.key", "traceloop.prompt.version"),
    ("", "llm.prompt_template.version"),
)

#: The span event OpenTelemetry records an exception as, and its attributes.
EXCEPTION_EVENT = "exception"
EXCEPTION_FIELDS: Mapping[str, Target] = {
    "exception.type": Target.ERROR_TYPE,
    "exception.message": Target.ERROR_MESSAGE,
    "exception.stacktrace": Target.ERROR_STACK,
}

#: The service tokentrail's own judge calls are traced under (tokentrail.evaluators): what "evaluation cost"
#: is the cost of, beside the application's.
EVALUATOR_SERVICE = "tokentrail-evaluator"
#: Attributes of an evaluation's spans: the evaluator that judged, and the trace it judged.
EVALUATION_EVALUATOR = "tokentrail.evaluation.evaluator"
EVALUATION_TARGET_TRACE = "tokentrail.evaluation.target_trace_id"
