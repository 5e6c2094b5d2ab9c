"""Recognising a retriever's documents in the prompts that quote them, once both are stored.

A retrieval and the call that puts its documents in a prompt are often exported apart (each span on its
own, or across two batches), so the ingest stage attributes a call without them. When an insert touches a
trace that holds retrievals, the calls it inserted, and the calls that started after a retrieval it
inserted, are attributed again with the trace's documents (:func:`tokentrail.pricing.prompt.attribute`),
and those whose sources changed get a new version of their row. Traces without a retrieval cost one
query on a column filter.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from tokentrail.pricing.prompt import attribute
from tokentrail.pricing.tokenizers import counter_for
from tokentrail.semconv.conversation import documents
from tokentrail.store.database import Store
from tokentrail.store.prompt_quotes import SourcesUpdate, quoting_calls, retrievals, write_sources

__all__ = ["quote_retrievals"]


def quote_retrievals(
    store: Store, project: str, touched: Mapping[str, Collection[str]], tokenizer_dir: Path | None
) -> int:
    """Re-attribute the calls of the ``touched`` traces (trace id -> ids of its spans just inserted) that
    may quote a retrieval of their trace; returns how many calls got new sources."""
    by_trace: dict[str, dict[str, list[str]]] = {}
    since: dict[str, int] = {}
    for found in retrievals(store, project, touched):
        contents = [document.content for document in documents(found.output)]
        by_trace.setdefault(found.trace_id, {}).setdefault(found.name, []).extend(contents)
        if found.span_id in touched[found.trace_id]:
            since[found.trace_id] = min(since.get(found.trace_id, found.start_ns), found.start_ns)
    if not by_trace:
        return 0
    updates = []
    for call in quoting_calls(store, project, {trace_id: touched[trace_id] for trace_id in by_trace}, since):
        counter = counter_for(call.model, tokenizer_dir)
        result = attribute(call.input, call.reported, counter, by_trace[call.trace_id])
        if result is None:
            continue
        found_now = (result.sources, result.history, result.method)
        if found_now != (call.sources, call.history, call.method):
            updates.append(SourcesUpdate(call.trace_id, call.span_id, *found_now))
    write_sources(store, project, updates)
    return len(updates)
