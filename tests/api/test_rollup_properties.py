"""Rollup properties over random traffic, against a live server.

Random trees (random depth and branching), random costs on random spans (tools stating an exact decimal
``tool.cost_usd``, LLM calls with token usage for a catalog model, some reported twice by two
instrumentation layers), session and user ids on the root span only, several traces per session, spans
sent in random orders and random request splits (roots last, or a span sent again). Every time:

- a trace's cost is the sum of its counted spans' costs, and its root's subtree cost;
- a session's total (list, detail and ``/costs?group_by=session``) is the sum of its traces' totals, by
  cost type too; a user's and a tag's likewise.

One server per test function; each example writes to a project of its own.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otlp_builders import NOW_NS, new_span_id, new_trace_id, protobuf_request, span
from prices import MTOK, per_mtok

PROTOBUF = "application/x-protobuf"
MODEL = "gpt-4o-mini"
PRICES = per_mtok(MODEL, "openai", NOW_NS)
TAGS = ("alpha", "beta", "gamma")
_projects = itertools.count(1)


@dataclass
class SpanSpec:
    parent: int | None  # index of the parent span in the trace, None for the root
    kind: str  # "plain", "tool" or "llm"
    cost: Decimal = Decimal(0)  # the tool's stated cost
    tokens: tuple[int, int] = (0, 0)  # the LLM call's input and output tokens
    wrapped: bool = False  # the call is also reported by an outer layer (a duplicate)
    tags: list[str] = field(default_factory=list)

    @property
    def expected_cost(self) -> Decimal:
        if self.kind == "tool":
            return self.cost
        if self.kind == "llm":
            tokens_in, tokens_out = self.tokens
            return (tokens_in * PRICES["input_mtok"] + tokens_out * PRICES["output_mtok"]) / MTOK
        return Decimal(0)


@dataclass
class TraceSpec:
    session: str
    user: str
    spans: list[SpanSpec]

    @property
    def expected_cost(self) -> Decimal:
        return sum((s.expected_cost for s in self.spans), Decimal(0))

    @property
    def tags(self) -> set[str]:
        return {tag for s in self.spans for tag in s.tags}


# Up to the default ceiling on a stated cost, TOKENTRAIL_MAX_SPAN_COST_USD (1,000,000 USD).
exact_costs = st.builds(
    lambda units, places: Decimal(units).scaleb(-places), st.integers(0, 10**9), st.integers(3, 12)
)


@st.composite
def trace_specs(draw: st.DrawFn, session: str, user: str) -> TraceSpec:
    size = draw(st.integers(1, 8))
    # Distinct usage per call, so that two separate calls are never taken for one (equal usage on an
    # ancestor and a descendant is how two layers of one call are recognised).
    usages = draw(
        st.lists(
            st.tuples(st.integers(1, 200_000), st.integers(0, 20_000)),
            min_size=size,
            max_size=size,
            unique=True,
        )
    )
    specs = []
    for index in range(size):
        parent = None
        if index:
            # Half the time a chain (deep trees), else any earlier span (wide trees).
            parent = draw(st.one_of(st.just(index - 1), st.integers(0, index - 1)))
        kind = draw(st.sampled_from(["plain", "tool", "llm"]))
        specs.append(
            SpanSpec(
                parent=parent,
                kind=kind,
                cost=draw(exact_costs) if kind == "tool" else Decimal(0),
                tokens=usages[index] if kind == "llm" else (0, 0),
                wrapped=kind == "llm" and draw(st.booleans()),
                tags=draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True)),
            )
        )
    return TraceSpec(session, user, specs)


@st.composite
def workloads(draw: st.DrawFn) -> list[TraceSpec]:
    traces = []
    for session in range(draw(st.integers(1, 3))):
        user = draw(st.sampled_from(["ana", "bo"]))
        for _ in range(draw(st.integers(1, 3))):
            traces.append(draw(trace_specs(f"s-{session}", user)))
    for _ in range(draw(st.integers(0, 1))):  # a trace outside any session, maybe of a user
        traces.append(draw(trace_specs("", draw(st.sampled_from(["", "ana", "cy"])))))
    return traces


def _otlp_spans(trace_id: str, start_ns: int, trace: TraceSpec) -> list[dict]:
    """The trace's spans as OTLP: a wrapped call becomes an outer layer and, inside it, the inner one."""
    ids = [new_span_id() for _ in trace.spans]
    out = []
    for index, spec in enumerate(trace.spans):
        attributes: dict = {}
        if spec.parent is None:
            attributes.update({"session.id": trace.session, "user.id": trace.user})
            attributes = {key: value for key, value in attributes.items() if value}
        if spec.tags:
            attributes["tag.tags"] = spec.tags
        if spec.kind == "tool":
            attributes.update(
                {"gen_ai.operation.name": "execute_tool", "tool.cost_usd": format(spec.cost, "f")}
            )
        llm = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": MODEL,
            "gen_ai.usage.input_tokens": spec.tokens[0],
            "gen_ai.usage.output_tokens": spec.tokens[1],
        }
        if spec.kind == "llm":
            attributes.update(llm)
        parent = "" if spec.parent is None else ids[spec.parent]
        at = start_ns + index * 1000
        out.append(span(spec.kind, trace_id, ids[index], parent, start_ns=at, attributes=attributes))
        if spec.wrapped:  # the provider SDK's own span of the same call, inside the framework's
            out.append(span("sdk", trace_id, parent=ids[index], start_ns=at + 1, attributes=llm))
    return out


@st.composite
def deliveries(draw: st.DrawFn, spans: list[dict]) -> list[list[dict]]:
    """The spans in a random order, split into random requests; sometimes the roots last, sometimes a
    span sent a second time in a later request."""
    order = draw(st.permutations(spans))
    if draw(st.booleans()):
        order = [s for s in order if s["parent"]] + [s for s in order if not s["parent"]]
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(order) - 1)), max_size=4)))
    requests = [order[a:b] for a, b in itertools.pairwise([0, *cuts, len(order)]) if order[a:b]]
    if draw(st.booleans()):
        requests.append([draw(st.sampled_from(order))])
    return requests


def _total(amounts) -> Decimal:
    return sum((Decimal(a) for a in amounts), Decimal(0))


def _sum_maps(maps) -> dict[str, Decimal]:
    summed: defaultdict[str, Decimal] = defaultdict(Decimal)
    for by_type in maps:
        for key, amount in by_type.items():
            summed[key] += Decimal(amount)
    return {key: amount for key, amount in summed.items() if amount}


def _as_decimals(by_type: dict[str, str]) -> dict[str, Decimal]:
    return {key: Decimal(amount) for key, amount in by_type.items()}


@pytest.fixture
def client(server):
    """One connection for the whole test: a new client per request costs more than most queries."""
    with httpx.Client(base_url=server.url, timeout=30) as opened:
        yield opened


@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_rollups_add_up_whatever_the_tree_and_the_arrival_order(server, client, data):
    project = f"rollups-{next(_projects)}"
    traces = data.draw(workloads(), label="traces")
    ids = [new_trace_id() for _ in traces]
    spans = []
    for index, (trace_id, trace) in enumerate(zip(ids, traces, strict=True)):
        spans += _otlp_spans(trace_id, NOW_NS + index * 10**9, trace)
    for request in data.draw(deliveries(spans), label="requests"):
        response = client.post(
            "/v1/traces",
            content=protobuf_request(request),
            headers={"content-type": PROTOBUF, "x-tokentrail-project": project},
        )
        assert response.status_code == 200, response.text
    server.settle()  # every accepted span is queryable

    def get(path: str, **params: object) -> dict:
        response = client.get(path, params={"project": project, **params})
        assert response.status_code == 200, response.text
        return response.json()

    expected = {trace_id: trace.expected_cost for trace_id, trace in zip(ids, traces, strict=True)}
    listed = {row["trace_id"]: row for row in get("/api/v1/traces", limit=1000)["traces"]}
    assert set(listed) == set(ids)
    by_type: dict[str, dict[str, Decimal]] = {}
    for trace_id, trace in zip(ids, traces, strict=True):
        tree = get(f"/api/v1/traces/{trace_id}")
        counted = [s for s in tree["spans"] if s["duplicate_of"] is None]
        (root,) = (s for s in tree["spans"] if s["span_id"] in tree["root_span_ids"])
        assert Decimal(tree["cost"]) == expected[trace_id]
        assert _total(s["cost"]["total"] for s in counted) == expected[trace_id]
        assert Decimal(root["subtree_cost"]["total"]) == expected[trace_id]
        assert Decimal(listed[trace_id]["cost"]) == expected[trace_id]
        assert len(tree["spans"]) - len(counted) == sum(s.wrapped for s in trace.spans)
        assert root["broken_link"] is None and len(tree["root_span_ids"]) == 1
        assert listed[trace_id]["session_id"] == (trace.session or None)
        assert listed[trace_id]["user_id"] == (trace.user or None)
        by_type[trace_id] = _as_decimals(root["subtree_cost"]["by_type"])
        assert _sum_maps(s["cost"]["by_type"] for s in counted) == by_type[trace_id]

    def expected_by(key) -> dict[str, Decimal]:
        totals: defaultdict[str, Decimal] = defaultdict(Decimal)
        for trace_id, trace in zip(ids, traces, strict=True):
            for group in key(trace):
                totals[group] += expected[trace_id]
        return dict(totals)

    def grouped(group_by: str) -> tuple[dict[str, Decimal], Decimal]:
        body = get("/api/v1/costs", group_by=group_by)
        return {row["key"]: Decimal(row["cost"]) for row in body["groups"]}, Decimal(body["total"])

    overall = sum(expected.values(), Decimal(0))
    sessions = expected_by(lambda t: [t.session])
    by_session, total = grouped("session")
    assert by_session == sessions and total == overall
    assert grouped("user") == (expected_by(lambda t: [t.user]), overall)
    assert grouped("tag") == (expected_by(lambda t: sorted(t.tags) or [""]), overall)
    assert grouped("model")[1] == overall

    session_rows = {row["session_id"]: row for row in get("/api/v1/sessions", limit=1000)["sessions"]}
    assert set(session_rows) == {name for name in sessions if name}
    for name, row in session_rows.items():
        members = [trace_id for trace_id, trace in zip(ids, traces, strict=True) if trace.session == name]
        detail = get(f"/api/v1/sessions/{name}")
        assert [t["trace_id"] for t in detail["traces"]] == members  # in the order they started
        assert Decimal(row["cost"]) == Decimal(detail["cost"]) == sessions[name] == by_session[name]
        assert _total(t["cost"] for t in detail["traces"]) == sessions[name]
        session_by_type = _sum_maps(by_type[trace_id] for trace_id in members)
        assert _as_decimals(row["cost_by_type"]) == _as_decimals(detail["cost_by_type"]) == session_by_type
        assert [_as_decimals(t["cost_by_type"]) for t in detail["traces"]] == [by_type[m] for m in members]
        assert row["trace_count"] == detail["trace_count"] == len(members)
        assert row["span_count"] == detail["span_count"] == sum(listed[m]["span_count"] for m in members)


# Directed cases found while writing the properties above: one call reported by two layers, delivered
# in orders that once left it counted zero times, or still count it twice (a known limit).


def _call(trace_id: str, name: str, parent: str, start_ns: int) -> dict:
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": MODEL,
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 100,
    }
    return span(name, trace_id, parent=parent, start_ns=start_ns, attributes=attributes)


ONE_CALL = (1000 * PRICES["input_mtok"] + 100 * PRICES["output_mtok"]) / MTOK


def test_an_outer_layer_sent_again_leaves_the_call_counted_once(server):
    trace_id = new_trace_id()
    root = span("turn", trace_id)
    outer = _call(trace_id, "framework", root["span_id"], NOW_NS + 1)
    inner = _call(trace_id, "sdk", outer["span_id"], NOW_NS + 2)
    for request in ([root, outer], [inner], [outer]):  # an exporter retrying a request it thought lost
        server.post_otlp(protobuf_request(request), PROTOBUF)

    tree = server.get(f"/api/v1/traces/{trace_id}").json()
    assert [s["duplicate_of"] is None for s in tree["spans"]].count(True) == 2  # the root and one layer
    assert Decimal(tree["cost"]) == ONE_CALL


def test_layers_linked_by_a_span_that_arrives_after_both_count_once(server):
    trace_id = new_trace_id()
    root = span("turn", trace_id)
    outer = _call(trace_id, "framework", root["span_id"], NOW_NS + 1)
    between = span("http", trace_id, parent=outer["span_id"], start_ns=NOW_NS + 2)
    inner = _call(trace_id, "sdk", between["span_id"], NOW_NS + 3)
    for request in ([root, outer], [inner], [between]):  # each span exported on its own as it ends
        server.post_otlp(protobuf_request(request), PROTOBUF)

    assert Decimal(server.get(f"/api/v1/traces/{trace_id}").json()["cost"]) == ONE_CALL
