"""Normalization: one decoded OTLP span in, one canonical :class:`~tokentrail.model.Span` out.

The conventions are tables (:mod:`.genai`, :mod:`.openinference`, :mod:`.langfuse` ...); this module is
the one engine that applies them. At import the tables are compiled into one dict from attribute name to
a claim (where the value goes, its rank, how to read it), so a span's attributes are walked once with one
dict lookup each.

Precedence. When several attributes fill the same target, the best-ranked readable value wins. Ranks
follow :data:`PRECEDENCE`, then the order of rows in each convention (an object's fields and a map
family's keys rank where their row stands). A convention's flattened lists (``llm.input_messages.*``) and
message events rank after its own rows, so ``input.value`` beats them. Kind hints (a tool name, an HTTP
method) rank below every explicit kind, and below the rule "a span with a model and token usage is an LLM
call". Metadata is merged key by key under the same ranks.

Attributes no rule claims, and claimed attributes whose value cannot be read (a negative token count,
garbage), are kept in ``Span.attributes`` as strings. A claimed value that loses to a better-ranked one is
dropped: it was understood, just outranked.

After the walk the engine applies what the tables say about meaning: counts that leave out their parts
(``Rule.excludes``, ``Rule.additive``) are made whole, costs that include their parts
(``Rule.includes``) are made disjoint, and usage stated on an aggregate span (an agent or chain summing
the calls below it) is kept raw so that no trace counts it twice. What one emitter's counts mean beyond
its convention (:mod:`.emitters`) is applied by :mod:`.enrich`, once payloads have been read too.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
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
    AGGREGATE_KINDS,
    EXCEPTION_EVENT,
    EXCEPTION_FIELDS,
    OTEL_GENERAL,
    SERVICE_NAME,
    TOKENTRAIL,
    USAGE_PARTS,
    Convention,
    Encoding,
    Event,
    Family,
    Rule,
    Shape,
    Target,
)
from tokentrail.semconv.genai import GENAI, GENAI_DEPRECATED
from tokentrail.semconv.langfuse import LANGFUSE, LANGFUSE_METADATA
from tokentrail.semconv.langsmith import LANGSMITH
from tokentrail.semconv.litellm import LITELLM
from tokentrail.semconv.logfire import LOGFIRE
from tokentrail.semconv.messages import rebuild, with_system
from tokentrail.semconv.mlflow import MLFLOW
from tokentrail.semconv.openinference import OPENINFERENCE
from tokentrail.semconv.openllmetry import OPENLLMETRY
from tokentrail.semconv.providers import provider_at
from tokentrail.semconv.values import (
    CONVERTERS,
    EMPTY,
    Converter,
    as_text,
    capped,
    decoded,
    dumps,
    flag_lookup,
    implied,
    kind_lookup,
    loads,
    object_reader,
    plain_reader,
    provider_lookup,
    stringify,
)
from tokentrail.semconv.vercel import VERCEL

__all__ = ["PRECEDENCE", "normalize"]

#: Conventions from most to least trusted when they describe the same span. The SDKs an application
#: calls directly (Langfuse, LangSmith) state what the application told them; instrumentation conventions
#: follow, most specific first; the generic GenAI names, which most of them also write, come after; then
#: Langfuse's metadata keys for ids (the Langfuse server reads them after every explicit id) and Logfire's
#: raw payloads; last the general OpenTelemetry names, which only hint at what a span did.
PRECEDENCE: tuple[Convention, ...] = (
    TOKENTRAIL,
    LANGFUSE,
    LANGSMITH,
    OPENINFERENCE,
    OPENLLMETRY,
    LITELLM,
    VERCEL,
    MLFLOW,
    GENAI,
    GENAI_DEPRECATED,
    LANGFUSE_METADATA,
    LOGFIRE,
    OTEL_GENERAL,
)

# Ranks: convention index * _CONVENTION_STRIDE + row; hints are pushed into a tier below all of them.
_CONVENTION_STRIDE = 1000
_HINT_TIER = 1_000_000

# Where a claim's value goes while the span is walked.
_SCALAR, _USAGE, _COST, _METADATA, _OBJECT = range(5)

# Targets as plain strings: an enum member hashes through a Python-level __hash__ on every lookup.
_KIND = Target.KIND.value
_PROVIDER = Target.PROVIDER.value
_REQUEST_MODEL = Target.REQUEST_MODEL.value
_RESPONSE_MODEL = Target.RESPONSE_MODEL.value
_RESPONSE_ID = Target.RESPONSE_ID.value
_CUSTOM_COST = Target.CUSTOM_COST.value
_SESSION_ID = Target.SESSION_ID.value
_USER_ID = Target.USER_ID.value
_TRACE_NAME = Target.TRACE_NAME.value
_TAGS = Target.TAGS.value
_INPUT = Target.INPUT.value
_OUTPUT = Target.OUTPUT.value
_SYSTEM_INSTRUCTIONS = Target.SYSTEM_INSTRUCTIONS.value
_ERROR = Target.ERROR.value
_ERROR_TYPE = Target.ERROR_TYPE.value
_ERROR_MESSAGE = Target.ERROR_MESSAGE.value
_TOTAL = "total"
SERVER_ADDRESS = "server.address"

_ATTRIBUTE_SOURCE = UsageSource.ATTRIBUTE.value
_MISS: tuple[int, Any] = (0, "")  # what a target holds when no attribute filled it
_STATUS = {1: Status.OK, 2: Status.ERROR}
_PRICED_BY_USAGE = frozenset(PRICED_BY_USAGE)
_AGGREGATE_KINDS = frozenset(AGGREGATE_KINDS)
_USAGE_PARTS = tuple(USAGE_PARTS.items())
_WHOLES = frozenset(USAGE_PARTS.values()) - frozenset(USAGE_PARTS)  # input and output


# -- compiling the tables ---------------------------------------------------------------------------------


class _Claim(NamedTuple):
    store: int
    slot: str
    rank: int
    convert: Converter
    keep: bool
    #: An object's fields (OBJECT), or fields also read from a payload's JSON: path -> claim.
    fields: Mapping[str, _Claim] | None = None
    read_fields: Converter | None = None


class _ListFamily(NamedTuple):
    prefix: str
    slot: str
    rank: int
    wrapped: bool  # OpenInference's singular wrapper after each index
    keep_outranked: bool


class _MapFamily(NamedTuple):
    prefix: str
    rank: int
    read: Converter


class _EventClaim(NamedTuple):
    carrier: bool
    slot: str
    rank: int
    role: str
    content: str
    drop: frozenset[str]


class _Tables(NamedTuple):
    claims: dict[str, _Claim]
    lists: tuple[_ListFamily, ...]
    maps: tuple[_MapFamily, ...]
    events: dict[str, _EventClaim]
    rules: dict[int, tuple[str, Rule]]  # rank -> (attribute, rule), for the meaning applied after the walk


def _converter(rule: Rule, encoding: Encoding) -> Converter:
    target = rule.target
    if rule.implies:
        convert = implied(SpanKind(rule.implies))
    elif target is Target.KIND:
        convert = kind_lookup(rule.values or {})
    elif target is Target.PROVIDER:
        convert = provider_lookup(rule.values or {})
    elif target is Target.ERROR:
        convert = flag_lookup(rule.values or {})
    elif target is Target.OBJECT:
        return object_reader(encoding)
    elif target in CONVERTERS:
        convert = CONVERTERS[target]
    else:
        raise ValueError(f"{rule.attribute}: target {target} cannot be read from an attribute")
    return decoded(encoding, convert)


def _placement(rule: Rule) -> tuple[int, str]:
    if rule.target is Target.USAGE:
        if rule.key not in USAGE_TYPES:
            raise ValueError(f"{rule.attribute}: unknown usage type {rule.key!r}")
        return _USAGE, rule.key
    if rule.target is Target.COST:
        if rule.key not in USAGE_TYPES and rule.key != _TOTAL:
            raise ValueError(f"{rule.attribute}: unknown cost type {rule.key!r}")
        return _COST, rule.key
    if rule.target is Target.METADATA:
        return _METADATA, ""
    if rule.target is Target.OBJECT:
        if not rule.fields:
            raise ValueError(f"{rule.attribute}: an object rule needs fields")
        return _OBJECT, ""
    return _SCALAR, rule.target.value


class _Compiler:
    def __init__(self) -> None:
        self.claims: dict[str, _Claim] = {}
        self.rules: dict[int, tuple[str, Rule]] = {}
        self.lists: list[_ListFamily] = []
        self.maps: list[_MapFamily] = []
        self.events: dict[str, _EventClaim] = {}

    def claim(self, name: str, rule: Rule, ranks: itertools.count[int], encoding: Encoding) -> _Claim:
        rank = next(ranks)
        store, slot = _placement(rule)
        fields: dict[str, _Claim] | None = None
        read_fields: Converter | None = None
        if rule.fields:
            if store not in (_OBJECT, _SCALAR) or slot not in (_INPUT, _OUTPUT, ""):
                raise ValueError(f"{name}: only objects and payloads have fields")
            fields = {
                field.attribute: self.claim(field.attribute, field, ranks, Encoding.PLAIN)
                for field in rule.fields
            }
            if store == _SCALAR:  # a payload: its fields are read from its JSON, under these roots only
                read_fields = object_reader(Encoding.JSON, frozenset(path.split(".")[0] for path in fields))
        self.rules[rank] = (name, rule)
        tiered = rank + _HINT_TIER if rule.hint else rank
        return _Claim(store, slot, tiered, _converter(rule, encoding), rule.keep, fields, read_fields)

    def add(self, name: str, rule: Rule, ranks: itertools.count[int], encoding: Encoding) -> None:
        if name in self.claims:
            raise ValueError(f"{name} is claimed twice")
        self.claims[name] = self.claim(name, rule, ranks, encoding)

    def family(self, family: Family, ranks: itertools.count[int]) -> None:
        if family.shape is Shape.MAP:
            for key in family.keys:
                encoding = key.encoding if key.encoding is not Encoding.PLAIN else family.encoding
                self.add(family.prefix + key.attribute, key, ranks, encoding)
            self.maps.append(_MapFamily(family.prefix, next(ranks), plain_reader(family.encoding)))
        else:
            wrapped = family.shape is Shape.LIST
            self.lists.append(
                _ListFamily(family.prefix, family.target.value, next(ranks), wrapped, family.keep_outranked)
            )

    def event_rows(self, events: tuple[Event, ...], ranks: itertools.count[int]) -> None:
        list_ranks: dict[str, int] = {}  # one list per target and convention, in event order
        for event in events:
            slot = event.target.value
            rank = 0 if event.carrier else list_ranks.setdefault(slot, next(ranks))
            self.events[event.name] = _EventClaim(
                event.carrier, slot, rank, event.role, event.content, frozenset(event.drop)
            )


def _compile(conventions: tuple[Convention, ...]) -> _Tables:
    compiler = _Compiler()
    for index, convention in enumerate(conventions):
        ranks = itertools.count(index * _CONVENTION_STRIDE + 1)
        for rule in convention.rules:
            compiler.add(rule.attribute, rule, ranks, rule.encoding)
        for family in convention.families:
            compiler.family(family, ranks)
        compiler.event_rows(convention.events, ranks)
        if next(ranks) >= (index + 1) * _CONVENTION_STRIDE:
            raise ValueError(f"convention {convention.name} has too many rows")
    # Longest prefix first, so a family nested in another's prefix is found first.
    lists = tuple(sorted(compiler.lists, key=lambda family: -len(family.prefix)))
    maps = tuple(sorted(compiler.maps, key=lambda family: -len(family.prefix)))
    return _Tables(compiler.claims, lists, maps, compiler.events, compiler.rules)


_TABLES = _compile(PRECEDENCE)
_CLAIMS = _TABLES.claims
_FAMILY_PREFIXES = tuple(
    [family.prefix for family in _TABLES.lists] + [family.prefix for family in _TABLES.maps]
)
_EXCLUDES = {rank: frozenset(rule.excludes) for rank, (_, rule) in _TABLES.rules.items() if rule.excludes}
_ADDITIVE = frozenset(rank for rank, (_, rule) in _TABLES.rules.items() if rule.additive)
_INCLUDES = {rank: rule.includes for rank, (_, rule) in _TABLES.rules.items() if rule.includes}
_ADJUSTING = frozenset(_EXCLUDES) | _ADDITIVE


def _convention_of(rank: int) -> int:
    return (rank % _HINT_TIER) // _CONVENTION_STRIDE


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

    def offer(self, claim: _Claim, value: AttributeValue) -> bool:
        """Read ``value`` under ``claim``; False when it cannot be read (the raw attribute is then kept)."""
        store = claim.store
        converted = claim.convert(value)
        if converted is None:
            return False
        if store == _OBJECT:
            fields = claim.fields or {}
            for path, leaf in converted.items():
                field = fields.get(path)
                if field is not None:
                    self.offer(field, leaf)
            return True
        if converted is EMPTY:
            return True
        if store == _METADATA:
            self.offer_metadata(converted, claim.rank)
            return True
        found = self.stores[store]
        held = found.get(claim.slot)
        if held is None or claim.rank < held[0]:
            found[claim.slot] = (claim.rank, converted)
        if claim.read_fields is not None:
            self.offer_fields(claim, value)
        return True

    def offer_fields(self, claim: _Claim, value: AttributeValue) -> None:
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


def _family_item(
    name: str, value: AttributeValue, lists: dict[_ListFamily, list[Any]], found: _Found
) -> bool:
    """File an attribute under the prefix family it belongs to; False if it belongs to none."""
    for family in _TABLES.lists:
        if name.startswith(family.prefix):
            index = name[len(family.prefix) : len(family.prefix) + 1]
            if not (index.isdigit() and index.isascii()):
                return False
            lists.setdefault(family, []).append((name, value))
            return True
    for map_family in _TABLES.maps:
        if name.startswith(map_family.prefix):
            key = name[len(map_family.prefix) :]
            plain = map_family.read(value)
            if not key or plain is None:
                return False
            found.offer_metadata({key: plain}, map_family.rank)
            return True
    return False


def _event_message(claim: _EventClaim, attributes: dict[str, AttributeValue]) -> dict[str, Any]:
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
        claim = _TABLES.events.get(event.name)
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


# -- meaning applied after the walk -----------------------------------------------------------------------


def _whole_usage(usage_found: dict[str, tuple[int, int]]) -> dict[str, int]:
    """Counts in tokentrail's meaning: an input or output that leaves out a part stated beside it gets it.

    A part counted zero is left out (instrumentations write ``audio: 0`` on every call); a whole stays.
    """
    usage = {key: count for key, (_, count) in usage_found.items() if count or key in _WHOLES}
    if _ADJUSTING.isdisjoint(rank for rank, _ in usage_found.values()):
        return usage
    for part, whole in _USAGE_PARTS:
        part_hit, whole_hit = usage_found.get(part), usage_found.get(whole)
        if part_hit is None or whole_hit is None:
            continue
        excluded = part in _EXCLUDES.get(whole_hit[0], ())
        # An additive part is outside its own emitter's whole, not another convention's.
        outside = part_hit[0] in _ADDITIVE and _convention_of(part_hit[0]) == _convention_of(whole_hit[0])
        if excluded or outside:
            usage[whole] += part_hit[1]
    return usage


def _disjoint_costs(cost_found: dict[str, tuple[int, Decimal]]) -> dict[str, Decimal]:
    """Reported costs by type, each excluding the others (a prompt cost including the cache's loses it)."""
    cost = {key: amount for key, (_, amount) in cost_found.items()}
    for key, (rank, amount) in cost_found.items():
        parts = _INCLUDES.get(rank)
        if parts:
            rest = amount - sum((cost[part] for part in parts if part in cost), Decimal(0))
            if rest >= 0:
                cost[key] = rest
    return cost


def _keep_usage_raw(raw: RawSpan, attributes: dict[str, str], limit: int) -> None:
    for name, value in raw.attributes.items():
        claim = _CLAIMS.get(name)
        if claim is not None and claim.store in (_USAGE, _COST):
            attributes[name] = stringify(value, limit)


# -- the resource, shared by every span of one ResourceSpans ---------------------------------------------

_resources: dict[int, tuple[dict[str, AttributeValue], str, dict[str, str]]] = {}
_RESOURCES_KEPT = 256


def _resource_fields(resource: dict[str, AttributeValue], limit: int) -> tuple[str, dict[str, str]]:
    """The service name and the other resource attributes as strings, worked out once per resource.

    The decoder hands every span of a ResourceSpans the same dict; the cache holds that dict, so its id
    cannot be reused while the entry lives. The strings dict is shared by those spans: never mutate it.
    """
    cached = _resources.get(id(resource))
    if cached is not None and cached[0] is resource and len(cached[2]) <= len(resource):
        return cached[1], cached[2]
    service = ""
    strings: dict[str, str] = {}
    for name, value in resource.items():
        if name == SERVICE_NAME and (service_name := as_text(value)) is not None:
            service = service_name
        else:
            strings[name] = stringify(value, limit)
    if len(_resources) >= _RESOURCES_KEPT:
        _resources.clear()
    _resources[id(resource)] = (resource, service, strings)
    return service, strings


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
    lists: dict[_ListFamily, list[Any]] | None = None
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
        if store > _COST or claim.read_fields is not None:
            readable = found.offer(claim, value)
            if not readable or claim.keep or store == _OBJECT:
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

    input_text = scalars.get(_INPUT, _MISS)[1]
    instructions = scalars.get(_SYSTEM_INSTRUCTIONS)
    if instructions is not None:
        input_hit = scalars.get(_INPUT)
        merged = None
        # Only fold them into input written by the same convention; another one's input has its own shape.
        if input_hit is None or _convention_of(input_hit[0]) == _convention_of(instructions[0]):
            merged = with_system(instructions[1], input_text)
        if merged is None:
            attributes[_TABLES.rules[instructions[0]][0]] = capped(instructions[1], limit)
        else:
            input_text = merged

    usage_found, cost_found = found.usage, found.cost
    request_model = scalars.get(_REQUEST_MODEL, _MISS)[1]
    response_model = scalars.get(_RESPONSE_MODEL, _MISS)[1]
    kind_hit = scalars.get(_KIND)
    kind: SpanKind = kind_hit[1] if kind_hit is not None else SpanKind.OTHER
    if (kind_hit is None or kind_hit[0] > _HINT_TIER) and usage_found and (request_model or response_model):
        kind = SpanKind.LLM
    if kind in _AGGREGATE_KINDS and (usage_found or cost_found):
        # The calls below carry this usage themselves; counting it here too would count it twice.
        _keep_usage_raw(raw, attributes, limit)
        usage_found, cost_found = {}, {}

    custom_cost = scalars.get(_CUSTOM_COST)
    if custom_cost is not None:
        # An LLM span stating its own price states a total; anything else is a custom, per-kind cost.
        key = _TOTAL if kind in _PRICED_BY_USAGE else kind.value
        held_cost = cost_found.get(key)
        if held_cost is None or custom_cost[0] < held_cost[0]:
            cost_found[key] = custom_cost

    usage = _whole_usage(usage_found) if usage_found else {}
    service, resource = _resource_fields(raw.resource, limit)

    status = _STATUS.get(raw.status_code, Status.UNSET)
    exception = _last_exception(raw.events) if raw.events else None
    error_type_attribute = scalars.get(_ERROR_TYPE, _MISS)[1]
    if status is Status.UNSET and (exception is not None or error_type_attribute or _ERROR in scalars):
        # An unset status with a recorded exception, an error.type or a failure level means it failed.
        status = Status.ERROR
    error_type = error_message = error_stack = ""
    if status is Status.ERROR:
        details = _exception_details(exception) if exception is not None else {}
        error_type = details.get(_ERROR_TYPE) or error_type_attribute
        error_message = (
            details.get(_ERROR_MESSAGE) or raw.status_message or scalars.get(_ERROR_MESSAGE, _MISS)[1]
        )
        error_stack = capped(details.get(Target.ERROR_STACK.value, ""), limit)

    metadata = {key: text for key, (_, text) in found.metadata.items()} if found.metadata else {}
    provider = scalars.get(_PROVIDER, _MISS)[1]
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
        response_id=scalars.get(_RESPONSE_ID, _MISS)[1],
        usage=usage,
        usage_source=dict.fromkeys(usage, _ATTRIBUTE_SOURCE),
        reported_cost=_disjoint_costs(cost_found) if cost_found else {},
        session_id=scalars.get(_SESSION_ID, _MISS)[1],
        user_id=scalars.get(_USER_ID, _MISS)[1],
        trace_name=scalars.get(_TRACE_NAME, _MISS)[1],
        tags=scalars.get(_TAGS, _MISS)[1] or [],
        metadata=metadata,
        input=capped(input_text, limit),
        output=capped(scalars.get(_OUTPUT, _MISS)[1], limit),
        attributes=attributes,
        resource=resource,
        events=_events_json(raw.events) if raw.events else "",
    )


def _events_json(events: list[RawEvent]) -> str:
    return dumps(
        [{"name": event.name, "time_ns": event.time_ns, "attributes": event.attributes} for event in events]
    )


def _last_exception(events: list[RawEvent]) -> RawEvent | None:
    # The last one is what ended the span; earlier ones may have been retried past.
    for event in reversed(events):
        if event.name == EXCEPTION_EVENT:
            return event
    return None


def _exception_details(event: RawEvent) -> dict[str, str]:
    details: dict[str, str] = {}
    for name, target in EXCEPTION_FIELDS.items():
        text = as_text(event.attributes.get(name))
        if text is not None:
            details[target.value] = text
    return details
