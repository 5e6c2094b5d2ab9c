"""One LLM call, one cost, decided from what the store holds.

The writer hands :class:`DuplicateResolver` the traces each batch touched, once the batch is queryable and
before its write-ahead log is released (so a crash in between replays the batch and resolves it again). The
resolver reads those traces' call signatures with the marks they carry, resolves the marks the whole trace
calls for (:func:`tokentrail.analysis.calls.resolve`) and writes a new version of each span whose mark
changed. Nothing is kept in process memory: any number of servers on one store, a restart between the two
layers of a call, or a span that links two layers arriving last all end with the same marks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from tokentrail.analysis.calls import resolve
from tokentrail.store import marks
from tokentrail.store.database import Store

__all__ = ["DuplicateResolver"]


class DuplicateResolver:
    """Re-marks the traces an insert touched; callable with ``(project, trace id)`` pairs."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __call__(self, traces: Collection[tuple[str, str]]) -> int:
        """Resolve ``traces``; returns how many spans got a new mark."""
        by_project: defaultdict[str, list[str]] = defaultdict(list)
        for project, trace_id in traces:
            by_project[project].append(trace_id)
        changed = 0
        for project, trace_ids in by_project.items():
            updates = []
            for trace_id, stored in marks.stored_traces(self._store, project, trace_ids).items():
                wanted = resolve((call.node for call in stored.calls), stored.parents)
                for call in stored.calls:
                    mark = wanted.get(call.node.span_id, ("", ""))
                    if mark != (call.duplicate_of, call.duplicate_reason):
                        updates.append(marks.Mark(trace_id, call.node.span_id, *mark))
            marks.write_marks(self._store, project, updates)
            changed += len(updates)
        return changed
