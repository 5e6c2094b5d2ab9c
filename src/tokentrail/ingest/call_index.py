"""Recent traces' span links and LLM call signatures, for recognising one call reported twice.

The two layers of one call can arrive in different requests (an exporter with a simple span processor
sends each span on its own). The ingest thread keeps the spans of recently seen traces here, so the later
layer is still recognised; for a trace this process has not seen that began before it started (a restart),
it asks the store once.
"""

from __future__ import annotations

import time
from collections import OrderedDict, defaultdict

from tokentrail.analysis.calls import CallNode, mark_duplicates, node_of
from tokentrail.model import Span
from tokentrail.store import queries
from tokentrail.store.database import Store

__all__ = ["CallIndex"]

_TraceKey = tuple[str, str]  # project, trace id


class CallIndex:
    """Marks duplicate LLM calls in each batch, remembering up to ``max_traces`` recent traces."""

    def __init__(self, store: Store | None, *, max_traces: int = 10_000) -> None:
        self._store = store
        self._max_traces = max_traces
        self._traces: OrderedDict[_TraceKey, dict[str, CallNode]] = OrderedDict()
        self._started_ns = time.time_ns()

    def mark(self, spans: list[Span]) -> int:
        """Mark the spans of one request that repeat a call already counted; returns how many."""
        by_trace: defaultdict[_TraceKey, list[Span]] = defaultdict(list)
        for span in spans:
            by_trace[(span.project, span.trace_id)].append(span)
        nodes = {key: [node_of(span) for span in group] for key, group in by_trace.items()}
        stored = self._stored_nodes(
            [
                key
                for key, group in by_trace.items()
                if key not in self._traces
                and any(node.is_call for node in nodes[key])
                and min(span.start_ns for span in group) < self._started_ns
            ]
        )
        marked = 0
        for key, group in by_trace.items():
            known = self._traces.pop(key, None) or stored.get(key, {})
            new_nodes = nodes[key]
            if _may_repeat(new_nodes, known):
                new_ids = {node.span_id for node in new_nodes}
                marked += mark_duplicates(group, {k: v for k, v in known.items() if k not in new_ids})
                new_nodes = [node_of(span) for span in group]
            known.update((node.span_id, node) for node in new_nodes)
            self._traces[key] = known
        while len(self._traces) > self._max_traces:
            self._traces.popitem(last=False)
        return marked

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
                )
                found.setdefault((project, row["trace_id"]), {})[node.span_id] = node
        return found


def _may_repeat(new: list[CallNode], known: dict[str, CallNode]) -> bool:
    """Whether two calls of the trace report the same usage or response: the cheap test before the walk."""
    calls = [node for node in new if node.is_call]
    if not calls:
        return False
    calls += [node for node in known.values() if node.is_call]
    usages = {(node.input, node.output) for node in calls}
    responses = [node.response_id for node in calls if node.response_id]
    return len(usages) < len(calls) or len(set(responses)) < len(responses)
