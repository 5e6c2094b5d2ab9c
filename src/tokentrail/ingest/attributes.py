"""OTLP attribute values read within a request's limits: how many a span keeps, how long a text, how deep
a value (:class:`~tokentrail.limits.RequestLimits`); what was dropped or cut is said on the span."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import islice
from typing import TypeVar

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from tokentrail.ingest.truncation import cut
from tokentrail.limits import DROPPED_ATTRIBUTES, TRUNCATED, RequestLimits
from tokentrail.model import AttributeValue, RawSpan
from tokentrail.semconv.values import NESTED_TOO_DEEP as TOO_DEEP

__all__ = ["TOO_DEEP", "AttributeReader", "kept_pairs"]

_Pair = TypeVar("_Pair")  # a KeyValue, or its JSON form


def kept_pairs(
    pairs: Sequence[_Pair], most: int, protected: frozenset[str], key: Callable[[_Pair], object]
) -> list[_Pair]:
    """The first ``most`` pairs, and any later one a convention reads (usage, model, ids, session)."""
    # islice, not slices: slicing a million protobuf pairs copies a million wrappers, six times slower.
    kept = list(islice(pairs, most))
    kept += [pair for pair in islice(pairs, most, None) if key(pair) in protected]
    return kept


class AttributeReader:
    """Reads attribute values within the limits, noting per span what it dropped or cut."""

    __slots__ = ("chars", "depth", "dropped", "most", "protected", "truncated")

    def __init__(self, limits: RequestLimits, protected: frozenset[str]) -> None:
        self.most, self.chars, self.depth = limits.max_attributes, limits.max_value_chars, limits.max_depth
        self.protected = protected
        self.dropped, self.truncated = 0, False

    def start_span(self, dropped: int) -> None:
        self.dropped, self.truncated = dropped, False

    def mark(self, raw: RawSpan, warnings: list[str]) -> None:
        """Say on the span (and in the answer, for dropped attributes) what the limits took."""
        if self.truncated:
            raw.attributes[TRUNCATED] = True
        if self.dropped:
            raw.attributes[DROPPED_ATTRIBUTES] = self.dropped
            warnings.append(
                f"span {raw.span_id}: {self.dropped} attributes dropped over the limit of {self.most} a span "
                "(TOKENTRAIL_MAX_ATTRIBUTES_PER_SPAN); the ones conventions read were kept"
            )

    def text(self, text: str) -> str:
        if len(text) <= self.chars:
            return text
        self.truncated = True
        return cut(text, self.chars)

    def attributes(
        self, pairs: Sequence[KeyValue], *, nested: bool = False, depth: int = 0
    ) -> dict[str, AttributeValue]:
        """The pairs as a dict. A top-level string is left whole (normalization caps what it stores, after
        reading the payloads in it), a nested one is cut; arrays and maps deeper than the limit become a
        marker."""
        if len(pairs) > self.most:
            kept = kept_pairs(pairs, self.most, self.protected, _key)
            self.dropped += len(pairs) - len(kept)
            pairs = kept
        attributes: dict[str, AttributeValue] = {}
        chars = self.chars
        for pair in pairs:
            value = pair.value
            # Strings are most attributes: a non-empty string_value can only be the set member of the oneof.
            text = value.string_value
            if not text:
                attributes[pair.key] = self.value(value, depth)
            elif len(text) <= chars:
                attributes[pair.key] = text
            else:
                self.truncated = True
                attributes[pair.key] = cut(text, chars) if nested or depth else text
        return attributes

    def value(self, value: AnyValue, depth: int) -> AttributeValue:
        kind = value.WhichOneof("value")
        if kind == "string_value":
            return self.text(value.string_value) if depth else value.string_value
        if kind == "array_value" or kind == "kvlist_value":
            if depth >= self.depth:
                self.truncated = True
                return TOO_DEEP
            if kind == "kvlist_value":
                return self.attributes(value.kvlist_value.values, nested=True, depth=depth + 1)
            return [self.value(item, depth + 1) for item in value.array_value.values]
        reader = _SCALARS.get(kind)
        return None if reader is None else reader(value)


def _key(pair: KeyValue) -> str:
    return pair.key


# AnyValue's scalar oneof fields -> how to read them.
_SCALARS: dict[str | None, Callable[[AnyValue], AttributeValue]] = {
    "int_value": lambda value: value.int_value,
    "double_value": lambda value: value.double_value,
    "bool_value": lambda value: value.bool_value,
    "bytes_value": lambda value: value.bytes_value,
}
