"""``@trace`` and ``@tool``: a span around each call of a function, sync or async, plain or generator.

The span is current while the function runs, so the spans it starts (LLM calls, HTTP requests) are its
children. Its arguments (the receiver left out) and its result are captured as JSON text
(:mod:`tokentrail.sdk.capture`); a generator's span ends when its iteration ends (exhausted, closed or
failed), its output being the items it yielded. An exception is recorded on the span (status ERROR and an
``exception`` event) and raised again, unchanged.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from opentelemetry import context as otel_context
from opentelemetry import trace as trace_api
from opentelemetry.context import Context
from opentelemetry.trace import Status, StatusCode
from opentelemetry.util.types import AttributeValue

from tokentrail.sdk import capture, configure
from tokentrail.sdk.attributes import INPUT, OUTPUT, SPAN_KIND, TOOL_NAME
from tokentrail.sdk.capture import Collected
from tokentrail.sdk.costs import Amount, as_decimal, record_cost

__all__ = ["tool", "trace"]

F = TypeVar("F", bound=Callable[..., Any])

#: Before ``init`` (or without it), spans go through whatever provider the app set globally.
_GLOBAL_TRACER = trace_api.get_tracer("tokentrail.sdk")


def _tracer() -> trace_api.Tracer:
    current = configure.installed()
    return current.tracer if current is not None else _GLOBAL_TRACER


@dataclass(frozen=True)
class _Step:
    """What a decorated function's spans carry: name, kind, what is captured, the cost of one call."""

    name: str
    signature: inspect.Signature
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
    capture_input: bool = True
    capture_output: bool = True
    cost_per_call: Amount | None = None
    #: The parameter names positional arguments bind to, when binding them is a zip (no ``*args``).
    positional: tuple[str, ...] | None = None

    def start_attributes(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, AttributeValue]:
        """The span's attributes at its start: the step's, and the call's input (given with the others,
        the span checks its attributes once)."""
        rules = capture.current()
        if not (self.capture_input and rules.enabled):
            return self.attributes
        if self.positional is not None and not kwargs and len(args) <= len(self.positional):
            inputs = capture.named(self.positional, args)
        else:
            inputs = capture.arguments(self.signature, args, kwargs)
        return {**self.attributes, INPUT: rules.text(inputs)}

    def started(self, span: trace_api.Span) -> None:
        if self.cost_per_call is not None and span.is_recording():
            record_cost(self.cost_per_call, span=span)

    def finished(self, span: trace_api.Span, result: object) -> None:
        rules = capture.current()
        if self.capture_output and rules.enabled and span.is_recording():
            span.set_attribute(OUTPUT, rules.text(result))


@contextmanager
def _failures_recorded(span: trace_api.Span) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        raise


def _plain(fn: Callable[..., Any], step: _Step) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        attributes = step.start_attributes(args, kwargs)
        with _tracer().start_as_current_span(step.name, attributes=attributes) as span:
            step.started(span)
            result = fn(*args, **kwargs)
            step.finished(span, result)
            return result

    return call


def _coroutine(fn: Callable[..., Any], step: _Step) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def call(*args: Any, **kwargs: Any) -> Any:
        attributes = step.start_attributes(args, kwargs)
        with _tracer().start_as_current_span(step.name, attributes=attributes) as span:
            step.started(span)
            result = await fn(*args, **kwargs)
            step.finished(span, result)
            return result

    return call


@contextmanager
def _iteration(
    step: _Step, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Iterator[tuple[Context, Collected]]:
    """A generator's span, from its first item to its end: the context to run it in, and what it
    yields."""
    span = _tracer().start_span(step.name, attributes=step.start_attributes(args, kwargs))
    collected = Collected(capture.current().max_chars)
    step.started(span)
    try:
        with _failures_recorded(span):
            yield trace_api.set_span_in_context(span), collected
    finally:
        step.finished(span, collected.value())
        span.end()


def _generator(fn: Callable[..., Any], step: _Step) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Iterator[Any]:
        items = fn(*args, **kwargs)
        with _iteration(step, args, kwargs) as (inside, collected):
            try:
                while True:
                    # Current only while the generator runs: never across a yield to the consumer.
                    token = otel_context.attach(inside)
                    try:
                        item = next(items)
                    except StopIteration:
                        return
                    finally:
                        otel_context.detach(token)
                    collected.add(item)
                    yield item
            finally:
                items.close()  # the consumer stopped early: the generator's own cleanup runs now

    return call


def _async_generator(fn: Callable[..., Any], step: _Step) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def call(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        items = fn(*args, **kwargs)
        with _iteration(step, args, kwargs) as (inside, collected):
            try:
                while True:
                    token = otel_context.attach(inside)
                    try:
                        item = await items.__anext__()
                    except StopAsyncIteration:
                        return
                    finally:
                        otel_context.detach(token)
                    collected.add(item)
                    yield item
            finally:
                await items.aclose()

    return call


#: (what the function is, how its calls are wrapped); the first that matches applies.
_WRAPPERS: tuple[
    tuple[Callable[[Any], bool], Callable[[Callable[..., Any], _Step], Callable[..., Any]]], ...
] = (
    (inspect.isasyncgenfunction, _async_generator),
    (inspect.isgeneratorfunction, _generator),
    (inspect.iscoroutinefunction, _coroutine),
    (lambda fn: True, _plain),
)


def _wrapped(fn: F, step: _Step) -> F:
    wrapper = next(wrap for matches, wrap in _WRAPPERS if matches(fn))
    return wrapper(fn, step)  # type: ignore[return-value]


def _step(fn: Callable[..., Any], name: str | None, kind: str, **options: Any) -> _Step:
    attributes: dict[str, AttributeValue] = {SPAN_KIND: kind, **options.pop("attributes", {})}
    signature = inspect.signature(fn)
    return _Step(
        name or fn.__qualname__,
        signature,
        attributes,
        positional=capture.positional_names(signature),
        **options,
    )


@overload
def trace(fn: F, /) -> F: ...
@overload
def trace(
    *, name: str | None = None, kind: str = "chain", capture_input: bool = True, capture_output: bool = True
) -> Callable[[F], F]: ...
def trace(
    fn: F | None = None,
    /,
    *,
    name: str | None = None,
    kind: str = "chain",
    capture_input: bool = True,
    capture_output: bool = True,
) -> F | Callable[[F], F]:
    """Trace each call of the decorated function as a span named ``name`` (default: the function's
    qualified name) of ``kind`` (``chain``, ``agent``, ``retrieval``, ``llm``, ...), with its arguments and
    result captured unless switched off."""

    def decorate(function: F) -> F:
        options = {"capture_input": capture_input, "capture_output": capture_output}
        return _wrapped(function, _step(function, name, kind, **options))

    return decorate(fn) if fn is not None else decorate


@overload
def tool(fn: F, /) -> F: ...
@overload
def tool(
    *,
    name: str | None = None,
    cost_per_call: Amount | None = None,
    capture_input: bool = True,
    capture_output: bool = True,
) -> Callable[[F], F]: ...
def tool(
    fn: F | None = None,
    /,
    *,
    name: str | None = None,
    cost_per_call: Amount | None = None,
    capture_input: bool = True,
    capture_output: bool = True,
) -> F | Callable[[F], F]:
    """Trace each call of the decorated function as a tool span; ``cost_per_call`` (USD) is stated on
    each call's span, so the trace's totals count it."""
    if cost_per_call is not None:
        as_decimal(cost_per_call)  # a bad amount fails here, at import, not on every call

    def decorate(function: F) -> F:
        tool_name = name or function.__name__
        options = {
            "capture_input": capture_input,
            "capture_output": capture_output,
            "cost_per_call": cost_per_call,
            "attributes": {TOOL_NAME: tool_name},
        }
        return _wrapped(function, _step(function, tool_name, "tool", **options))

    return decorate(fn) if fn is not None else decorate
