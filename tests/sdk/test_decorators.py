"""@trace and @tool: a span per call of sync, async, generator and async generator functions, with the
arguments (the receiver left out) and the result captured, cut at the size limit and redacted with the
server's rules; exceptions recorded and re-raised; a generator's span ends when its iteration does."""

from __future__ import annotations

import asyncio
import json

import pytest
from opentelemetry.trace import StatusCode

import tokentrail
from tokentrail.marker import TRUNCATION_MARKER


def test_a_sync_function_is_a_span_with_its_arguments_and_result(traced):
    class Bot:
        @tokentrail.trace(kind="agent")
        def answer(self, question, style="short"):
            return {"text": question.upper()}

    assert Bot().answer("hi", style="long") == {"text": "HI"}
    span = traced.spans()["test_a_sync_function_is_a_span_with_its_arguments_and_result.<locals>.Bot.answer"]
    assert span.attributes["tokentrail.span.kind"] == "agent"
    assert json.loads(span.attributes["tokentrail.input"]) == {"question": "hi", "style": "long"}
    assert json.loads(span.attributes["tokentrail.output"]) == {"text": "HI"}


def test_an_async_function_is_current_while_it_runs(traced):
    @tokentrail.trace(name="inner")
    async def inner():
        return 1

    @tokentrail.trace(name="outer")
    async def outer():
        return await inner() + await inner()

    assert asyncio.run(outer()) == 2
    spans = traced.memory.get_finished_spans()
    outer_span = next(span for span in spans if span.name == "outer")
    inners = [span for span in spans if span.name == "inner"]
    assert len(inners) == 2
    assert all(span.parent.span_id == outer_span.context.span_id for span in inners)


def test_a_generator_span_ends_with_its_iteration_and_holds_what_it_yielded(traced):
    @tokentrail.trace(name="child")
    def child():
        return "c"

    @tokentrail.trace(name="stream")
    def stream(n):
        for index in range(n):
            child()
            yield f"t{index} "

    chunks = stream(3)
    assert next(chunks) == "t0 "
    assert "stream" not in traced.spans()  # still iterating
    assert list(chunks) == ["t1 ", "t2 "]
    spans = traced.spans()
    assert spans["stream"].attributes["tokentrail.output"] == "t0 t1 t2 "
    assert spans["child"].parent.span_id == spans["stream"].context.span_id


def test_a_generator_closed_early_ends_its_span_without_an_error(traced):
    @tokentrail.trace(name="stream")
    def stream():
        yield from range(100)

    chunks = stream()
    assert [next(chunks), next(chunks)] == [0, 1]
    chunks.close()
    span = traced.spans()["stream"]
    assert json.loads(span.attributes["tokentrail.output"]) == [0, 1]
    assert span.status.status_code is StatusCode.UNSET


def test_an_async_generator_span_holds_what_it_yielded(traced):
    @tokentrail.trace(name="astream")
    async def astream(n):
        for index in range(n):
            await asyncio.sleep(0)
            yield {"i": index}

    async def consume():
        return [item async for item in astream(2)]

    assert asyncio.run(consume()) == [{"i": 0}, {"i": 1}]
    assert json.loads(traced.spans()["astream"].attributes["tokentrail.output"]) == [{"i": 0}, {"i": 1}]


@pytest.mark.parametrize("kind", ["sync", "async", "generator"])
def test_an_exception_is_recorded_and_raised_unchanged(traced, kind):
    problem = KeyError("missing")

    @tokentrail.trace(name="fails")
    def sync():
        raise problem

    @tokentrail.trace(name="fails")
    async def coroutine():
        raise problem

    @tokentrail.trace(name="fails")
    def generator():
        yield 1
        raise problem

    calls = {
        "sync": sync,
        "async": lambda: asyncio.run(coroutine()),
        "generator": lambda: list(generator()),
    }
    with pytest.raises(KeyError) as raised:
        calls[kind]()
    assert raised.value is problem
    span = traced.spans()["fails"]
    assert span.status.status_code is StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]
    assert span.events[0].attributes["exception.type"] == "KeyError"


def test_payloads_over_the_limit_are_cut_with_the_servers_marker(limited):
    @tokentrail.trace(name="big")
    def big(text):
        return text

    @tokentrail.trace(name="many")
    def many():
        yield from ("x" * 30 for _ in range(1000))

    big("y" * 500)
    list(many())
    spans = limited.spans()
    for name, attribute in [
        ("big", "tokentrail.input"),
        ("big", "tokentrail.output"),
        ("many", "tokentrail.output"),
    ]:
        text = spans[name].attributes[attribute]
        assert len(text) <= 100
        assert text.endswith(" chars]") and TRUNCATION_MARKER.split("{}")[0] in text


def test_secrets_in_payloads_are_masked_with_the_servers_rules(traced):
    @tokentrail.trace(name="login")
    def login(email, token):
        return f"Authorization: Bearer {token}"

    login("ada@example.com", "abcdefghijklmnop1234")
    span = traced.spans()["login"]
    assert "ada@example.com" not in span.attributes["tokentrail.input"]
    assert "[REDACTED:email]" in span.attributes["tokentrail.input"]
    assert "abcdefghijklmnop1234" not in span.attributes["tokentrail.output"]


def test_capture_can_be_switched_off_per_function(traced):
    @tokentrail.trace(name="private", capture_input=False, capture_output=False)
    def private(secret):
        return secret

    private("x")
    attributes = traced.spans()["private"].attributes
    assert "tokentrail.input" not in attributes
    assert "tokentrail.output" not in attributes
