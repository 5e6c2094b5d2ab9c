"""Settling the traces an insert touched: one LLM call, one cost, decided from what the store holds; then
the traces' summaries, which the lists read.

The writer hands :class:`TraceSettler` the spans each batch inserted, once the batch is queryable and
before its write-ahead log is released (so a crash in between replays the batch and settles it again). The
settler reads their traces' call signatures with the marks they carry (of a big trace, only the subtrees
the new spans belong to: :func:`tokentrail.store.marks.stored_traces`), resolves the marks those call for
(:func:`tokentrail.analysis.calls.resolve`) and writes a new version of each span whose mark changed; then
it recognises the retrievals' documents in the prompts that quote them
(:mod:`tokentrail.ingest.prompt_quotes`), keeps the scores their evaluation events state
(:mod:`tokentrail.ingest.evaluation_scores`), and summarizes the traces again
(:func:`tokentrail.store.summaries.refresh`), marks included. Nothing is
kept in process memory: any number of servers on one store, a restart between the two layers of a call,
or a span that links two layers arriving last all end with the same marks and summaries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from pathlib import Path

from tokentrail.analysis.calls import resolve
from tokentrail.ingest.evaluation_scores import score_evaluations
from tokentrail.ingest.prompt_quotes import quote_retrievals
from tokentrail.store import marks, summaries
from tokentrail.store.database import Store

__all__ = ["TraceSettler", "resolve_marks"]


def resolve_marks(store: Store, project: str, touched: Mapping[str, Collection[str]]) -> int:
    """Give the spans of the ``touched`` traces (trace id -> ids of its spans just inserted) the duplicate
    marks their traces call for; returns how many spans got a new mark."""
    updates = []
    for trace_id, stored in marks.stored_traces(store, project, touched).items():
        wanted = resolve((call.node for call in stored.calls), stored.parents)
        for call in stored.calls:
            mark = wanted.get(call.node.span_id, ("", ""))
            if mark != (call.duplicate_of, call.duplicate_reason):
                updates.append(marks.Mark(trace_id, call.node.span_id, *mark))
    marks.write_marks(store, project, updates)
    return len(updates)


class TraceSettler:
    """Re-marks, then summarizes, the traces an insert touched; callable with the (project, trace id, span
    id) keys it inserted."""

    def __init__(self, store: Store, *, tokenizer_dir: Path | None = None) -> None:
        self._store = store
        self._tokenizer_dir = tokenizer_dir

    def __call__(self, inserted: Collection[tuple[str, str, str]]) -> int:
        """Settle the traces of the ``inserted`` spans; returns how many spans got a new mark."""
        by_project: defaultdict[str, defaultdict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for project, trace_id, span_id in inserted:
            by_project[project][trace_id].append(span_id)
        changed = 0
        for project, touched in by_project.items():
            try:
                changed += resolve_marks(self._store, project, touched)
                quote_retrievals(self._store, project, touched, self._tokenizer_dir)
                score_evaluations(self._store, project, touched)
            finally:
                # Summarized even when resolving failed: a trace missing from the lists is worse than a
                # call counted twice until the trace is settled again.
                summaries.refresh(self._store, project, list(touched))
        return changed
