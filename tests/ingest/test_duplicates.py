"""Duplicate calls resolved from what the store holds: whatever order the layers arrive in, and whichever
server or process wrote them, the same spans end up marked."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from layered_traces import random_layered_trace
from otlp_builders import NOW_NS, new_trace_id
from tokentrail.analysis.calls import node_of, resolve
from tokentrail.ingest.duplicates import TraceSettler
from tokentrail.model import Span, SpanKind
from tokentrail.store import marks
from tokentrail.store.writer import SpanWriter


def _llm(trace_id: str, span_id: str, parent: str = "", start_ns: int = NOW_NS) -> Span:
    call = Span("p", trace_id, span_id, parent, span_id, "svc", start_ns, start_ns + 1, kind=SpanKind.LLM)
    call.request_model, call.usage = "gpt-4o-mini", {"input": 100, "output": 20}
    return call


def _stored_marks(store, trace_id: str) -> dict[str, str]:
    rows = store.query(
        "SELECT span_id, duplicate_of FROM spans FINAL "
        "WHERE trace_id = {trace_id:String} AND duplicate_of != ''",
        {"trace_id": trace_id},
    )
    return dict(rows)


def _write(store, tmp_path: Path, spans: list[Span], name: str) -> None:
    writer = SpanWriter(store, tmp_path / name, resolve=TraceSettler(store))
    try:
        writer.submit(spans).result(10)
        writer.flush()
    finally:
        writer.close()


def test_two_layers_written_by_two_writers_in_turns_count_once(store, tmp_path):
    trace_id = new_trace_id()
    outer, inner = _llm(trace_id, "a" * 16), _llm(trace_id, "b" * 16, parent="a" * 16, start_ns=NOW_NS + 1)

    _write(store, tmp_path, [outer], "first")
    _write(store, tmp_path, [inner], "second")

    assert _stored_marks(store, trace_id) == {"a" * 16: "b" * 16}


def test_a_span_linking_two_layers_that_arrives_last_still_merges_them(store, tmp_path):
    trace_id = new_trace_id()
    outer = _llm(trace_id, "a" * 16)
    chain = Span("p", trace_id, "c" * 16, "a" * 16, "chain", "svc", NOW_NS, NOW_NS + 1, kind=SpanKind.CHAIN)
    inner = _llm(trace_id, "b" * 16, parent="c" * 16, start_ns=NOW_NS + 1)

    _write(store, tmp_path, [outer, inner], "layers")
    assert _stored_marks(store, trace_id) == {}
    _write(store, tmp_path, [chain], "link")

    assert _stored_marks(store, trace_id) == {"a" * 16: "b" * 16}


@pytest.mark.parametrize("seed", range(8))
def test_a_big_trace_read_by_its_touched_parts_gets_the_marks_of_the_whole(
    store, tmp_path, monkeypatch, seed
):
    monkeypatch.setattr(marks, "WHOLE_TRACE_SPANS", 0)  # every trace is read by parts
    rng = random.Random(seed)
    trace_id = new_trace_id()
    spans = random_layered_trace(rng, trace_id, 120)
    arrival = spans[:]
    rng.shuffle(arrival)

    for turn, start in enumerate(range(0, len(arrival), 17)):
        _write(store, tmp_path, arrival[start : start + 17], f"batch-{turn}")

    whole = resolve([node_of(span) for span in spans], {span.span_id: span.parent_span_id for span in spans})
    assert _stored_marks(store, trace_id) == {span_id: mark for span_id, (mark, _) in whole.items()}
    assert whole  # the trace does hold repeated and wrapped calls
