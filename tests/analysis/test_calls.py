"""One LLM call reported by two instrumentation layers is counted once; separate calls always count."""

from __future__ import annotations

from tokentrail.analysis.calls import CallNode, mark_duplicates
from tokentrail.model import Span, SpanKind


def _llm(span_id, parent="", model="gpt-4o", tokens=(100, 20), kind=SpanKind.LLM):
    span = Span("p", "t" * 32, span_id, parent, span_id, "svc", 0, 1, kind=kind, request_model=model)
    span.usage = {"input": tokens[0], "output": tokens[1]}
    return span


def _chain(span_id, parent=""):
    return Span("p", "t" * 32, span_id, parent, span_id, "svc", 0, 1, kind=SpanKind.CHAIN)


def _marks(spans):
    return {s.span_id: s.duplicate_of for s in spans if s.duplicate_of}


def test_framework_span_around_sdk_span_counts_the_inner_one():
    outer, inner = _llm("outer"), _llm("inner", parent="outer", model="gpt-4o-2024-08-06")

    assert mark_duplicates([outer, inner], {}) == 1

    assert _marks([outer, inner]) == {"outer": "inner"}
    assert "same LLM call as span inner" in outer.duplicate_reason
    assert "100 input and 20 output tokens" in outer.duplicate_reason


def test_three_layers_with_a_chain_between_collapse_to_one():
    spans = [_llm("a"), _chain("c", parent="a"), _llm("b", parent="c"), _llm("d", parent="b")]

    mark_duplicates(spans, {})

    assert _marks(spans) == {"a": "d", "b": "d"}


def test_siblings_with_equal_usage_are_separate_calls():
    spans = [_chain("root"), _llm("x", parent="root"), _llm("y", parent="root")]

    assert mark_duplicates(spans, {}) == 0


def test_nested_calls_with_different_usage_or_models_are_separate():
    different_usage = [_llm("a"), _llm("b", parent="a", tokens=(100, 21))]
    different_model = [_llm("c"), _llm("d", parent="c", model="claude-sonnet-4-5")]

    assert mark_duplicates(different_usage, {}) == 0
    assert mark_duplicates(different_model, {}) == 0


def test_a_later_layer_joins_the_stored_counted_span():
    inner_stored = {"inner": CallNode("inner", "outer", frozenset({"gpt-4o"}), 100, 20)}
    outer = _llm("outer")

    mark_duplicates([outer], inner_stored)

    assert outer.duplicate_of == "inner"


def test_a_span_below_a_stored_counted_layer_is_the_duplicate():
    outer_stored = {"outer": CallNode("outer", "", frozenset({"gpt-4o"}), 100, 20)}
    inner = _llm("inner", parent="outer")

    mark_duplicates([inner], outer_stored)

    assert inner.duplicate_of == "outer"


def test_spans_without_usage_are_never_duplicates():
    wrapper = _llm("w")
    wrapper.usage = {}

    assert mark_duplicates([wrapper, _llm("sdk", parent="w")], {}) == 0
