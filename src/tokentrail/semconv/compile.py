"""The convention tables compiled into claims: attribute name -> where its value goes, its rank, its reader.

The conventions are tables (:mod:`.genai`, :mod:`.openinference`, :mod:`.langfuse` ...). At import they
are compiled, in :data:`PRECEDENCE` order, into one dict from attribute name to a :class:`Claim`, so
:func:`~tokentrail.semconv.normalize.normalize` walks a span's attributes once with one dict lookup
each. Prefix families (flattened lists, metadata maps) and message events get their own small tables.

Ranks are given here (what they decide is described in :mod:`.normalize`): a convention's index in
:data:`PRECEDENCE` times a stride, plus the row's place in its table; kind hints are pushed into a tier
below every explicit row.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, NamedTuple

from tokentrail.model import USAGE_TYPES, SpanKind
from tokentrail.semconv.common import (
    OTEL_GENERAL,
    TOKENTRAIL,
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
from tokentrail.semconv.mlflow import MLFLOW
from tokentrail.semconv.openinference import OPENINFERENCE
from tokentrail.semconv.openllmetry import OPENLLMETRY
from tokentrail.semconv.values import (
    CONVERTERS,
    Converter,
    decoded,
    flag_lookup,
    implied,
    kind_lookup,
    object_reader,
    plain_reader,
    provider_lookup,
)
from tokentrail.semconv.vercel import VERCEL

__all__ = [
    "PRECEDENCE",
    "TABLES",
    "Claim",
    "EventClaim",
    "ListFamily",
    "MapFamily",
    "Tables",
    "compile_tables",
]

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
HINT_TIER = 1_000_000

# Where a claim's value goes while the span is walked.
SCALAR, USAGE, COST, METADATA, OBJECT = range(5)

# Targets as plain strings: an enum member hashes through a Python-level __hash__ on every lookup.
KIND = Target.KIND.value
PROVIDER = Target.PROVIDER.value
REQUEST_MODEL = Target.REQUEST_MODEL.value
RESPONSE_MODEL = Target.RESPONSE_MODEL.value
RESPONSE_ID = Target.RESPONSE_ID.value
CUSTOM_COST = Target.CUSTOM_COST.value
SESSION_ID = Target.SESSION_ID.value
USER_ID = Target.USER_ID.value
TRACE_NAME = Target.TRACE_NAME.value
TOOL_NAME = Target.TOOL_NAME.value
TAGS = Target.TAGS.value
INPUT = Target.INPUT.value
OUTPUT = Target.OUTPUT.value
SYSTEM_INSTRUCTIONS = Target.SYSTEM_INSTRUCTIONS.value
ERROR = Target.ERROR.value
ERROR_TYPE = Target.ERROR_TYPE.value
ERROR_MESSAGE = Target.ERROR_MESSAGE.value
TOTAL = "total"

MISS: tuple[int, Any] = (0, "")  # what a target holds when no attribute filled it


class Claim(NamedTuple):
    """One attribute's claim: the store and slot its value fills, its rank, and how to read it."""

    store: int
    slot: str
    rank: int
    convert: Converter
    keep: bool
    #: A scalar, usage or cost value and nothing more to read from it: the walk's inline case.
    plain: bool = True
    #: An object's fields (OBJECT), or fields also read from a payload's JSON: path -> claim.
    fields: Mapping[str, Claim] | None = None
    read_fields: Converter | None = None
    #: The kind the value also implies (a tool name says the span is probably a tool call).
    also: Claim | None = None


class ListFamily(NamedTuple):
    """Flattened list attributes under one prefix (``llm.input_messages.0.…``), rebuilt into one slot."""

    prefix: str
    slot: str
    rank: int
    wrapped: bool  # OpenInference's singular wrapper after each index
    keep_outranked: bool


class MapFamily(NamedTuple):
    """Metadata keys under one prefix, merged into the span's metadata."""

    prefix: str
    rank: int
    read: Converter


class EventClaim(NamedTuple):
    """A span event that carries messages (or, as a carrier, the span's attributes again)."""

    carrier: bool
    slot: str
    rank: int
    role: str
    content: str
    drop: frozenset[str]


class Tables(NamedTuple):
    """The compiled conventions."""

    claims: dict[str, Claim]
    lists: tuple[ListFamily, ...]
    maps: tuple[MapFamily, ...]
    events: dict[str, EventClaim]
    rules: dict[int, tuple[str, Rule]]  # rank -> (attribute, rule), for the meaning applied after the walk


def _converter(rule: Rule, encoding: Encoding) -> Converter:
    target = rule.target
    if target is Target.KIND:
        convert = implied(SpanKind(rule.implies)) if rule.implies else kind_lookup(rule.values or {})
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
        return USAGE, rule.key
    if rule.target is Target.COST:
        if rule.key not in USAGE_TYPES and rule.key != TOTAL:
            raise ValueError(f"{rule.attribute}: unknown cost type {rule.key!r}")
        return COST, rule.key
    if rule.target is Target.METADATA:
        return METADATA, ""
    if rule.target is Target.OBJECT:
        if not rule.fields:
            raise ValueError(f"{rule.attribute}: an object rule needs fields")
        return OBJECT, ""
    return SCALAR, rule.target.value


class _Compiler:
    def __init__(self) -> None:
        self.claims: dict[str, Claim] = {}
        self.rules: dict[int, tuple[str, Rule]] = {}
        self.lists: list[ListFamily] = []
        self.maps: list[MapFamily] = []
        self.events: dict[str, EventClaim] = {}

    def claim(self, name: str, rule: Rule, ranks: itertools.count[int], encoding: Encoding) -> Claim:
        rank = next(ranks)
        store, slot = _placement(rule)
        fields: dict[str, Claim] | None = None
        read_fields: Converter | None = None
        if rule.fields:
            if store not in (OBJECT, SCALAR) or slot not in (INPUT, OUTPUT, ""):
                raise ValueError(f"{name}: only objects and payloads have fields")
            fields = {
                field.attribute: self.claim(field.attribute, field, ranks, Encoding.PLAIN)
                for field in rule.fields
            }
            if store == SCALAR:  # a payload: its fields are read from its JSON, under these roots only
                read_fields = object_reader(Encoding.JSON, frozenset(path.split(".")[0] for path in fields))
        also: Claim | None = None
        if rule.implies and rule.target is not Target.KIND:  # a name that also hints at the span's kind
            kind = Rule(rule.attribute, Target.KIND, implies=rule.implies, hint=rule.hint)
            also = self.claim(name, kind, ranks, encoding)
        self.rules[rank] = (name, rule)
        tiered = rank + HINT_TIER if rule.hint and rule.target is Target.KIND else rank
        plain = store <= COST and read_fields is None and also is None
        return Claim(
            store, slot, tiered, _converter(rule, encoding), rule.keep, plain, fields, read_fields, also
        )

    def add(self, name: str, rule: Rule, ranks: itertools.count[int], encoding: Encoding) -> None:
        if name in self.claims:
            raise ValueError(f"{name} is claimed twice")
        self.claims[name] = self.claim(name, rule, ranks, encoding)

    def family(self, family: Family, ranks: itertools.count[int]) -> None:
        if family.shape is Shape.MAP:
            for key in family.keys:
                encoding = key.encoding if key.encoding is not Encoding.PLAIN else family.encoding
                self.add(family.prefix + key.attribute, key, ranks, encoding)
            self.maps.append(MapFamily(family.prefix, next(ranks), plain_reader(family.encoding)))
        else:
            wrapped = family.shape is Shape.LIST
            self.lists.append(
                ListFamily(family.prefix, family.target.value, next(ranks), wrapped, family.keep_outranked)
            )

    def event_rows(self, events: tuple[Event, ...], ranks: itertools.count[int]) -> None:
        list_ranks: dict[str, int] = {}  # one list per target and convention, in event order
        for event in events:
            slot = event.target.value
            rank = 0 if event.carrier else list_ranks.setdefault(slot, next(ranks))
            self.events[event.name] = EventClaim(
                event.carrier, slot, rank, event.role, event.content, frozenset(event.drop)
            )


def compile_tables(conventions: tuple[Convention, ...]) -> Tables:
    """Compile ``conventions``, most trusted first; ValueError on a table that cannot be read."""
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
    return Tables(compiler.claims, lists, maps, compiler.events, compiler.rules)


def convention_of(rank: int) -> int:
    """The index in :data:`PRECEDENCE` of the convention a rank belongs to."""
    return (rank % HINT_TIER) // _CONVENTION_STRIDE


#: :data:`PRECEDENCE`, compiled.
TABLES = compile_tables(PRECEDENCE)
