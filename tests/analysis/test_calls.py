"""One LLM call reported by two instrumentation layers is counted once; separate calls always count."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from layered_traces import random_layered_trace
from tokentrail.analysis.calls import CallNode, node_of, resolve
from tokentrail.model import Span, SpanKind


def _llm(span_id, parent="", model="gpt-4o", tokens=(100, 20), kind=SpanKind.LLM):
    span = Span("p", "t" * 32, span_id, parent, span_id, "svc", 0, 1, kind=kind, request_model=model)
    span.usage = {"input": tokens[0], "output": tokens[1]}
    return span


def _chain(span_id, parent=""):
    return Span("p", "t" * 32, span_id, parent, span_id, "svc", 0, 1, kind=SpanKind.CHAIN)


def mark_duplicates(spans, stored=None):
    """Resolve a trace of ``spans`` (and ``stored`` call nodes) and set the marks on ``spans``."""
    found = resolve([*(stored or {}).values(), *map(node_of, spans)])
    for span in spans:
        span.duplicate_of, span.duplicate_reason = found.get(span.span_id, ("", ""))
    return sum(1 for span in spans if span.duplicate_of)


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


def test_two_calls_below_a_layer_with_the_usage_of_each_both_count_and_the_layer_wraps_the_first():
    layer, first, second = _llm("layer"), _llm("first", parent="layer"), _llm("second", parent="layer")
    first.start_ns, second.start_ns = 1, 2

    for order in ([layer, first, second], [second, first, layer]):
        assert mark_duplicates(order, {}) == 1
        assert _marks(order) == {"layer": "first"}


@pytest.mark.parametrize("seed", range(20))
def test_the_marks_of_a_trace_do_not_depend_on_the_order_its_spans_are_read_in(seed):
    rng = random.Random(seed)
    spans = random_layered_trace(rng, "t" * 32, 80)
    parents = {span.span_id: span.parent_span_id for span in spans}
    nodes = [node_of(span) for span in spans]
    marks = resolve(nodes, parents)

    for _ in range(5):
        rng.shuffle(nodes)
        assert resolve(nodes, parents) == marks


def test_nested_calls_with_different_usage_or_models_are_separate():
    different_usage = [_llm("a"), _llm("b", parent="a", tokens=(100, 21))]
    different_model = [_llm("c"), _llm("d", parent="c", model="claude-sonnet-4-5")]

    assert mark_duplicates(different_usage, {}) == 0
    assert mark_duplicates(different_model, {}) == 0


def test_a_later_layer_joins_the_stored_counted_span():
    inner_stored = {"inner": CallNode("inner", "outer", frozenset({"gpt-4o"}), 100, 20, llm=True)}
    outer = _llm("outer")

    mark_duplicates([outer], inner_stored)

    assert outer.duplicate_of == "inner"


def test_the_inner_layer_is_counted_whichever_layer_arrived_first():
    # The marks are resolved over the whole trace each time: a stored outer layer is re-marked.
    outer_stored = CallNode("outer", "", frozenset({"gpt-4o"}), 100, 20, llm=True)
    inner = _llm("inner", parent="outer")

    found = resolve([outer_stored, node_of(inner)])

    assert {span_id: mark[0] for span_id, mark in found.items()} == {"outer": "inner"}


def _usageless(span_id, parent="", model="gpt-4o"):
    span = _llm(span_id, parent=parent, model=model)
    span.usage = {}
    return span


def test_a_model_span_without_usage_around_a_call_is_its_wrapper_not_a_call():
    wrapper, sdk = _usageless("w"), _llm("sdk", parent="w")

    assert mark_duplicates([wrapper, sdk], {}) == 1

    assert _marks([wrapper, sdk]) == {"w": "sdk"}
    assert wrapper.duplicate_reason.startswith("a wrapper, not a call")


def test_a_wrapper_arriving_after_its_stored_call_points_at_the_counted_span():
    # The wrapper ends last, so an exporter sends it last; the call below it was itself a second layer.
    stored = {
        "framework": CallNode("framework", "w", frozenset({"gpt-4o"}), 100, 20, "", 0, True),
        "sdk": CallNode("sdk", "framework", frozenset({"gpt-4o"}), 100, 20, "", 1, True),
    }
    wrapper = _usageless("w")

    mark_duplicates([wrapper], stored)

    assert wrapper.duplicate_of == "sdk"


def test_a_wrapper_of_two_calls_points_at_the_first_and_says_so():
    wrapper = _usageless("w")
    first, second = _llm("a", parent="w", tokens=(10, 2)), _llm("b", parent="w", tokens=(30, 4))
    first.start_ns, second.start_ns = 1, 2

    mark_duplicates([wrapper, first, second], {})

    assert _marks([wrapper, first, second]) == {"w": "a"}
    assert "wraps 2 calls" in wrapper.duplicate_reason


def test_a_usageless_span_of_another_model_or_with_no_call_below_stays_unpriced():
    other_model = [_usageless("w", model="claude-haiku-4-5"), _llm("sdk", parent="w")]
    nothing_below = [_usageless("alone"), _chain("step", parent="alone")]
    beside = [_chain("root"), _usageless("x", parent="root"), _llm("y", parent="root")]

    assert mark_duplicates(other_model, {}) == 0
    assert mark_duplicates(nothing_below, {}) == 0
    assert mark_duplicates(beside, {}) == 0


def _responding(span_id, response_id, parent="", tokens=(100, 20), start_ns=0):
    span = _llm(span_id, parent=parent, tokens=tokens)
    span.response_id, span.start_ns = response_id, start_ns
    return span


def test_sibling_layers_naming_one_provider_response_count_once():
    # A layer that never makes its span current leaves the SDK's span beside it, not below it.
    framework = _responding("framework", "chatcmpl-1", parent="root", start_ns=10)
    sdk = _responding("sdk", "chatcmpl-1", parent="root", start_ns=12)

    assert mark_duplicates([_chain("root"), framework, sdk], {}) == 1

    assert _marks([framework, sdk]) == {"framework": "sdk"}  # the one that started inside the other
    assert "both report provider response chatcmpl-1" in framework.duplicate_reason


def test_one_response_is_one_call_even_when_the_layers_disagree_on_the_counts():
    # OpenLLMetry adds message_start's placeholder output token to the final count of a stream.
    outer = _responding("outer", "msg_1", tokens=(2068, 13), start_ns=1)
    inner = _responding("inner", "msg_1", tokens=(2068, 12), start_ns=2)

    mark_duplicates([outer, inner], {})

    assert _marks([outer, inner]) == {"outer": "inner"}


def test_nested_calls_with_equal_usage_but_different_response_ids_both_count():
    outer = _responding("outer", "chatcmpl-1")
    inner = _responding("inner", "chatcmpl-2", parent="outer")

    assert mark_duplicates([outer, inner], {}) == 0


def test_of_two_layers_naming_one_response_the_one_that_started_inside_counts_whichever_came_first():
    stored = CallNode("sdk", "root", frozenset({"gpt-4o"}), 100, 20, "chatcmpl-9", 5, True)
    late = _responding("framework", "chatcmpl-9", parent="root", start_ns=1)

    mark_duplicates([late], {"sdk": stored})

    assert late.duplicate_of == "sdk"


def test_two_usageless_layers_of_one_request_leave_one_unpriced_call():
    # LlamaIndex's get_query_embedding around _get_query_embedding: neither layer states usage.
    outer = _usageless("outer", model="text-embedding-3-small")
    inner = _usageless("inner", parent="outer", model="text-embedding-3-small")
    outer.kind = inner.kind = SpanKind.EMBEDDING

    mark_duplicates([inner, outer], {})

    assert _marks([outer, inner]) == {"outer": "inner"}
    assert "the call itself, which states no usage either" in outer.duplicate_reason


def test_a_wrapper_around_one_call_seen_in_two_layers_wraps_one_call():
    wrapper = _usageless("predict")
    framework, sdk = _llm("chat", parent="predict"), _llm("sdk", parent="chat")

    mark_duplicates([wrapper, framework, sdk], {})

    assert _marks([wrapper, framework, sdk]) == {"predict": "sdk", "chat": "sdk"}
    assert "wraps the call counted on span sdk" in wrapper.duplicate_reason


def test_usageless_spans_without_a_model_never_stand_for_one_another():
    outer, inner = _usageless("outer", model=""), _usageless("inner", parent="outer", model="")

    assert mark_duplicates([outer, inner], {}) == 0


def test_a_model_span_with_a_cost_of_its_own_is_no_wrapper():
    # A stated cost without usage (a gateway's bill): the span counts for itself.
    stated, below = _usageless("stated"), _llm("sdk", parent="stated")
    stated.cost = {"input": Decimal("0.25")}

    assert mark_duplicates([stated, below], {}) == 0
