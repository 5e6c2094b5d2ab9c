"""Trace context across services and queues: W3C ``traceparent`` and ``baggage`` in any message's headers.

A producer wraps the enqueueing in :func:`produce`, which injects its own span's context into the message's
headers; the consumer wraps the handling in :func:`consume`, whose span is the producer's child (or, with
``link=True``, starts its own trace linked to it). The message's baggage (the session, the user) is the
current context inside ``consume``, so every span started there is stamped with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import baggage, context, propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter
from opentelemetry.semconv._incubating.attributes.messaging_attributes import (
    MESSAGING_BATCH_MESSAGE_COUNT,
    MESSAGING_DESTINATION_NAME,
    MESSAGING_OPERATION_TYPE,
    MESSAGING_SYSTEM,
    MessagingOperationTypeValues,
)
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.util.types import AttributeValue

from tokentrail.sdk.configure import installed

__all__ = ["consume", "consume_many", "extract", "inject", "produce"]

Carrier = Mapping[str, Any]
Attributes = Mapping[str, AttributeValue]


class _HeaderGetter(Getter[Carrier]):
    """Reads a header whatever its case, as text; bytes (Kafka, AMQP) are decoded, other values ignored."""

    def get(self, carrier: Carrier, key: str) -> list[str] | None:
        for name, value in carrier.items():
            if isinstance(name, str) and name.lower() == key:
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                return [value] if isinstance(value, str) else None
        return None

    def keys(self, carrier: Carrier) -> list[str]:
        return [name for name in carrier if isinstance(name, str)]


_GETTER = _HeaderGetter()


def _tracer() -> trace.Tracer:
    """``init``'s tracer (its provider need not be the global one), else the global provider's."""
    current = installed()
    return current.tracer if current is not None else trace.get_tracer("tokentrail.sdk")


def inject(carrier: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Write the current span's context (``traceparent``) and baggage into ``carrier``; return it."""
    propagate.inject(carrier)
    return carrier


def extract(carrier: Carrier | None) -> Context:
    """The context a message's headers carry (remote parent span and baggage). Missing or malformed
    headers give an empty context: the consumer then starts a trace of its own."""
    return propagate.extract(carrier or {}, getter=_GETTER)


def _messaging(
    operation: MessagingOperationTypeValues, system: str | None, destination: str | None
) -> dict[str, AttributeValue]:
    known: dict[str, AttributeValue] = {MESSAGING_SYSTEM: system, MESSAGING_DESTINATION_NAME: destination}
    return {MESSAGING_OPERATION_TYPE: operation.value} | {k: v for k, v in known.items() if v}


def _with_baggage(entries: Mapping[str, object], parent: Context | None = None) -> Context:
    ctx = parent if parent is not None else context.get_current()
    for name, value in entries.items():
        ctx = baggage.set_baggage(name, value, ctx)
    return ctx


def _link(ctx: Context) -> list[Link]:
    span_context = trace.get_current_span(ctx).get_span_context()
    return [Link(span_context)] if span_context.is_valid else []


@contextmanager
def _span_in(
    ctx: Context, name: str, kind: SpanKind, links: list[Link], attributes: Attributes
) -> Iterator[Span]:
    # The context is attached, not only given as parent, so spans started inside see the baggage too.
    token = context.attach(ctx)
    try:
        with _tracer().start_as_current_span(name, kind=kind, links=links, attributes=attributes) as span:
            yield span
    finally:
        context.detach(token)


@contextmanager
def consume(
    carrier: Carrier | None,
    name: str,
    *,
    link: bool = False,
    attributes: Attributes | None = None,
    system: str | None = None,
    destination: str | None = None,
) -> Iterator[Span]:
    """A CONSUMER span for handling one message: the producer's child, or with ``link=True`` the start of
    a new trace (under whatever span is current here) that links to the producer's. Either way the
    message's baggage is current inside."""
    producer = extract(carrier)
    ctx = _with_baggage(baggage.get_all(producer)) if link else producer
    attrs = _messaging(MessagingOperationTypeValues.PROCESS, system, destination) | dict(attributes or {})
    with _span_in(ctx, name, SpanKind.CONSUMER, _link(producer) if link else [], attrs) as span:
        yield span


@contextmanager
def consume_many(
    carriers: Iterable[Carrier | None],
    name: str,
    *,
    attributes: Attributes | None = None,
    system: str | None = None,
    destination: str | None = None,
) -> Iterator[Span]:
    """A CONSUMER span for handling a batch: a new trace with one link per message that carried a trace.
    The baggage entries every message agrees on (the batch's session, say) are current inside."""
    producers = [extract(carrier) for carrier in carriers]
    entries = [baggage.get_all(producer) for producer in producers]
    shared = {k: v for k, v in (entries[0] if entries else {}).items() if all(e.get(k) == v for e in entries)}
    links = [found for producer in producers for found in _link(producer)]
    attrs = _messaging(MessagingOperationTypeValues.PROCESS, system, destination)
    attrs |= {MESSAGING_BATCH_MESSAGE_COUNT: len(producers)} | dict(attributes or {})
    with _span_in(_with_baggage(shared), name, SpanKind.CONSUMER, links, attrs) as span:
        yield span


@contextmanager
def produce(
    name: str,
    carrier: MutableMapping[str, str],
    *,
    attributes: Attributes | None = None,
    system: str | None = None,
    destination: str | None = None,
) -> Iterator[Span]:
    """A PRODUCER span around enqueueing a message; its context is injected into ``carrier`` (the
    message's headers) on entry, so the consumer's span becomes its child."""
    attrs = _messaging(MessagingOperationTypeValues.SEND, system, destination) | dict(attributes or {})
    with _tracer().start_as_current_span(name, kind=SpanKind.PRODUCER, attributes=attrs) as span:
        inject(carrier)
        yield span
