"""What a failure cost: its origin, its path to the root, and the trace's cost split into retried, failed,
thrown-away and kept parts that count every span once."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tokentrail.analysis.failure_cost import PARTS, failure_cost
from tokentrail.analysis.retries import retries_in_tree
from tokentrail.analysis.tree import build_tree
from tokentrail.money import sum_money


def _s(span_id, parent="root", *, name=None, start=0, end=None, status="ok", cost="0", dup=""):
    return {
        "span_id": span_id,
        "parent_span_id": parent,
        "name": name or span_id,
        "kind": "tool",
        "service": "app",
        "start_ns": start,
        "end_ns": start + 10 if end is None else end,
        "status": status,
        "error_type": "Boom" if status == "error" else "",
        "error_message": "boom" if status == "error" else "",
        "cost_total": Decimal(cost),
        "cost": {},
        "usage": {},
        "duplicate_of": dup,
    }


def _parts(report):
    return {name: (str(part.cost), part.span_count) for name, part in report.parts.items()}


# A turn that retrieved, called a tool that failed twice (each attempt with a successful lookup
# beneath it) and then succeeded, then called the model, whose answer failed a check that failed the turn.
FAILING_TURN = [
    _s("root", "", name="turn", end=1000, status="error", cost="0.001"),
    _s("retrieve", start=10, end=20, cost="0.002"),
    _s("try1", name="search", start=30, end=40, status="error", cost="0.010"),
    _s("lookup1", "try1", start=31, end=35, cost="0.003"),
    _s("try2", name="search", start=50, end=60, status="error", cost="0.010"),
    _s("lookup2", "try2", start=51, end=55, cost="0.003"),
    _s("try3", name="search", start=70, end=80, cost="0.010"),
    _s("lookup3", "try3", start=71, end=75, cost="0.003"),
    _s("answer", start=100, end=500, status="error", cost="0.100"),
    _s("draft", "answer", start=110, end=400, cost="0.050"),
    _s("check", "answer", start=410, end=490, status="error", cost="0.020"),
    _s("dup", "answer", start=110, end=400, cost="0.050", dup="draft"),
]


def test_the_origin_is_the_deepest_earliest_error_and_the_path_goes_up_to_the_root():
    report = failure_cost(build_tree("t", FAILING_TURN))
    # try1 and try2 failed too, but earlier in the trace: the earliest deepest error span is try1.
    assert report.origin is not None and report.origin.span_id == "try1"
    assert [node.span_id for node in report.path] == ["try1", "root"]
    assert report.propagated_to is not None and report.propagated_to.span_id == "root"


def test_each_span_is_in_one_part_and_the_parts_add_up_to_the_trace_total():
    tree = build_tree("t", FAILING_TURN)
    report = failure_cost(tree)
    assert _parts(report) == {
        # try1 and try2 with their lookups: replaced by a later attempt.
        "retried": ("0.026", 4),
        # the turn itself, the model's answer and the failed check.
        "failed": ("0.121", 3),
        # what succeeded beneath a failed span: everything the failed turn did, the draft and its
        # duplicate (counted as nothing).
        "thrown_away": ("0.065", 5),
        "kept": ("0", 0),
    }
    assert report.total == sum_money(root.subtree_cost for root in tree.roots) == Decimal("0.212")
    assert report.lost == Decimal("0.212")
    assert report.parts["retried"].cost == retries_in_tree(tree).waste


def test_a_failure_caught_below_the_root_leaves_the_rest_of_the_trace_kept():
    spans = [
        _s("root", "", end=1000, cost="0.001"),
        _s("plan", start=10, end=20, cost="0.002"),
        _s("tool", start=30, end=60, status="error", cost="0.004"),
        _s("fetch", "tool", start=31, end=40, cost="0.008"),
        _s("answer", start=70, end=90, cost="0.016"),
    ]
    report = failure_cost(build_tree("t", spans))
    assert report.origin is not None and report.origin.span_id == "tool"
    assert [node.span_id for node in report.path] == ["tool", "root"]
    # The root did not fail: the failure stopped at the tool.
    assert report.propagated_to is not None and report.propagated_to.span_id == "tool"
    assert _parts(report) == {
        "retried": ("0", 0),
        "failed": ("0.004", 1),
        "thrown_away": ("0.008", 1),
        "kept": ("0.019", 3),
    }


def test_a_trace_without_errors_has_no_origin_and_loses_nothing():
    report = failure_cost(build_tree("t", [_s("root", "", cost="0.5"), _s("child", cost="0.25")]))
    assert report.origin is None and report.path == [] and report.propagated_to is None
    assert report.lost == 0 and report.parts["kept"].cost == Decimal("0.75")


def test_an_orphan_failure_path_ends_at_its_broken_link():
    spans = [_s("lost", "never-arrived", status="error", cost="1"), _s("below", "lost", cost="2")]
    report = failure_cost(build_tree("t", spans))
    assert [node.span_id for node in report.path] == ["lost"]
    assert _parts(report)["thrown_away"] == ("2", 1)


@st.composite
def _traces(draw):
    count = draw(st.integers(min_value=1, max_value=25))
    spans = []
    for index in range(count):
        parent = "" if index == 0 else f"s{draw(st.integers(min_value=0, max_value=index - 1))}"
        start = draw(st.integers(min_value=0, max_value=50))
        spans.append(
            _s(
                f"s{index}",
                parent,
                name=draw(st.sampled_from(["a", "b"])),
                start=start,
                end=start + draw(st.integers(min_value=1, max_value=20)),
                status=draw(st.sampled_from(["ok", "error", "unset"])),
                cost=str(draw(st.decimals(min_value=0, max_value=10, places=18))),
                dup=draw(st.sampled_from(["", "", "", "s0"])),
            )
        )
    return spans


@settings(max_examples=200, deadline=None)
@given(_traces())
def test_the_parts_always_count_every_span_once_and_add_up_to_the_total(spans):
    tree = build_tree("t", spans)
    report = failure_cost(tree)
    assert set(report.parts) == set(PARTS)
    assert sum(part.span_count for part in report.parts.values()) == len(spans)
    assert report.total == sum_money(root.subtree_cost for root in tree.roots)
    assert report.parts["retried"].cost == retries_in_tree(tree).waste
    assert report.lost + report.parts["kept"].cost == report.total
