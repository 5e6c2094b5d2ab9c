"""Context across a queue, by hand: a consumer's span is the producer's child (or links to it, for fan-out
and batches), the message's baggage is current while it is handled, and a message without context or with
malformed headers starts a trace of its own instead of failing. With ``init``, the spans go through its
tracer provider and its span processor stamps the session and user on each."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from opentelemetry import baggage, context, trace
from opentelemetry.trace import SpanKind

import tokentrail
from tokentrail.sdk.attributes import SESSION, USER
from tokentrail.sdk.propagation import consume, consume_many, extract, inject, produce


@contextmanager
def _elsewhere() -> Iterator[None]:
    """An empty context, as in another process: nothing the test set is current."""
    token = context.attach(context.Context())
    try:
        yield
    finally:
        context.detach(token)


@pytest.fixture
def session_baggage() -> Iterator[None]:
    with tokentrail.session("chat-1"):
        yield


@pytest.fixture
def tracer(traced) -> trace.Tracer:
    """A tracer of the provider ``init`` was given (the app's own spans)."""
    return traced.provider.get_tracer("test")


def test_the_consumer_span_is_the_child_of_the_producer_span(tracer, traced, session_baggage):
    headers: dict[str, str] = {}
    with produce("send question", headers, system="redis", destination="questions"):
        pass
    with (
        _elsewhere(),
        consume(headers, "process question", system="redis", destination="questions"),
        tracer.start_as_current_span("work"),
    ):
        seen = baggage.get_baggage(SESSION)

    ended = traced.spans()
    producer, consumer, work = ended["send question"], ended["process question"], ended["work"]
    assert producer.kind is SpanKind.PRODUCER and consumer.kind is SpanKind.CONSUMER
    assert consumer.context.trace_id == producer.context.trace_id
    assert consumer.parent is not None and consumer.parent.span_id == producer.context.span_id
    assert work.parent is not None and work.parent.span_id == consumer.context.span_id
    assert seen == "chat-1"
    assert producer.attributes is not None
    assert {
        "messaging.operation.type": "send",
        "messaging.system": "redis",
        "messaging.destination.name": "questions",
    }.items() <= producer.attributes.items()
    assert consumer.attributes is not None and consumer.attributes["messaging.operation.type"] == "process"


def test_headers_carry_the_baggage_to_a_consumer_with_no_context_of_its_own(tracer, session_baggage):
    with tracer.start_as_current_span("request"):
        headers = inject({})
    assert set(headers) == {"traceparent", "baggage"}
    with _elsewhere():
        with consume(headers, "handle"):
            assert baggage.get_baggage(SESSION) == "chat-1"
        assert baggage.get_baggage(SESSION) is None  # the message's context ends with it


def test_a_linked_consumer_starts_its_own_trace_and_keeps_the_baggage(tracer, traced, session_baggage):
    with tracer.start_as_current_span("request") as request:
        headers = inject({})
    with _elsewhere(), consume(headers, "fan-out step", link=True, attributes={"step": 2}):
        seen = baggage.get_baggage(SESSION)

    step = traced.spans()["fan-out step"]
    assert step.parent is None and step.context.trace_id != request.get_span_context().trace_id
    assert [link.context.span_id for link in step.links] == [request.get_span_context().span_id]
    assert seen == "chat-1"
    assert step.attributes is not None and step.attributes["step"] == 2


def test_a_batch_links_every_message_and_keeps_only_the_baggage_they_share(tracer, traced):
    carriers = []
    for user in ("u-1", "u-2"):
        with (
            tokentrail.session("s"),
            tokentrail.user(user),
            tracer.start_as_current_span(f"request {user}"),
        ):
            carriers.append(inject({}))
    with tokentrail.session("s"):
        carriers.append(inject({}))  # sent outside any span: the session but no trace to link to

    with consume_many(carriers, "process batch", system="redis"):
        shared = dict(baggage.get_all())

    ended = traced.spans()
    batch = ended["process batch"]
    assert {link.context.span_id for link in batch.links} == {
        ended["request u-1"].context.span_id,
        ended["request u-2"].context.span_id,
    }
    assert shared == {SESSION: "s"}  # not the user: the messages disagree on it
    assert batch.attributes is not None and batch.attributes["messaging.batch.message_count"] == 3


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"traceparent": "00-not-a-trace-01", "baggage": "%%%;;=="},
        {"traceparent": 17, "baggage": None},
        {"traceparent": b"\xff\xfe", 3: "x"},
    ],
    ids=["empty", "malformed", "not-text", "undecodable"],
)
def test_missing_or_malformed_headers_start_a_trace_of_its_own(traced, headers):
    with consume(headers, "handle"):
        assert not baggage.get_all()

    handled = traced.spans()["handle"]
    assert handled.parent is None and handled.context.is_valid and not handled.links


def test_headers_are_read_whatever_their_case_and_from_bytes(tracer):
    with tracer.start_as_current_span("request") as request:
        headers = inject({})
    as_http = {"Traceparent": headers["traceparent"].encode()}
    found = trace.get_current_span(extract(as_http)).get_span_context()
    assert (found.trace_id, found.span_id) == (
        request.get_span_context().trace_id,
        request.get_span_context().span_id,
    )


def test_outside_any_span_inject_writes_no_traceparent_and_consume_starts_a_root(traced):
    headers = inject({})
    assert "traceparent" not in headers
    with consume(headers, "handle"):
        pass
    assert traced.spans()["handle"].parent is None


def test_with_init_the_spans_go_through_its_provider_and_every_one_carries_the_session(traced):
    headers: dict[str, str] = {}
    with tokentrail.session("chat-9"), tokentrail.user("u-9"), produce("send", headers):
        pass
    with (
        _elsewhere(),
        consume(headers, "handle"),
        traced.provider.get_tracer("app").start_as_current_span("work"),
    ):
        pass

    ended = traced.spans()
    assert set(ended) == {"send", "handle", "work"}
    for span in ended.values():
        assert span.attributes is not None
        assert (span.attributes[SESSION], span.attributes[USER]) == ("chat-9", "u-9"), span.name
