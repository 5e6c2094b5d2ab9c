"""Normalization: one decoded OTLP span in, one canonical :class:`~tokentrail.model.Span` out.

The conventions are tables (:mod:`.genai`, :mod:`.openinference`, :mod:`.common`); this module is the one
engine that applies them. At import the tables are compiled into a single dict from attribute name to a
claim (target, rank, converter), so a span's attributes are walked once with one dict lookup each.

Precedence. When several attributes fill the same target, the best-ranked non-empty value wins. Ranks
follow :data:`PRECEDENCE` (tokentrail's own > OpenInference > GenAI current > GenAI deprecated > general
OTel), and within a convention the order of its table rows. A convention's flattened message families
(``llm.input_messages.*``) rank after its own rows, so ``input.value`` beats them. Kind hints (a tool name,
an HTTP method, a database system) rank below every explicit kind, and below the rule "a span with a model
and token usage is an LLM call".

Attributes no rule claims, and claimed attributes whose value cannot be read (a negative token count,
garbage), are kept in ``Span.attributes`` as strings. A claimed value that loses to a better-ranked one is
dropped: it was understood, just outranked.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from tokentrail.model import (
    PRICED_BY_USAGE,
    USAGE_TYPES,
    AttributeValue,
    RawEvent,
    RawSpan,
    Span,
    SpanKind,
    Status,
    UsageSource,
)
from tokentrail.semconv.common import (
    EXCEPTION_EVENT,
    EXCEPTION_FIELDS,
    OTEL_GENERAL,
    SERVICE_NAME,
    TOKENTRAIL,
    Convention,
    Rule,
    Target,
)
from tokentrail.semconv.genai import GENAI, GENAI_DEPRECATED
from tokentrail.semconv.messages import rebuild, with_system
from tokentrail.semconv.openinference import OPENINFERENCE
from tokentrail.semconv.values import (
    CONVERTERS,
    EMPTY,
    Converter,
    as_text,
    capped,
    dumps,
    implied,
    kind_lookup,
    provider_lookup,
    stringify,
)

__all__ = ["PRECEDENCE", "normalize"]

#: Conventions from most to least trusted when they describe the same span.
PRECEDENCE: tuple[Convention, ...] = (TOKENTRAIL, OPENINFERENCE, GENAI, GENAI_DEPRECATED, OTEL_GENERAL)


# Ranks: convention index * _CONVENTION_STRIDE + row; hints are pushed into a tier below all of them.
_CONVENTION_STRIDE = 1000
_HINT_TIER = 1_000_000

# Stores a claim writes into while the span is walked.
_SCALAR, _USAGE, _COST = 0, 1, 2

_ATTRIBUTE_SOURCE = UsageSource.ATTRIBUTE.value
_MISS: tuple[int, Any] = (0, "")  # what a target holds when no attribute filled it
_STATUS = {1: Status.OK, 2: Status.ERROR}


# -- converters: AttributeValue -> canonical value, None when unreadable ----------------------------------


# -- compiling the tables ---------------------------------------------------------------------------------


class _Claim(NamedTuple):
    store: int
    slot: str
    rank: int
    convert: Converter
    keep: bool


class _FamilyClaim(NamedTuple):
    prefix: str
    target: Target
    rank: int


def _converter(rule: Rule) -> Converter:
    if rule.implies:
        return implied(SpanKind(rule.implies))
    if rule.target is Target.KIND:
        return kind_lookup(rule.values or {})
    if rule.target is Target.PROVIDER:
        return provider_lookup(rule.values or {})
    if rule.target not in CONVERTERS:
        raise ValueError(f"{rule.attribute}: target {rule.target} cannot be read from an attribute")
    return CONVERTERS[rule.target]


def _placement(rule: Rule) -> tuple[int, str]:
    if rule.target is Target.USAGE:
        if rule.key not in USAGE_TYPES:
            raise ValueError(f"{rule.attribute}: unknown usage type {rule.key!r}")
        return _USAGE, rule.key
    if rule.target is Target.COST:
        if rule.key not in USAGE_TYPES and rule.key != "total":
            raise ValueError(f"{rule.attribute}: unknown cost type {rule.key!r}")
        return _COST, rule.key
    return _SCALAR, rule.target


def _compile(
    conventions: tuple[Convention, ...],
) -> tuple[dict[str, _Claim], tuple[_FamilyClaim, ...]]:
    claims: dict[str, _Claim] = {}
    families: list[_FamilyClaim] = []
    for index, convention in enumerate(conventions):
        rank = index * _CONVENTION_STRIDE
        for rule in convention.rules:
            if rule.attribute in claims:
                raise ValueError(f"{rule.attribute} is claimed twice")
            rank += 1
            store, slot = _placement(rule)
            tiered = rank + _HINT_TIER if rule.hint else rank
            claims[rule.attribute] = _Claim(store, slot, tiered, _converter(rule), rule.keep)
        for family in convention.families:
            rank += 1
            families.append(_FamilyClaim(family.prefix, family.target, rank))
        if rank >= (index + 1) * _CONVENTION_STRIDE:
            raise ValueError(f"convention {convention.name} has too many rows")
    return claims, tuple(families)


_CLAIMS, _FAMILIES = _compile(PRECEDENCE)
_FAMILY_PREFIXES = tuple(family.prefix for family in _FAMILIES)
_ATTRIBUTE_AT_RANK = {claim.rank: name for name, claim in _CLAIMS.items()}


def _convention_of(rank: int) -> int:
    return (rank % _HINT_TIER) // _CONVENTION_STRIDE


# -- rebuilding flattened lists ---------------------------------------------------------------------------


def _events_json(events: list[RawEvent]) -> str:
    return dumps(
        [{"name": event.name, "time_ns": event.time_ns, "attributes": event.attributes} for event in events]
    )


# -- the stage --------------------------------------------------------------------------------------------


def normalize(raw: RawSpan, *, project: str, max_payload_chars: int = 65536) -> Span:
    """Map one raw span onto the canonical :class:`Span` using the convention tables.

    Pure and total: it reads only ``raw`` and the tables, and keeps any value it cannot read as a raw
    attribute instead of raising. Payloads and attribute values longer than ``max_payload_chars`` are cut
    there and end with a ``…[truncated N chars]`` marker.
    """
    limit = max_payload_chars
    scalars: dict[str, tuple[int, Any]] = {}
    usage_found: dict[str, tuple[int, int]] = {}
    cost_found: dict[str, tuple[int, Decimal]] = {}
    stores: tuple[dict[str, tuple[int, Any]], ...] = (scalars, usage_found, cost_found)
    attributes: dict[str, str] = {}
    flattened: dict[_FamilyClaim, list[tuple[str, AttributeValue]]] | None = None
    claims_get = _CLAIMS.get

    for name, value in raw.attributes.items():
        claim = claims_get(name)
        if claim is None:
            if name.startswith(_FAMILY_PREFIXES):
                if flattened is None:
                    flattened = {}
                for family in _FAMILIES:
                    if name.startswith(family.prefix):
                        flattened.setdefault(family, []).append((name, value))
                        break
            elif type(value) is str and len(value) <= limit:
                attributes[name] = value  # the common case, without a call
            else:
                attributes[name] = stringify(value, limit)
            continue
        store, slot, rank, convert, keep = claim
        converted = convert(value)
        if converted is None or keep:
            attributes[name] = stringify(value, limit)
            if converted is None:
                continue
        if converted is EMPTY:
            continue
        found = stores[store]
        held = found.get(slot)
        if held is None or rank < held[0]:
            found[slot] = (rank, converted)

    if flattened:
        for family, items in flattened.items():
            held = scalars.get(family.target)
            if held is not None and held[0] < family.rank:
                continue  # e.g. input.value is present: it wins and the flattened copy is dropped
            rebuilt = rebuild(items, len(family.prefix))
            if rebuilt is None:
                for name, value in items:
                    attributes[name] = stringify(value, limit)
            else:
                scalars[family.target] = (family.rank, rebuilt)

    input_text = scalars.get(Target.INPUT, _MISS)[1]
    instructions = scalars.get(Target.SYSTEM_INSTRUCTIONS)
    if instructions is not None:
        input_hit = scalars.get(Target.INPUT)
        merged = None
        # Only fold them into input written by the same convention; another one's input has its own shape.
        if input_hit is None or _convention_of(input_hit[0]) == _convention_of(instructions[0]):
            merged = with_system(instructions[1], input_text)
        if merged is None:
            attributes[_ATTRIBUTE_AT_RANK[instructions[0]]] = capped(instructions[1], limit)
        else:
            input_text = merged

    request_model = scalars.get(Target.REQUEST_MODEL, _MISS)[1]
    response_model = scalars.get(Target.RESPONSE_MODEL, _MISS)[1]
    kind_hit = scalars.get(Target.KIND)
    kind: SpanKind = kind_hit[1] if kind_hit is not None else SpanKind.OTHER
    if (kind_hit is None or kind_hit[0] > _HINT_TIER) and usage_found and (request_model or response_model):
        kind = SpanKind.LLM

    custom_cost = scalars.get(Target.CUSTOM_COST)
    if custom_cost is not None:
        # An LLM span stating its own price states a total; anything else is a custom, per-kind cost.
        key = "total" if kind in PRICED_BY_USAGE else kind.value
        held_cost = cost_found.get(key)
        if held_cost is None or custom_cost[0] < held_cost[0]:
            cost_found[key] = custom_cost

    usage = {key: count for key, (_, count) in usage_found.items()}

    service = ""
    resource: dict[str, str] = {}
    for name, value in raw.resource.items():
        if name == SERVICE_NAME and (service_name := as_text(value)) is not None:
            service = service_name
        else:
            resource[name] = stringify(value, limit)

    status = _STATUS.get(raw.status_code, Status.UNSET)
    exception = _last_exception(raw.events)
    error_type_attribute = scalars.get(Target.ERROR_TYPE, _MISS)[1]
    if status is Status.UNSET and (exception is not None or error_type_attribute):
        # An unset status with a recorded exception or an error.type means the operation failed.
        status = Status.ERROR
    error_type = error_message = error_stack = ""
    if status is Status.ERROR:
        details = _exception_details(exception) if exception is not None else {}
        error_type = details.get(Target.ERROR_TYPE) or error_type_attribute
        error_message = details.get(Target.ERROR_MESSAGE) or raw.status_message
        error_stack = capped(details.get(Target.ERROR_STACK, ""), limit)

    return Span(
        project=project,
        trace_id=raw.trace_id,
        span_id=raw.span_id,
        parent_span_id=raw.parent_span_id,
        name=raw.name,
        service=service,
        start_ns=raw.start_ns,
        end_ns=raw.end_ns,
        kind=kind,
        status=status,
        error_type=error_type,
        error_message=error_message,
        error_stack=error_stack,
        scope=raw.scope_name,
        provider=scalars.get(Target.PROVIDER, _MISS)[1],
        request_model=request_model,
        response_model=response_model,
        usage=usage,
        usage_source=dict.fromkeys(usage, _ATTRIBUTE_SOURCE),
        reported_cost={key: amount for key, (_, amount) in cost_found.items()},
        session_id=scalars.get(Target.SESSION_ID, _MISS)[1],
        user_id=scalars.get(Target.USER_ID, _MISS)[1],
        trace_name=scalars.get(Target.TRACE_NAME, _MISS)[1],
        tags=scalars.get(Target.TAGS, _MISS)[1] or [],
        metadata=scalars.get(Target.METADATA, _MISS)[1] or {},
        input=capped(input_text, limit),
        output=capped(scalars.get(Target.OUTPUT, _MISS)[1], limit),
        attributes=attributes,
        resource=resource,
        events=_events_json(raw.events) if raw.events else "",
    )


def _last_exception(events: list[RawEvent]) -> RawEvent | None:
    # The last one is what ended the span; earlier ones may have been retried past.
    for event in reversed(events):
        if event.name == EXCEPTION_EVENT:
            return event
    return None


def _exception_details(event: RawEvent) -> dict[Target, str]:
    details: dict[Target, str] = {}
    for name, target in EXCEPTION_FIELDS.items():
        text = as_text(event.attributes.get(name))
        if text is not None:
            details[target] = text
    return details
