"""Trace trees: ordering, rollups, and broken links of every kind, at any depth."""

from __future__ import annotations

from decimal import Decimal

from tokentrail.analysis.tree import build_tree, critical_path


def _span(span_id, parent="", start=0, end=10, cost="0", usage=None, status="unset"):
    return {
        "span_id": span_id,
        "parent_span_id": parent,
        "start_ns": start,
        "end_ns": end,
        "cost_total": Decimal(cost),
        "cost": {"tool": Decimal(cost)} if Decimal(cost) else {},
        "usage": usage or {},
        "status": status,
    }


def test_children_follow_start_time_and_subtrees_add_up():
    tree = build_tree(
        "t",
        [
            _span("b", "root", start=5, cost="0.2", usage={"input": 3}),
            _span("root", start=0, end=20),
            _span("a", "root", start=1, cost="0.1", usage={"input": 2}, status="error"),
            _span("a1", "a", start=2, end=40, cost="0.05"),
        ],
    )

    assert [n.span_id for n in tree.walk()] == ["root", "a", "a1", "b"]
    root = tree.nodes["root"]
    assert root.subtree_cost == Decimal("0.35")
    assert root.subtree_usage == {"input": 5}
    assert root.subtree_errors == 1
    assert (root.subtree_start_ns, root.subtree_end_ns) == (0, 40)
    assert tree.nodes["a1"].depth == 2


def test_orphans_become_marked_roots():
    tree = build_tree("t", [_span("x", "missing", start=3), _span("root")])

    assert [n.span_id for n in tree.roots] == ["root", "x"]
    assert tree.nodes["x"].broken_link == "orphan"


def test_a_parent_cycle_is_broken_and_every_span_still_shows():
    tree = build_tree("t", [_span("a", "b", start=1), _span("b", "a", start=2), _span("c", "b", start=3)])

    assert [n.span_id for n in tree.roots] == ["a"]
    assert tree.nodes["a"].broken_link == "cycle"
    assert [n.span_id for n in tree.walk()] == ["a", "b", "c"]


def test_a_very_deep_chain_builds_without_recursion():
    spans = [_span(f"s{i}", f"s{i - 1}" if i else "", start=i, cost="0.001") for i in range(20_000)]

    tree = build_tree("t", spans)

    assert tree.nodes["s19999"].depth == 19_999
    assert tree.roots[0].subtree_cost == Decimal("20.000")
    assert sum(1 for _ in tree.walk()) == 20_000


# The critical path: the spans that decided when the trace ended.


def test_the_critical_path_follows_the_last_child_to_finish_then_what_finished_before_it_started():
    tree = build_tree(
        "t",
        [
            _span("root", start=0, end=100),
            _span(
                "plan", "root", start=0, end=20
            ),  # the planner, then three tools in parallel, then the answer
            _span("search", "root", start=20, end=50),
            _span("lookup", "root", start=20, end=45),  # beside search, finished first: not critical
            _span("answer", "root", start=50, end=95),
            _span("tokens", "answer", start=60, end=90),
            _span("log", "root", start=1, end=5),  # overlaps plan, ended before it: not critical
        ],
    )

    assert critical_path(tree) == ["root", "plan", "search", "answer", "tokens"]


def test_a_child_that_outlived_its_parent_is_critical_up_to_the_parents_end():
    tree = build_tree(
        "t",
        [
            _span("root", start=0, end=50),
            _span("background", "root", start=10, end=500),
            _span("early", "root", start=0, end=9),
            _span("late-start", "root", start=60, end=70),  # started after the root ended
        ],
    )

    assert critical_path(tree) == ["root", "early", "background"]


def test_a_worker_started_after_its_message_was_queued_is_on_the_path_the_request_waited_for():
    tree = build_tree(
        "t",
        [
            _span("request", start=0, end=100),  # the gateway answers once the worker is done
            _span("enqueue", "request", start=5, end=6),  # the producer span ends as the message is queued
            _span("task", "enqueue", start=10, end=90),  # the worker's span, a child of the producer
            _span("tool", "task", start=40, end=85),
            _span("audit", "request", start=3, end=7),  # beside the enqueueing: not critical
        ],
    )

    assert critical_path(tree) == ["request", "enqueue", "task", "tool"]


def test_without_a_root_each_orphaned_branch_has_its_path_and_deep_chains_are_safe():
    chain = [_span("s0", "missing", start=0, end=100_000)]
    chain += [_span(f"s{i}", f"s{i - 1}", start=i, end=100_000 - i) for i in range(1, 10_000)]
    tree = build_tree("t", [*chain, _span("other", "gone", start=5, end=6)])

    path = critical_path(tree)

    assert path[:2] == ["s0", "s1"] and path[-1] == "s9999" and len(path) == 10_001
    assert "other" in path


def test_an_orphan_beside_a_proper_root_is_not_on_the_path():
    tree = build_tree("t", [_span("root", start=0, end=10), _span("stray", "gone", start=20, end=30)])
    assert critical_path(tree) == ["root"]


def test_rollups_are_exact_for_amounts_of_38_digits():
    most = "99999999999999999999.999999999999999999"
    tree = build_tree(
        "t",
        [_span("root", cost="0.000000000000000001"), *(_span(f"c{i}", "root", cost=most) for i in range(3))],
    )

    root = tree.nodes["root"]
    assert root.subtree_cost == Decimal("299999999999999999999.999999999999999998")
    assert root.subtree_cost_by_type == {"tool": Decimal("299999999999999999999.999999999999999998")}
