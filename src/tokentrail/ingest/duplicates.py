"""Settling the traces an insert touched: one LLM call, one cost, decided from what the store holds; then
the traces' summaries, which the lists read.

The writer hands :class:`TraceSettler` the traces each batch touched, once the batch is queryable and
before its write-ahead log is released (so a crash in between replays the batch and settles it again).
The settler reads those traces' call signatures with the marks they carry, resolves the marks the whole
trace calls for (:func:`tokentrail.analysis.calls.resolve`) and writes a new version of each span whose
mark changed; then it summarizes the traces again (:func:`tokentrail.store.summaries.refresh`), marks
included. Nothing is kept in process memory: any number of servers on one store, a restart between the
two layers of a call, or a span that links two layers arriving last all end with the same marks and
summaries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from tokentrail.analysis.calls import resolve
from tokentrail.store import marks, summaries
from tokentrail.store.database import Store

__all__ = ["DuplicateResolver", "TraceSettler", "resolve_marks"]


def resolve_marks(store: Store, project: str, trace_ids: list[str]) -> int:
    """Give the spans of the given traces the duplicate marks their traces call for; returns how many
    spans got a new mark."""
    updates = []
    for trace_id, stored in marks.stored_traces(store, project, trace_ids).items():
        wanted = resolve((call.node for call in stored.calls), stored.parents)
        for call in stored.calls:
            mark = wanted.get(call.node.span_id, ("", ""))
            if mark != (call.duplicate_of, call.duplicate_reason):
                updates.append(marks.Mark(trace_id, call.node.span_id, *mark))
    marks.write_marks(store, project, updates)
    return len(updates)


class TraceSettler:
    """Re-marks, then summarizes, the traces an insert touched; callable with ``(project, trace id)``
    pairs."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __call__(self, traces: Collection[tuple[str, str]]) -> int:
        """Settle ``traces``; returns how many spans got a new mark."""
        by_project: defaultdict[str, list[str]] = defaultdict(list)
        for project, trace_id in traces:
            by_project[project].append(trace_id)
        changed = 0
        for project, trace_ids in by_project.items():
            try:
                changed += resolve_marks(self._store, project, trace_ids)
            finally:
                # Summarized even when resolving failed: a trace missing from the lists is worse than a
                # call counted twice until the trace is settled again.
                summaries.refresh(self._store, project, trace_ids)
        return changed


#: The settler's name before it summarized too; ``api/app.py`` wires it under this name.
DuplicateResolver = TraceSettler
