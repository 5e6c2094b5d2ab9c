"""One LLM call, one cost: recognising the same call reported by two instrumentation layers.

Apps often run two layers over one call: a framework's LLM span around a provider SDK's own span, or two
instrumentors on one client. Both report the call's usage, so summing every span would count it twice.
Two LLM spans of one trace are recognised as the same call when

- both name the same provider response id (``gen_ai.response.id``, or the ``chatcmpl-``/``msg_`` id in
  their output): one response is one call, wherever the spans sit in the tree and even when the layers
  disagree on the counts (a layer that never makes its span current leaves the provider SDK's span as
  its sibling, and some layers miscount a stream); or, failing ids,
- one is an ancestor of the other in the trace (a layer wraps the other; siblings without ids never
  merge, so two genuinely separate calls with equal usage both count), both carry token usage with equal
  input and output counts, their models agree (equal, one a dated variant of the other, or one span
  names none), and they do not name two different response ids.

Within each group the layer closest to the provider is counted (the innermost one; among siblings, the
one that started last, inside the other's wrapper); the others get ``duplicate_of`` pointing at it and a
reason. :func:`resolve` decides this for a whole trace from its spans alone, whatever order they arrived
in, so the store can be re-marked after every insert (:mod:`tokentrail.ingest.duplicates`) and any number
of servers, restarts and late arrivals give the same marks.

A wrapper is not a call: an LLM or embedding span without usage of its own that has a counted call of the
same model below it (LlamaIndex's ``OpenAI.predict`` around ``OpenAI.chat``, a framework span around the
SDK's) is the outer layer of that call. It gets ``duplicate_of`` pointing at the call (the first one it
wraps, when it wraps several), so it is neither counted nor reported unpriced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from tokentrail.model import PRICED_BY_USAGE, Span

__all__ = ["CallNode", "node_of", "resolve"]

#: How many parent links to follow looking for a wrapping layer (spans in between may be chains, HTTP...).
MAX_LAYER_DISTANCE = 16


class CallNode(NamedTuple):
    """What duplicate detection needs to know about one span of a trace (a tuple: made per span, fast)."""

    span_id: str
    parent_span_id: str
    models: frozenset[str] = frozenset()
    input: int = 0
    output: int = 0
    response_id: str = ""
    start_ns: int = 0
    #: An LLM or embedding span, with usage or without.
    llm: bool = False
    #: It has a cost of its own (a stated one, without usage): it is no wrapper.
    costed: bool = False

    @property
    def is_call(self) -> bool:
        return self.input > 0 or self.output > 0

    @property
    def may_wrap(self) -> bool:
        """A model span with neither usage nor cost of its own: a wrapper if a call of its model is below
        it."""
        return self.llm and not self.is_call and not self.costed


_NO_MODELS: frozenset[str] = frozenset()


def node_of(span: Span) -> CallNode:
    if span.kind not in PRICED_BY_USAGE:
        return CallNode(span.span_id, span.parent_span_id, _NO_MODELS, 0, 0, "", span.start_ns)
    models = frozenset(m for m in (span.request_model, span.response_model) if m)
    return CallNode(
        span.span_id,
        span.parent_span_id,
        models,
        span.usage.get("input", 0),
        span.usage.get("output", 0),
        span.response_id,
        span.start_ns,
        True,
        bool(span.cost_total),
    )


def _same_model(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b or a & b:
        return True
    # "gpt-4o" requested, "gpt-4o-2024-08-06" answered: one names a dated variant of the other.
    return any(x.startswith(y) or y.startswith(x) for x in a for y in b)


def _same_call(a: CallNode, b: CallNode) -> bool:
    if a.response_id and b.response_id and a.response_id != b.response_id:
        return False
    return (a.input, a.output) == (b.input, b.output) and _same_model(a.models, b.models)


def _ancestors(span_id: str, parents: Mapping[str, str]) -> Iterable[str]:
    seen = {span_id}
    parent = parents.get(span_id, "")
    for _ in range(MAX_LAYER_DISTANCE):
        if not parent or parent in seen:
            return
        seen.add(parent)
        yield parent
        parent = parents.get(parent, "")


def resolve(
    nodes: Iterable[CallNode], parents: Mapping[str, str] | None = None
) -> dict[str, tuple[str, str]]:
    """The marks of one trace's spans: span id -> (the span counted instead, why), for every span that
    repeats or wraps a call. Decided from the spans alone: their stored marks are not read.

    ``nodes`` must hold the trace's model spans; ``parents`` (span id -> parent span id) every span's
    link, so that layers with other spans between them are found (default: the links of ``nodes``).
    """
    by_id = {node.span_id: node for node in nodes}
    if parents is None:
        parents = {node.span_id: node.parent_span_id for node in by_id.values()}
    calls = [node for node in by_id.values() if node.is_call]
    groups = _by_response_id(calls)
    grouped = {span_id for group in groups for span_id in group}
    groups += _by_layering([node for node in calls if node.span_id not in grouped], by_id, parents)
    found: dict[str, tuple[str, str]] = {}
    for layers in groups:
        keeper = layers[-1]  # the layer closest to the provider
        for span_id in layers[:-1]:
            found[span_id] = (keeper, _reason(by_id[span_id], keeper))
    wrappers = [node for node in by_id.values() if node.may_wrap]
    if wrappers:
        found.update(_wrappers(wrappers, by_id, parents, found))
    return found


def _wrappers(
    candidates: list[CallNode],
    nodes: Mapping[str, CallNode],
    parents: Mapping[str, str],
    marked: Mapping[str, tuple[str, str]],
) -> dict[str, tuple[str, str]]:
    """The usage-less model spans among ``candidates`` that wrap a call of their model, each with the span
    that stands for the call and why.

    A counted call below wins: the wrapper points at the counted span of the first one. Failing that, a
    usage-less span of the same model below (LlamaIndex's ``get_query_embedding`` around
    ``_get_query_embedding``: one request, neither layer told its usage) is the call itself, still
    unpriced; the wrapper points at the innermost one so that the call is reported unpriced once.
    """
    candidate_ids = {node.span_id for node in candidates}
    wrapped: dict[str, list[CallNode]] = {}
    unpriced_below: dict[str, list[tuple[int, CallNode]]] = {}
    for node in nodes.values():
        if not node.llm:
            continue
        for depth, ancestor in enumerate(_ancestors(node.span_id, parents)):
            if ancestor not in candidate_ids:
                continue
            outer = nodes[ancestor]
            if node.is_call and _same_model(outer.models, node.models):
                wrapped.setdefault(ancestor, []).append(node)
            elif not node.is_call and outer.models and outer.models == node.models:
                unpriced_below.setdefault(ancestor, []).append((depth, node))
    found: dict[str, tuple[str, str]] = {}

    def counted_on(call: CallNode) -> str:
        return marked[call.span_id][0] if call.span_id in marked else call.span_id

    for span_id, inner in wrapped.items():
        first = counted_on(min(inner, key=lambda call: (call.start_ns, call.span_id)))
        calls = len({counted_on(call) for call in inner})
        what = "the call" if calls == 1 else f"{calls} calls, the first"
        found[span_id] = (
            first,
            f"a wrapper, not a call: no usage of its own; it wraps {what} counted on span {first}",
        )
    for span_id, below in unpriced_below.items():
        if span_id in found:
            continue
        _, innermost = max(below, key=lambda item: (item[0], item[1].start_ns, item[1].span_id))
        found[span_id] = (
            innermost.span_id,
            f"a wrapper, not a call: it wraps span {innermost.span_id}, the call itself, "
            "which states no usage either",
        )
    return found


def _by_response_id(calls: list[CallNode]) -> list[list[str]]:
    """Calls that name one provider response, each group ordered outermost first (by start time)."""
    by_response: dict[str, list[CallNode]] = {}
    for node in calls:
        if node.response_id:
            by_response.setdefault(node.response_id, []).append(node)
    return [
        [node.span_id for node in sorted(group, key=lambda node: node.start_ns)]
        for group in by_response.values()
        if len(group) > 1
    ]


def _by_layering(
    calls: list[CallNode], nodes: Mapping[str, CallNode], parents: Mapping[str, str]
) -> list[list[str]]:
    """Calls along one ancestor chain with equal usage, each group ordered outermost first.

    A group is a chain: a call joins the group of its nearest ancestor with the same call only while that
    ancestor is the group's innermost member. Two sibling calls with a layer's usage are two calls, and the
    layer wraps one of them (the one that started first), so both count: the answer never depends on the
    order the spans are read in.
    """
    depth = _depths(parents)
    group_of: dict[str, str] = {}  # span id -> the first span id of its group
    members: dict[str, list[str]] = {}
    # Outer layers first, so a group is formed top-down and its innermost member is last.
    for node in sorted(calls, key=lambda node: (depth(node.span_id), node.start_ns, node.span_id)):
        group = node.span_id
        for ancestor in _ancestors(node.span_id, parents):
            outer = nodes.get(ancestor)
            if outer is not None and outer.is_call and ancestor in group_of and _same_call(outer, node):
                if members[group_of[ancestor]][-1] == ancestor:
                    group = group_of[ancestor]
                break
        members.setdefault(group, []).append(node.span_id)
        group_of[node.span_id] = group
    return [layers for layers in members.values() if len(layers) > 1]


def _depths(parents: Mapping[str, str]) -> Callable[[str], int]:
    """How many distinct stored ancestors a span has, memoized outside parent cycles."""
    known: dict[str, int] = {}  # span id -> spans from it up to the top, itself included

    def depth(span_id: str) -> int:
        path: list[str] = []
        seen: set[str] = set()
        current = span_id
        while current in parents and current not in known:
            if current in seen:  # a cycle: every span on it has the others above it; nothing is kept
                return len(seen) - 1
            seen.add(current)
            path.append(current)
            current = parents[current]
        chain = known.get(current, 0)
        for step in reversed(path):
            chain = known[step] = chain + 1
        return known.get(span_id, 1) - 1

    return depth


def _reason(node: CallNode, keeper: str) -> str:
    if node.response_id:
        return f"same LLM call as span {keeper}: both report provider response {node.response_id}"
    return (
        f"same LLM call as span {keeper}: nested instrumentation layers reporting "
        f"{node.input} input and {node.output} output tokens"
        + (f" for {min(node.models)}" if node.models else "")
    )
