"""Recent traces' span links and LLM call signatures, for recognising one call reported twice.

The two layers of one call can arrive in different requests (an exporter with a simple span processor
sends each span on its own). The ingest thread keeps the spans of recently seen traces here, so the later
layer is still recognised; for a trace this process has not seen that began before it started (a restart),
it asks the store once.
"""

from __future__ import annotations

import time
from collections import OrderedDict, defaultdict
from collections.abc import Sequence

from tokentrail.analysis.calls import CallNode, find_duplicates, node_of
from tokentrail.model import Span
from tokentrail.store import queries
from tokentrail.store.database import Store

__all__ = ["CallIndex", "SpanKey"]

_TraceKey = tuple[str, str]  # project, trace id
SpanKey = tuple[str, str, str]  # project, trace id, span id


class CallIndex:
    """Marks duplicate LLM calls in each batch, remembering up to ``max_traces`` recent traces."""

    def __init__(self, store: Store | None, *, max_traces: int = 10_000) -> None:
        self._store = store
        self._max_traces = max_traces
        self._traces: OrderedDict[_TraceKey, dict[str, CallNode]] = OrderedDict()
        self._started_ns = time.time_ns()

    def duplicates(
        self, keys: Sequence[SpanKey], nodes: Sequence[CallNode]
    ) -> dict[SpanKey, tuple[str, str]]:
        """For one request's spans (keys and nodes aligned): those that repeat a call already counted,
        with the span counted instead and why."""
        by_trace: dict[_TraceKey, list[CallNode]] = {}
        for (project, trace_id, _), node in zip(keys, nodes, strict=True):
            by_trace.setdefault((project, trace_id), []).append(node)
        stored = self._stored_nodes(
            [
                key
                for key, group in by_trace.items()
                if key not in self._traces
                and any(node.is_call or node.may_wrap for node in group)
                and min(node.start_ns for node in group) < self._started_ns
            ]
        )
        found: dict[SpanKey, tuple[str, str]] = {}
        for key, group in by_trace.items():
            known = self._traces.pop(key, None) or stored.get(key, {})
            if _may_repeat(group, known):
                # A span sent again keeps its stored mark: ``known`` still holds it, so a call stored as
                # counted stays the one counted.
                marks = find_duplicates(group, known)
                for span_id, mark in marks.items():
                    found[(key[0], key[1], span_id)] = mark
                group = [
                    node._replace(duplicate_of=marks[node.span_id][0]) if node.span_id in marks else node
                    for node in group
                ]
            known.update((node.span_id, node) for node in group)
            self._traces[key] = known
        while len(self._traces) > self._max_traces:
            self._traces.popitem(last=False)
        return found

    def mark(self, spans: list[Span]) -> int:
        """Mark the spans of one request that repeat a call already counted; returns how many."""
        keys = [(span.project, span.trace_id, span.span_id) for span in spans]
        found = self.duplicates(keys, [node_of(span) for span in spans])
        for key, span in zip(keys, spans, strict=True):
            if key in found:
                span.duplicate_of, span.duplicate_reason = found[key]
        return len(found)

    def _stored_nodes(self, keys: list[_TraceKey]) -> dict[_TraceKey, dict[str, CallNode]]:
        if not keys or self._store is None:
            return {}
        by_project: defaultdict[str, list[str]] = defaultdict(list)
        for project, trace_id in keys:
            by_project[project].append(trace_id)
        found: dict[_TraceKey, dict[str, CallNode]] = {}
        for project, trace_ids in by_project.items():
            for row in queries.call_nodes(self._store, project, trace_ids):
                node = CallNode(
                    row["span_id"],
                    row["parent_span_id"],
                    frozenset(m for m in (row["request_model"], row["response_model"]) if m),
                    int(row["input"]),
                    int(row["output"]),
                    row["duplicate_of"],
                    row["response_id"],
                    int(row["start_ns"]),
                    bool(row["llm"]),
                )
                found.setdefault((project, row["trace_id"]), {})[node.span_id] = node
        return found


def _may_repeat(new: list[CallNode], known: dict[str, CallNode]) -> bool:
    """Whether two calls of the trace report the same usage or response, or a model span without usage
    may wrap a call: the cheap test before the walk."""
    calls = [node for node in new if node.is_call]
    if any(node.may_wrap for node in new):
        return bool(calls) or any(node.llm for node in known.values()) or sum(node.llm for node in new) > 1
    if not calls:
        return False
    calls += [node for node in known.values() if node.is_call]
    usages = {(node.input, node.output) for node in calls}
    responses = [node.response_id for node in calls if node.response_id]
    return len(usages) < len(calls) or len(set(responses)) < len(responses)
