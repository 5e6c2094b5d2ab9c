"""Normalization: one decoded OTLP span in, one canonical :class:`~tokentrail.model.Span` out.

The conventions are tables (:mod:`.genai`, :mod:`.openinference`, :mod:`.langfuse` ...), compiled at
import into one dict from attribute name to a claim (:mod:`.compile`); this module walks a span's
attributes once, with one dict lookup each, then applies what the tables say the values mean
(:mod:`.meaning`).

Precedence. When several attributes fill the same target, the best-ranked readable value wins. Ranks
follow :data:`PRECEDENCE`, then the order of rows in each convention (an object's fields and a map
family's keys rank where their row stands). A convention's flattened lists (``llm.input_messages.*``) and
message events rank after its own rows, so ``input.value`` beats them. Kind hints (a tool name, an HTTP
method) rank below every explicit kind, and below the rule "a span with a model and token usage is an LLM
call". Metadata is merged key by key under the same ranks.

Attributes no rule claims, and claimed attributes whose value cannot be read (a negative token count,
garbage), are kept in ``Span.attributes`` as strings. A claimed value that loses to a better-ranked one is
dropped: it was understood, just outranked.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tokentrail.model import AttributeValue, RawEvent, RawSpan, Span, SpanKind, UsageSource
from tokentrail.semconv.compile import (
    CUSTOM_COST,
    HINT_TIER,
    INPUT,
    KIND,
    METADATA,
    MISS,
    OBJECT,
    OUTPUT,
    PRECEDENCE,
    PROVIDER,
    REQUEST_MODEL,
    RESPONSE_ID,
    RESPONSE_MODEL,
    SESSION_ID,
    SYSTEM_INSTRUCTIONS,
    TABLES,
    TAGS,
    TOOL_NAME,
    TRACE_NAME,
    USER_ID,
    Claim,
    EventClaim,
    ListFamily,
    convention_of,
)
from tokentrail.semconv.meaning import billing_tier, failure, resource_fields, usage_and_cost
from tokentrail.semconv.messages import rebuild, with_system
from tokentrail.semconv.providers import provider_at
from tokentrail.semconv.values import EMPTY, capped, dumps, loads, stringify

__all__ = ["PRECEDENCE", "normalize"]

SERVER_ADDRESS = "server.address"

_ATTRIBUTE_SOURCE = UsageSource.ATTRIBUTE.value
_CLAIMS = TABLES.claims
_FAMILY_PREFIXES = tuple(
    [family.prefix for family in TABLES.lists] + [family.prefix for family in TABLES.maps]
)


# -- reading values ---------------------------------------------------------------------------------------


class _Found:
    """What the walk has found so far: per store, slot -> (rank, value); the best rank wins."""

    __slots__ = ("cost", "metadata", "scalars", "stores", "usage")

    def __init__(self) -> None:
        self.scalars: dict[str, tuple[int, Any]] = {}
        self.usage: dict[str, tuple[int, int]] = {}
        self.cost: dict[str, tuple[int, Decimal]] = {}
        self.metadata: dict[str, tuple[int, str]] = {}
        self.stores: tuple[dict[str, Any], ...] = (self.scalars, self.usage, self.cost)

    def offer_metadata(self, entries: dict[str, str], rank: int) -> None:
        metadata = self.metadata
        for key, text in entries.items():
            held = metadata.get(key)
            if held is None or rank < held[0]:
                metadata[key] = (rank, text)

    def offer(self, claim: Claim, value: AttributeValue) -> bool:
        """Read ``value`` under ``claim``; False when it cannot be read (the raw attribute is then kept)."""
        store = claim.store
        converted = claim.convert(value)
        if converted is None:
            return False
        if store == OBJECT:
            fields = claim.fields or {}
            for path, leaf in converted.items():
                field = fields.get(path)
                if field is not None:
                    self.offer(field, leaf)
            return True
        if converted is EMPTY:
            return True
        if store == METADATA:
            self.offer_metadata(converted, claim.rank)
            return True
        found = self.stores[store]
        held = found.get(claim.slot)
        if held is None or claim.rank < held[0]:
            found[claim.slot] = (claim.rank, converted)
        if claim.read_fields is not None:
            self.offer_fields(claim, value)
        if claim.also is not None:
            self.offer(claim.also, value)
        return True

    def offer_fields(self, claim: Claim, value: AttributeValue) -> None:
        # A cheap test before parsing a payload that may be large: does it mention any field's root?
        if type(value) is str and not any(path.split(".")[0] in value for path in claim.fields or ()):
            return
        flat = claim.read_fields(value) if claim.read_fields is not None else None
        if flat:
            fields = claim.fields or {}
            for path, leaf in flat.items():
                field = fields.get(path)
                if field is not None:
                    self.offer(field, leaf)


def _family_item(name: str, value: AttributeValue, lists: dict[ListFamily, list[Any]], found: _Found) -> bool:
    """File an attribute under the prefix family it belongs to; False if it belongs to none."""
    for family in TABLES.lists:
        if name.startswith(family.prefix):
            index = name[len(family.prefix) : len(family.prefix) + 1]
            if not (index.isdigit() and index.isascii()):
                return False
            lists.setdefault(family, []).append((name, value))
            return True
    for map_family in TABLES.maps:
        if name.startswith(map_family.prefix):
            key = name[len(map_family.prefix) :]
            plain = map_family.read(value)
            if not key or plain is None:
                return False
            found.offer_metadata({key: plain}, map_family.rank)
            return True
    return False


def _event_message(claim: EventClaim, attributes: dict[str, AttributeValue]) -> dict[str, Any]:
    message: dict[str, Any] = {}
    if claim.content and (content := attributes.get(claim.content)) is not None:
        parsed: Any = content
        if type(content) is str:
            try:
                parsed = loads(content)
            except ValueError:
                parsed = content
        if type(parsed) is dict:
            message.update(parsed)
        else:
            message["content"] = parsed
    for key, item in attributes.items():
        if key not in claim.drop and key != claim.content:
            message[key] = item
    if claim.role and "role" not in message:
        message["role"] = claim.role
    return message


def _read_events(events: list[RawEvent], found: _Found) -> None:
    messages: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for event in events:
        claim = TABLES.events.get(event.name)
        if claim is None:
            continue
        if claim.carrier:  # the span's attributes again: the same rules, after the span's own
            for name, value in event.attributes.items():
                attribute_claim = _CLAIMS.get(name)
                if attribute_claim is not None:
                    found.offer(attribute_claim, value)
        else:
            messages.setdefault((claim.slot, claim.rank), []).append(_event_message(claim, event.attributes))
    for (slot, rank), items in messages.items():
        held = found.scalars.get(slot)
        if held is None or rank < held[0]:
            found.scalars[slot] = (rank, dumps(items))


# -- the stage --------------------------------------------------------------------------------------------


def normalize(raw: RawSpan, *, project: str, max_payload_chars: int = 65536) -> Span:
    """Map one raw span onto the canonical :class:`Span` using the convention tables.

    Pure and total: it reads only ``raw`` and the tables, and keeps any value it cannot read as a raw
    attribute instead of raising. Payloads and attribute values longer than ``max_payload_chars`` are cut
    there and end with a ``…[truncated N chars]`` marker.
    """
    limit = max_payload_chars
    found = _Found()
    scalars = found.scalars
    stores = found.stores
    attributes: dict[str, str] = {}
    lists: dict[ListFamily, list[Any]] | None = None
    claims_get = _CLAIMS.get

    for name, value in raw.attributes.items():
        claim = claims_get(name)
        if claim is None:
            if name.startswith(_FAMILY_PREFIXES):
                if lists is None:
                    lists = {}
                if _family_item(name, value, lists, found):
                    continue
            if type(value) is str and len(value) <= limit:
                attributes[name] = value  # the common case, without a call
            else:
                attributes[name] = stringify(value, limit)
            continue
        store = claim.store
        if not claim.plain:
            readable = found.offer(claim, value)
            if not readable or claim.keep or store == OBJECT:
                attributes[name] = stringify(value, limit)
            continue
        # The common case inline: one scalar, usage or cost value.
        converted = claim.convert(value)
        if converted is None or claim.keep:
            attributes[name] = stringify(value, limit)
            if converted is None:
                continue
        if converted is EMPTY:
            continue
        held_store = stores[store]
        held = held_store.get(claim.slot)
        if held is None or claim.rank < held[0]:
            held_store[claim.slot] = (claim.rank, converted)

    if raw.events:
        _read_events(raw.events, found)

    if lists:
        for family, items in lists.items():
            held = scalars.get(family.slot)
            if held is not None and held[0] < family.rank:
                # e.g. input.value is present: it wins and the flattened copy is dropped
                if family.keep_outranked:
                    attributes.update((name, stringify(value, limit)) for name, value in items)
                continue
            rebuilt = rebuild(items, len(family.prefix), wrapped=family.wrapped)
            if rebuilt is None:
                for name, value in items:
                    attributes[name] = stringify(value, limit)
            else:
                scalars[family.slot] = (family.rank, rebuilt)

    input_text = scalars.get(INPUT, MISS)[1]
    instructions = scalars.get(SYSTEM_INSTRUCTIONS)
    if instructions is not None:
        input_hit = scalars.get(INPUT)
        merged = None
        # Only fold them into input written by the same convention; another one's input has its own shape.
        if input_hit is None or convention_of(input_hit[0]) == convention_of(instructions[0]):
            merged = with_system(instructions[1], input_text)
        if merged is None:
            attributes[TABLES.rules[instructions[0]][0]] = capped(instructions[1], limit)
        else:
            input_text = merged

    usage_found = found.usage
    request_model = scalars.get(REQUEST_MODEL, MISS)[1]
    response_model = scalars.get(RESPONSE_MODEL, MISS)[1]
    kind_hit = scalars.get(KIND)
    kind: SpanKind = kind_hit[1] if kind_hit is not None else SpanKind.OTHER
    if (kind_hit is None or kind_hit[0] > HINT_TIER) and usage_found and (request_model or response_model):
        kind = SpanKind.LLM
    usage: dict[str, int] = {}
    reported_cost: dict[str, Decimal] = {}
    if usage_found or found.cost or CUSTOM_COST in scalars:  # most spans state neither: skip the call
        usage, reported_cost = usage_and_cost(raw, kind, scalars, usage_found, found.cost, attributes, limit)
    service, resource = resource_fields(raw.resource, limit)
    status, error_type, error_message, error_stack = failure(raw, scalars, limit)

    metadata = {key: text for key, (_, text) in found.metadata.items()} if found.metadata else {}
    provider = scalars.get(PROVIDER, MISS)[1]
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
        provider=provider_at(provider, raw.attributes.get(SERVER_ADDRESS)) if provider else provider,
        request_model=request_model,
        response_model=response_model,
        response_id=scalars.get(RESPONSE_ID, MISS)[1],
        tool_name=capped(scalars.get(TOOL_NAME, MISS)[1], limit),
        billing_tier=billing_tier(attributes),
        usage=usage,
        usage_source=dict.fromkeys(usage, _ATTRIBUTE_SOURCE),
        reported_cost=reported_cost,
        session_id=scalars.get(SESSION_ID, MISS)[1],
        user_id=scalars.get(USER_ID, MISS)[1],
        trace_name=scalars.get(TRACE_NAME, MISS)[1],
        tags=scalars.get(TAGS, MISS)[1] or [],
        metadata=metadata,
        input=capped(input_text, limit),
        output=capped(scalars.get(OUTPUT, MISS)[1], limit),
        attributes=attributes,
        resource=resource,
        events=_events_json(raw.events) if raw.events else "",
    )


def _events_json(events: list[RawEvent]) -> str:
    return dumps(
        [{"name": event.name, "time_ns": event.time_ns, "attributes": event.attributes} for event in events]
    )
