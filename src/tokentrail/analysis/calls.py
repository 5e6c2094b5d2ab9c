"""One LLM call, one cost: recognising the same call reported by two instrumentation layers.

Apps often run two layers over one call: a framework's LLM span around a provider SDK's own span, or two
instrumentors on one client. Both report the call's usage, so summing every span would count it twice.
Two spans are recognised as the same call when

- one is an ancestor of the other in the trace (a layer wraps the other; siblings never merge, so two
  genuinely separate calls with equal usage both count),
- both carry token usage, with equal input and output counts, and
- their models agree (equal, one a dated variant of the other, or one span names none).

Within each group of such spans the innermost one (closest to the provider) is counted; the others get
``duplicate_of`` pointing at it and a reason. A span already stored and counted stays counted: a later
arrival joins its group as the duplicate, so no stored row ever needs rewriting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from tokentrail.model import PRICED_BY_USAGE, Span

__all__ = ["CallNode", "mark_duplicates", "node_of"]

#: How many parent links to follow looking for a wrapping layer (spans in between may be chains, HTTP...).
MAX_LAYER_DISTANCE = 16


class CallNode(NamedTuple):
    """What duplicate detection needs to know about one span of a trace (a tuple: made per span, fast)."""

    span_id: str
    parent_span_id: str
    models: frozenset[str] = frozenset()
    input: int = 0
    output: int = 0
    duplicate_of: str = ""

    @property
    def is_call(self) -> bool:
        return self.input > 0 or self.output > 0


_NO_MODELS: frozenset[str] = frozenset()


def node_of(span: Span) -> CallNode:
    if not span.usage or span.kind not in PRICED_BY_USAGE:
        return CallNode(span.span_id, span.parent_span_id, _NO_MODELS, 0, 0, span.duplicate_of)
    models = frozenset(m for m in (span.request_model, span.response_model) if m)
    return CallNode(
        span.span_id,
        span.parent_span_id,
        models,
        span.usage.get("input", 0),
        span.usage.get("output", 0),
        span.duplicate_of,
    )


def _same_model(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b or a & b:
        return True
    # "gpt-4o" requested, "gpt-4o-2024-08-06" answered: one names a dated variant of the other.
    return any(x.startswith(y) or y.startswith(x) for x in a for y in b)


def _same_call(a: CallNode, b: CallNode) -> bool:
    return (a.input, a.output) == (b.input, b.output) and _same_model(a.models, b.models)


def _ancestors(span_id: str, nodes: Mapping[str, CallNode]) -> Iterable[str]:
    seen = {span_id}
    current = nodes.get(span_id)
    for _ in range(MAX_LAYER_DISTANCE):
        if current is None or not current.parent_span_id or current.parent_span_id in seen:
            return
        seen.add(current.parent_span_id)
        yield current.parent_span_id
        current = nodes.get(current.parent_span_id)


def mark_duplicates(spans: list[Span], known: Mapping[str, CallNode]) -> int:
    """Set ``duplicate_of``/``duplicate_reason`` on the new ``spans`` of one trace; returns how many.

    ``known`` holds the trace's spans stored earlier (their duplicate marks are final).
    """
    new = {span.span_id: node_of(span) for span in spans}
    nodes = {**known, **new}
    by_id = {span.span_id: span for span in spans}
    # Group the calls along ancestor chains: each call joins the group of its nearest matching ancestor.
    counted_for: dict[str, str] = {}  # span id -> the span id counted for its group
    calls = [node for node in nodes.values() if node.is_call]
    # Outer layers first (fewer ancestors), so a group is formed top-down and its innermost member wins.
    calls.sort(key=lambda node: sum(1 for _ in _ancestors(node.span_id, nodes)))
    members: dict[str, list[str]] = {}
    for node in calls:
        group = node.span_id
        for ancestor in _ancestors(node.span_id, nodes):
            parent = nodes.get(ancestor)
            if parent is not None and parent.is_call and ancestor in counted_for and _same_call(parent, node):
                group = counted_for[ancestor]
                break
        members.setdefault(group, []).append(node.span_id)
        counted_for[node.span_id] = group
    marked = 0
    for layers in members.values():
        if len(layers) < 2:
            continue
        stored_counted = [s for s in layers if s in known and not known[s].duplicate_of]
        # A stored, counted span stays counted; otherwise the innermost (last added) layer is the call.
        keeper = stored_counted[0] if stored_counted else layers[-1]
        for span_id in layers:
            span = by_id.get(span_id)
            if span is None or span_id == keeper:
                continue
            node = new[span_id]
            span.duplicate_of = keeper
            span.duplicate_reason = (
                f"same LLM call as span {keeper}: nested instrumentation layers reporting "
                f"{node.input} input and {node.output} output tokens"
                + (f" for {min(node.models)}" if node.models else "")
            )
            marked += 1
    return marked
