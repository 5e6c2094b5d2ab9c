"""The services of a trace: a hop wherever a span's service differs from its parent's, how it crossed
(HTTP, queue, RPC, or unknown) and how long after its parent it started; roots, orphans and same-service
children are no hops; each service's spans, cost (duplicates once) and busy time (overlaps once)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tokentrail.analysis.services import ServiceShare, hop_count, hop_of, hops_in_tree, services_in_tree
from tokentrail.analysis.tree import build_tree

HTTP_CLIENT = {"http.method": "POST", "http.url": "http://tools:8000/price"}
HTTP_SERVER = {"http.request.method": "POST", "http.route": "/price"}
CELERY_SEND = {"celery.action": "apply_async", "messaging.message.id": "7f1c"}
CELERY_RUN = {"celery.action": "run", "messaging.destination": "celery"}


def _s(span_id, parent="", service="gateway", *, start=0, end=None, attrs=None, cost="0", dup=""):
    return {
        "span_id": span_id,
        "parent_span_id": parent,
        "service": service,
        "start_ns": start,
        "end_ns": start + 100 if end is None else end,
        "cost_total": Decimal(cost),
        "cost": {},
        "usage": {},
        "status": "ok",
        "attributes": attrs or {},
        "duplicate_of": dup,
    }


ROOT = _s("root", start=0, end=1000)

# Each case: spans beside ROOT, and the hops {span id: (from service, to service, via, crossing ns)}.
CASES = {
    "an HTTP client span in one service, the server span in another": (
        [
            _s("call", "root", start=10, attrs=HTTP_CLIENT),
            _s("serve", "call", "tools", start=13, attrs=HTTP_SERVER),
        ],
        {"serve": ("gateway", "tools", "http", 3)},
    ),
    "a server span alone says HTTP": (
        [_s("serve", "root", "tools", start=40, attrs=HTTP_SERVER)],
        {"serve": ("gateway", "tools", "http", 40)},
    ),
    "a Celery task sent in one service and run in another is a queue hop": (
        [
            _s("send", "root", start=10, end=12, attrs=CELERY_SEND),
            _s("run", "send", "worker", start=250, attrs=CELERY_RUN),
        ],
        {"run": ("gateway", "worker", "queue", 240)},
    ),
    "a broker reached over HTTP is still a queue": (
        [_s("sqs", "root", "worker", start=5, attrs={"messaging.system": "aws_sqs", "http.method": "POST"})],
        {"sqs": ("gateway", "worker", "queue", 5)},
    ),
    "gRPC": (
        [_s("rpc", "root", "search", start=7, attrs={"rpc.system": "grpc", "http.method": "POST"})],
        {"rpc": ("gateway", "search", "rpc", 7)},
    ),
    "another service without any sign of how: via unknown": (
        [_s("elsewhere", "root", "batch", start=20)],
        {"elsewhere": ("gateway", "batch", None, 20)},
    ),
    "a child in its parent's service is no hop, even an HTTP call": (
        [_s("call", "root", start=10, attrs=HTTP_CLIENT), _s("inner", "call", start=11)],
        {},
    ),
    "an orphan's parent never arrived, so its service is unknown: no hop": (
        [_s("orphan", "missing", "worker", start=30, attrs=CELERY_RUN)],
        {},
    ),
    "hops chain: gateway to worker by queue, worker to tools by HTTP": (
        [
            _s("send", "root", start=10, attrs=CELERY_SEND),
            _s("run", "send", "worker", start=200, end=900, attrs=CELERY_RUN),
            _s("call", "run", "worker", start=300, attrs=HTTP_CLIENT),
            _s("serve", "call", "tools", start=302, attrs=HTTP_SERVER),
        ],
        {"run": ("gateway", "worker", "queue", 190), "serve": ("worker", "tools", "http", 2)},
    ),
    "clocks that disagree show as a negative crossing": (
        [_s("serve", "root", "tools", start=-5, attrs=HTTP_SERVER)],
        {"serve": ("gateway", "tools", "http", -5)},
    ),
}


@pytest.mark.parametrize("spans, expected", CASES.values(), ids=CASES.keys())
def test_hops_are_where_the_service_changes(spans, expected):
    tree = build_tree("t", [ROOT, *spans])

    hops = hops_in_tree(tree)

    assert {
        span_id: (hop.from_service, hop.to_service, hop.via, hop.crossing_ns) for span_id, hop in hops.items()
    } == expected
    assert all(
        hop.parent_span_id == tree.nodes[span_id].span["parent_span_id"] for span_id, hop in hops.items()
    )
    assert hop_of(tree, tree.nodes["root"]) is None
    assert hop_count(tree) == len(hops)


def test_a_span_freed_from_a_parent_cycle_is_no_hop_and_its_child_in_the_tree_is():
    tree = build_tree("t", [_s("a", "b", "one", start=0), _s("b", "a", "two", start=5)])

    assert list(hops_in_tree(tree)) == ["b"]  # "a" is shown as a root: the loop broken there
    assert hop_count(tree) == 1


def test_each_service_has_its_spans_its_cost_once_and_its_busy_time_with_overlaps_once():
    tree = build_tree(
        "t",
        [
            ROOT,
            _s("llm", "root", start=10, end=110, cost="0.25"),
            _s("llm-wrapper", "llm", start=10, end=110, cost="0.25", dup="llm"),
            _s("run", "root", "worker", start=200, end=500, cost="0.01"),
            _s("step", "run", "worker", start=300, end=700, cost="0.02"),
            _s("later", "run", "worker", start=800, end=850),
        ],
    )

    assert services_in_tree(tree) == [
        ServiceShare("gateway", 3, Decimal("0.25"), 1000),
        ServiceShare("worker", 3, Decimal("0.03"), 550),
    ]
