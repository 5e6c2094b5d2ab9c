"""Session, user, tags and metadata reach every span started inside them: nested spans, spans of
asyncio tasks, spans of other tracers (instrumentations); nested contexts add to the outer ones; and they
ride in W3C baggage, so a process that extracts them stamps its spans too."""

from __future__ import annotations

import asyncio

from opentelemetry import baggage, propagate
from opentelemetry import context as otel_context

import tokentrail


def test_every_span_inside_carries_the_context_nested_ones_too(traced):
    tracer = traced.provider.get_tracer("someone.else")

    @tokentrail.trace(name="outer")
    def outer():
        with tracer.start_as_current_span("instrumented"), tokentrail.tags("inner"):
            inner()

    @tokentrail.trace(name="inner")
    def inner():
        return None

    with (
        tokentrail.session("s-1"),
        tokentrail.user("u-1"),
        tokentrail.tags("beta", "eu"),
        tokentrail.metadata(plan="pro", seats=3),
    ):
        outer()
    spans = traced.spans()
    for name in ("outer", "instrumented", "inner"):
        attributes = spans[name].attributes
        assert attributes["tokentrail.session.id"] == "s-1", name
        assert attributes["tokentrail.user.id"] == "u-1", name
        assert attributes["tokentrail.metadata.plan"] == "pro", name
        assert attributes["tokentrail.metadata.seats"] == "3", name
    assert spans["outer"].attributes["tokentrail.tags"] == ("beta", "eu")
    assert spans["inner"].attributes["tokentrail.tags"] == ("beta", "eu", "inner")


def test_spans_outside_carry_none(traced):
    with tokentrail.session("s-1"):
        pass

    @tokentrail.trace(name="after")
    def after():
        return None

    after()
    assert "tokentrail.session.id" not in traced.spans()["after"].attributes


def test_asyncio_tasks_started_inside_carry_the_context(traced):
    @tokentrail.trace(name="task")
    async def task(index):
        await asyncio.sleep(0)
        return index

    async def main():
        with tokentrail.session("s-async"), tokentrail.user("u-async"):
            return await asyncio.gather(*(asyncio.create_task(task(index)) for index in range(3)))

    assert asyncio.run(main()) == [0, 1, 2]
    spans = [span for span in traced.memory.get_finished_spans() if span.name == "task"]
    assert len(spans) == 3
    assert {span.attributes["tokentrail.session.id"] for span in spans} == {"s-async"}


def test_the_context_rides_in_w3c_baggage_to_the_next_process(traced):
    headers: dict[str, str] = {}
    with tokentrail.session("s-1"), tokentrail.user("u-1"), tokentrail.tags("beta"):
        propagate.inject(headers)
    assert "baggage" in headers
    # The receiving side: an empty context, then what the headers carry.
    token = otel_context.attach(propagate.extract(headers, context=otel_context.Context()))
    try:
        assert baggage.get_baggage("tokentrail.session.id") == "s-1"

        @tokentrail.trace(name="downstream")
        def downstream():
            return None

        downstream()
    finally:
        otel_context.detach(token)
    attributes = traced.spans()["downstream"].attributes
    assert attributes["tokentrail.session.id"] == "s-1"
    assert attributes["tokentrail.user.id"] == "u-1"
    assert attributes["tokentrail.tags"] == ("beta",)


def test_tags_that_are_not_a_json_list_in_baggage_are_ignored(traced):
    token = otel_context.attach(baggage.set_baggage("tokentrail.tags", "not json"))
    try:
        with traced.provider.get_tracer("t").start_as_current_span("span"):
            pass
    finally:
        otel_context.detach(token)
    assert traced.spans()["span"].attributes["tokentrail.tags"] == ()
