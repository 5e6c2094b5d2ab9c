"""Outlines of large traces: the rows a page opens with, children a page at a time, search, the way down."""

from __future__ import annotations

import gc
from decimal import Decimal

import pytest

from otlp_builders import new_trace_id, protobuf_request, span
from tokentrail.analysis.outline import (
    Gap,
    Shown,
    children,
    first_rows,
    outline_of,
    path_to,
    read_outline,
    search,
)
from tokentrail.analysis.tree import build_tree
from tokentrail.errors import NotFound

PROTOBUF = "application/x-protobuf"


def _span(span_id, parent="", start=0, name=None, service="app", status="ok", error=""):
    return {
        "span_id": span_id,
        "parent_span_id": parent,
        "name": name or span_id,
        "service": service,
        "kind": "chain",
        "request_model": "",
        "response_model": "",
        "start_ns": start,
        "end_ns": start + 10,
        "cost_total": Decimal("0.01"),
        "cost": {"tool": Decimal("0.01")},
        "usage": {},
        "status": status,
        "error_type": "",
        "error_message": error,
        "duplicate_of": "",
        "attributes": {},
    }


def _fan(width, depth):
    """A root, ``width`` children under it and under each of them, ``depth`` levels down."""
    spans, level, counter = [_span("r")], ["r"], 0
    for _ in range(depth):
        below = []
        for parent in level:
            for _ in range(width):
                counter += 1
                below.append(f"s{counter}")
                spans.append(_span(f"s{counter}", parent, start=counter))
        level = below
    return outline_of(build_tree("t", spans))


def test_a_large_trace_opens_level_by_level_until_its_row_budget_is_spent():
    outline = _fan(3, 3)  # 1 + 3 + 9 + 27 spans

    rows = first_rows(outline, budget=10, page=100)

    shown = [row for row in rows if isinstance(row, Shown)]
    assert [row.node.span_id for row in shown] == ["r", "s1", "s4", "s5", "s6", "s2", "s7", "s8", "s9", "s3"]
    assert [row.expanded for row in shown][:2] == [True, True]
    assert all(row.node.depth <= 2 for row in shown)
    assert not any(row.expanded for row in shown if row.node.depth == 2)


def test_a_span_with_more_children_than_a_page_shows_a_page_and_a_gap_for_the_rest():
    outline = _fan(250, 1)

    rows = first_rows(outline, budget=300, page=100)

    assert len(rows) == 102 and isinstance(rows[-1], Gap)
    assert rows[-1] == Gap(parent_span_id="r", depth=1, offset=100, count=150)


def test_children_come_by_start_a_page_at_a_time_with_their_count():
    outline = _fan(250, 1)

    page, total = children(outline, "r", 240, 100)
    roots, root_total = children(outline, None, 0, 100)

    assert total == 250 and [node.span_id for node in page] == [f"s{i}" for i in range(241, 251)]
    assert root_total == 1 and roots[0].span_id == "r"
    with pytest.raises(NotFound):
        children(outline, "nope", 0, 10)


def test_a_search_reads_names_services_and_errors_depth_first_and_a_span_id_whole():
    outline = outline_of(
        build_tree(
            "t",
            [
                _span("r"),
                _span("a", "r", 1, name="Retrieve docs"),
                _span("b", "r", 2, service="billing"),
                _span("c", "a", 3, status="error", error="Rate limited"),
            ],
        )
    )

    assert [n.span_id for n in search(outline, "retrieve", 10)[0]] == ["a"]
    assert [n.span_id for n in search(outline, "BILLING", 10)[0]] == ["b"]
    assert [n.span_id for n in search(outline, "rate limit", 10)[0]] == ["c"]
    assert search(outline, "C", 10) == ([outline.tree.nodes["c"]], 1)
    assert search(outline, "app", 1)[1] == 3 and len(search(outline, "app", 1)[0]) == 1


def test_the_way_down_to_a_span_names_each_ancestor_and_its_place_among_its_siblings():
    outline = _fan(3, 3)

    path = path_to(outline, outline.tree.nodes["s39"])

    assert path == [("r", 0), ("s3", 2), ("s12", 2), ("s39", 2)]
    assert outline.origin is None and outline.hop_count == 0


def test_a_trace_is_read_once_while_unchanged_and_again_when_a_span_arrives(server):
    trace_id = new_trace_id()
    root = span("agent", trace_id)
    server.post_otlp(protobuf_request([root, span("step", trace_id, parent=root["span_id"])]), PROTOBUF)
    server.settle()

    first = read_outline(server.store, "default", trace_id)
    again = read_outline(server.store, "default", trace_id)
    server.post_otlp(protobuf_request([span("late", trace_id, parent=root["span_id"])]), PROTOBUF)
    server.settle()
    after = read_outline(server.store, "default", trace_id)

    assert again is first
    assert after is not first and after.span_count == 3
    with pytest.raises(NotFound):
        read_outline(server.store, "another", trace_id)
    assert gc.isenabled()  # held off while building only


def test_building_leaves_the_cycle_collector_off_when_it_was_switched_off_before(server):
    trace_id = new_trace_id()
    server.post_otlp(protobuf_request([span("agent", trace_id)]), PROTOBUF)
    server.settle()

    gc.disable()
    try:
        read_outline(server.store, "default", trace_id)
        assert not gc.isenabled()
    finally:
        gc.enable()
