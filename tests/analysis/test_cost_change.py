"""The cost change split: parts that sum exactly to the change, a change of one factor alone all that
factor's, and old and new swapped negating every part (property tests over generated trace sets)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from tokentrail.analysis.cost_change import (
    FACTORS,
    OTHER_OPERATIONS,
    OTHER_TRACE_NAMES,
    CellKey,
    SetCost,
    SpanCell,
    decompose,
    fold_tail,
)

MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5")


@dataclass(frozen=True)
class Call:
    """What one model call of an operation takes and what its tokens cost (per token, in USD)."""

    text_input: int
    cache_read: int
    visible_output: int
    reasoning: int
    audio_in: int = 0
    input_price: Decimal = Decimal("0.0000025")
    cache_price: Decimal = Decimal("0.00000125")
    output_price: Decimal = Decimal("0.00001")
    audio_price: Decimal = Decimal("0.0001")


@dataclass(frozen=True)
class Operation:
    name: str
    failed: bool
    #: model -> calls per trace
    calls: dict[str, int]
    #: model -> what one call takes
    profile: dict[str, Call]


@dataclass(frozen=True)
class Group:
    traces: int
    operations: tuple[Operation, ...]
    #: tool name -> cost per call, calls per trace
    tools: dict[str, tuple[Decimal, int]] = field(default_factory=dict)


def build(groups: dict[str, Group]) -> SetCost:
    """The trace set a profile describes, its costs worked out as pricing would."""
    cells = []
    for name, group in groups.items():
        for op in group.operations:
            for model, per_trace in op.calls.items():
                calls = group.traces * per_trace
                if not calls:
                    continue
                call = op.profile[model]
                usage = {
                    "input": calls * (call.text_input + call.audio_in),
                    "cache_read": calls * call.cache_read,
                    "output": calls * (call.visible_output + call.reasoning),
                    "reasoning": calls * call.reasoning,
                    "audio_in": calls * call.audio_in,
                }
                cost = {
                    "input": calls * (call.text_input - call.cache_read) * call.input_price,
                    "cache_read": calls * call.cache_read * call.cache_price,
                    "output": usage["output"] * call.output_price,
                    "audio_in": usage["audio_in"] * call.audio_price,
                }
                key = CellKey(name, op.name, "llm", model, op.failed)
                cells.append(SpanCell(key, calls, usage, {k: v for k, v in cost.items() if v}))
        for tool, (fee, per_trace) in group.tools.items():
            if per_trace and group.traces:
                calls = group.traces * per_trace
                cells.append(
                    SpanCell(CellKey(name, tool, "tool", "", False), calls, {}, {"tool": fee * calls})
                )
    return SetCost({name: group.traces for name, group in groups.items() if group.traces}, cells)


calls_st = st.builds(
    Call,
    text_input=st.integers(100, 5000),
    cache_read=st.integers(0, 100),
    visible_output=st.integers(1, 800),
    reasoning=st.integers(0, 500),
    audio_in=st.integers(0, 50),
)


@st.composite
def operations(draw: st.DrawFn, name: str, failed: bool) -> Operation:
    models = draw(st.lists(st.sampled_from(MODELS), min_size=1, max_size=3, unique=True))
    return Operation(
        name,
        failed,
        {model: draw(st.integers(1, 4)) for model in models},
        {model: draw(calls_st) for model in MODELS},
    )


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Group]:
    names = draw(
        st.lists(st.sampled_from(["answer", "search", "summarize"]), min_size=2, max_size=3, unique=True)
    )
    return {
        name: Group(
            draw(st.integers(1, 30)),
            (draw(operations("llm-call", False)), draw(operations("llm-call", True))),
            {
                "web_search": (
                    draw(st.sampled_from([Decimal("0.01"), Decimal("0.005")])),
                    draw(st.integers(0, 3)),
                )
            },
        )
        for name in names
    }


def check_alone(old: dict[str, Group], new: dict[str, Group], factor: str) -> None:
    change = decompose(build(old), build(new))
    assert change.total == change.new_total - change.old_total
    assert change.parts[factor] == change.total
    assert {name: part for name, part in change.parts.items() if name != factor and part} == {}


def first(groups: dict[str, Group]) -> tuple[str, Group]:
    return next(iter(groups.items()))


def with_group(groups: dict[str, Group], name: str, group: Group) -> dict[str, Group]:
    return {**groups, name: group}


def with_op(group: Group, index: int, op: Operation) -> Group:
    ops = list(group.operations)
    ops[index] = op
    return replace(group, operations=tuple(ops))


def with_calls(op: Operation, change: object) -> Operation:
    return replace(op, profile={model: replace(call, **change) for model, call in op.profile.items()})  # type: ignore[arg-type]


@given(profiles(), profiles())
@settings(max_examples=60, deadline=None)
def test_the_parts_sum_exactly_to_the_change_and_swapping_negates_them(old, new):
    forward = decompose(build(old), build(new))
    backward = decompose(build(new), build(old))
    assert sum(forward.parts.values()) == forward.total == forward.new_total - forward.old_total
    exact = sum((share for cells in forward.drivers.values() for share in cells.values()), Fraction(0))
    assert exact == Fraction(forward.total)  # the rebuilt totals are the stored ones, to the last digit
    assert {name: -part for name, part in forward.parts.items()} == backward.parts


@given(profiles(), st.integers(2, 4))
@settings(max_examples=30, deadline=None)
def test_more_traces_alike_is_volume(old, times):
    new = {name: replace(group, traces=group.traces * times) for name, group in old.items()}
    check_alone(old, new, "volume")


@given(profiles())
@settings(max_examples=30, deadline=None)
def test_the_same_traffic_spread_differently_is_mix(old):
    (a, group_a), (b, group_b) = list(old.items())[:2]
    if group_a.traces == group_b.traces:
        group_b = replace(group_b, traces=group_b.traces + 1)
        old = with_group(old, b, group_b)
    new = with_group(
        with_group(old, a, replace(group_a, traces=group_b.traces)),
        b,
        replace(group_b, traces=group_a.traces),
    )
    check_alone(old, new, "mix")


@given(profiles(), st.integers(2, 3))
@settings(max_examples=30, deadline=None)
def test_more_calls_per_trace_alike_is_calls(old, times):
    name, group = first(old)
    op = group.operations[0]
    new = with_group(
        old, name, with_op(group, 0, replace(op, calls={m: n * times for m, n in op.calls.items()}))
    )
    check_alone(old, new, "calls")


@given(profiles(), st.integers(2, 3))
@settings(max_examples=30, deadline=None)
def test_more_failed_calls_per_trace_is_retries(old, times):
    name, group = first(old)
    op = group.operations[1]
    new = with_group(
        old, name, with_op(group, 1, replace(op, calls={m: n * times for m, n in op.calls.items()}))
    )
    check_alone(old, new, "retries")


@given(profiles(), st.sampled_from(MODELS))
@settings(max_examples=30, deadline=None)
def test_the_same_calls_on_another_model_is_model_choice(old, target):
    name, group = first(old)
    op = group.operations[0]
    moved = sum(op.calls.values())
    if op.calls == {target: moved}:
        return
    new = with_group(old, name, with_op(group, 0, replace(op, calls={target: moved})))
    check_alone(old, new, "model")


FACTOR_CHANGES = {
    # A longer prompt with the same share of it cached.
    "input_tokens": lambda call: {"text_input": call.text_input * 2, "cache_read": call.cache_read * 2},
    # More of the prompt read from the cache (never more than the prompt: cache reads are part of it).
    "cache": lambda call: {
        "cache_read": min(call.cache_read + 50, call.text_input) if call.cache_read < call.text_input else 0
    },
    "output_tokens": lambda call: {"visible_output": call.visible_output + 100},
    "reasoning": lambda call: {"reasoning": call.reasoning + 300},
    "other_usage": lambda call: {"audio_in": call.audio_in + 20},
    "prices": lambda call: {"input_price": call.input_price * 2, "output_price": call.output_price / 2},
}


@given(profiles(), st.sampled_from(sorted(FACTOR_CHANGES)))
@settings(max_examples=60, deadline=None)
def test_a_change_in_what_each_call_takes_is_that_factors(old, factor):
    name, group = first(old)
    op = group.operations[0]
    changed = {model: replace(call, **FACTOR_CHANGES[factor](call)) for model, call in op.profile.items()}
    new = with_group(old, name, with_op(group, 0, replace(op, profile=changed)))
    check_alone(old, new, factor)


@given(profiles())
@settings(max_examples=30, deadline=None)
def test_a_chattier_or_dearer_tool_is_tools(old):
    name, group = first(old)
    fee, per_trace = group.tools["web_search"]
    new = with_group(old, name, replace(group, tools={"web_search": (fee * 3, per_trace + 2)}))
    check_alone(old, new, "tools")


def test_a_trace_name_that_appears_is_mix_and_every_factor_is_named():
    old = {
        "answer": Group(10, (Operation("llm-call", False, {"gpt-4o": 1}, {"gpt-4o": Call(1000, 0, 100, 0)}),))
    }
    new = {**old, "summarize": Group(0, ())}
    new["summarize"] = Group(
        10, (Operation("llm-call", False, {"gpt-4o": 2}, {"gpt-4o": Call(3000, 0, 300, 0)}),)
    )
    change = decompose(build(old), build(new))
    assert set(change.parts) == set(FACTORS)
    # Twenty traces instead of ten, half of them of a new name: volume and mix share the whole change.
    assert change.parts["volume"] + change.parts["mix"] == change.total
    assert change.parts["volume"] > 0 and change.parts["mix"] > 0


@given(profiles(), profiles(), st.integers(1, 3), st.integers(1, 3))
@settings(max_examples=40, deadline=None)
def test_folding_the_long_tail_keeps_the_totals_and_the_exact_split(old, new, operations, groups):
    folded_old, folded_new = fold_tail(build(old), build(new), operations=operations, groups=groups)
    assert (folded_old.total, folded_new.total) == (build(old).total, build(new).total)
    assert sum(folded_old.traces.values()) == sum(build(old).traces.values())
    assert len({cell.key.group for cell in (*folded_old.cells, *folded_new.cells)}) <= groups + 1
    named = {(c.key.group, c.key.name) for c in (*folded_old.cells, *folded_new.cells)}
    assert len({op for op in named if OTHER_OPERATIONS not in op}) <= operations
    change = decompose(folded_old, folded_new)
    assert sum(change.parts.values()) == change.total
    assert OTHER_TRACE_NAMES not in folded_old.traces or groups < len(old)
