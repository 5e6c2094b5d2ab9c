"""Per-trace summaries stay equal to the aggregates computed from the spans themselves, whatever changed
the spans (a re-sent span, a late root, a duplicate mark written after the insert, re-pricing), whichever
server wrote them, and in whatever order two refreshes land; the migration summarizes what was stored
before it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from otlp_builders import NOW_NS, new_trace_id
from tokentrail.errors import StoreUnavailable
from tokentrail.ingest.duplicates import TraceSettler
from tokentrail.model import Span, SpanKind
from tokentrail.pricing.cost import price_span
from tokentrail.pricing.reprice import RepriceJob, reprice
from tokentrail.pricing.rules import RuleBook, parse_rule
from tokentrail.store import sessions, summaries, traces
from tokentrail.store.database import Store
from tokentrail.store.sql import TraceFilter, per_trace
from tokentrail.store.writer import SpanWriter

PROJECT = "p"


def _span(trace_id: str, span_id: str, parent: str = "", **fields: Any) -> Span:
    span = Span(PROJECT, trace_id, span_id, parent, f"step-{span_id[:4]}", "svc", NOW_NS, NOW_NS + 1_000)
    for name, value in fields.items():
        setattr(span, name, value)
    return span


def _llm(trace_id: str, span_id: str, parent: str = "", **fields: Any) -> Span:
    call = _span(trace_id, span_id, parent, kind=SpanKind.LLM, **fields)
    call.request_model, call.provider = "gpt-4o-mini", "openai"
    call.usage = {"input": 100, "output": 20}
    price_span(call)
    return call


def _write(store: Store, tmp_path: Path, *batches: list[Span], server: str = "server") -> None:
    """Write each batch through a writer that settles as the server's does, one insert per batch."""
    writer = SpanWriter(store, tmp_path / server, resolve=TraceSettler(store))
    try:
        for batch in batches:
            writer.write(batch, 10)
    finally:
        writer.close()


def _comparable(row: dict[str, Any]) -> dict[str, Any]:
    # Arrays of distinct values come in no particular order.
    return {name: sorted(value) if isinstance(value, list) else value for name, value in row.items()}


def _summaries(store: Store) -> dict[str, dict[str, Any]]:
    sql = summaries.summarized(summaries.SUMMARY_AGGREGATES)
    return {row["trace_id"]: _comparable(row) for row in store.query_dicts(sql, {"project": PROJECT})}


def _from_spans(store: Store) -> dict[str, dict[str, Any]]:
    sql = per_trace(summaries.SUMMARY_AGGREGATES)
    return {row["trace_id"]: _comparable(row) for row in store.query_dicts(sql, {"project": PROJECT})}


def _assert_summaries_match_spans(store: Store) -> dict[str, dict[str, Any]]:
    stored = _summaries(store)
    assert stored == _from_spans(store)
    return stored


def test_a_resent_span_counts_once_with_its_latest_values(store, tmp_path):
    trace_id = new_trace_id()
    first = _llm(trace_id, "a" * 16)
    again = _llm(trace_id, "a" * 16, status="error")
    again.usage = {"input": 1_000, "output": 20}
    price_span(again)

    _write(store, tmp_path, [first, _span(trace_id, "b" * 16, "a" * 16)], [again])

    summary = _assert_summaries_match_spans(store)[trace_id]
    assert (summary["t_spans"], summary["t_errors"], summary["t_usage"]["input"]) == (2, 1, 1_000)


def test_a_root_arriving_after_its_children_names_the_trace(store, tmp_path):
    trace_id = new_trace_id()
    store.client().command("SYSTEM STOP MERGES trace_summaries")  # both versions stay in the table
    child = _span(trace_id, "b" * 16, "a" * 16, session_id="from-a-child", start_ns=NOW_NS - 5)
    root = _span(trace_id, "a" * 16, name="checkout", session_id="from-the-root", user_id="u1")

    _write(store, tmp_path, [child])
    assert _assert_summaries_match_spans(store)[trace_id]["t_session"] == "from-a-child"
    _write(store, tmp_path, [root])

    summary = _assert_summaries_match_spans(store)[trace_id]
    assert (summary["t_name"], summary["t_session"], summary["t_user"], summary["t_roots"]) == (
        "checkout",
        "from-the-root",
        "u1",
        1,
    )
    # The lists filter the latest summary only, before the two versions are merged.
    assert store.query("SELECT count() FROM trace_summaries")[0][0] == 2
    listed = traces.traces(store, PROJECT, TraceFilter(session_id="from-a-child")).items
    assert listed == []
    assert [row["session_id"] for row in sessions.sessions(store, PROJECT).items] == ["from-the-root"]


def test_a_duplicate_mark_written_after_the_insert_is_in_the_summary(store, tmp_path):
    trace_id = new_trace_id()
    outer = _llm(trace_id, "a" * 16)
    inner = _llm(trace_id, "b" * 16, "a" * 16, start_ns=NOW_NS + 1)

    _write(store, tmp_path, [outer])
    counted_once = _assert_summaries_match_spans(store)[trace_id]["t_cost"]
    _write(store, tmp_path, [inner])  # marks the outer layer a duplicate of the inner one

    summary = _assert_summaries_match_spans(store)[trace_id]
    assert summary["t_spans"] == 2
    assert summary["t_cost"] == counted_once > 0


def test_a_repriced_span_is_in_the_summary(store, tmp_path):
    trace_id = new_trace_id()
    _write(store, tmp_path, [_llm(trace_id, "a" * 16), _span(trace_id, "b" * 16, "a" * 16)])
    rule = parse_rule({"id": "flat", "match": "gpt-4o-mini", "prices": {"input": "1", "output": "1"}})

    job = reprice(store, RepriceJob(PROJECT, since_ns=0), RuleBook((rule,)))

    assert job.changed_spans == 1
    assert _assert_summaries_match_spans(store)[trace_id]["t_cost"] == Decimal("0.00012")


def test_two_servers_writing_one_trace_in_turns_leave_one_summary(store, tmp_path):
    trace_id = new_trace_id()
    root = _span(trace_id, "a" * 16, session_id="s1")
    calls = [_llm(trace_id, f"{i:016x}", "a" * 16) for i in range(1, 4)]

    _write(store, tmp_path, [root, calls[0]], server="one")
    _write(store, tmp_path, [calls[1]], server="two")
    _write(store, tmp_path, [calls[2]], server="one")  # a restart of the first server

    assert _assert_summaries_match_spans(store)[trace_id]["t_spans"] == 4
    assert store.query("SELECT count() FROM trace_summaries FINAL")[0][0] == 1


def test_a_refresh_that_saw_less_loses_whatever_order_they_land_in(store, tmp_path):
    trace_id = new_trace_id()
    _write(store, tmp_path, [_span(trace_id, "a" * 16)])
    # What a slow server summarized before the second span was stored, landing after the newer summary.
    stale = store.query("SELECT * FROM trace_summaries FINAL WHERE trace_id = {id:String}", {"id": trace_id})[
        0
    ]
    _write(store, tmp_path, [_span(trace_id, "b" * 16, "a" * 16)])
    store.client().insert("trace_summaries", [stale])

    assert _assert_summaries_match_spans(store)[trace_id]["t_spans"] == 2


@pytest.mark.parametrize("projects", [["p"], ["p", "q"]])
def test_the_migration_summarizes_the_traces_stored_before_it(store, tmp_path, projects):
    # Spans stored by a writer that does not settle, as before the summaries existed.
    writer = SpanWriter(store, tmp_path / "old")
    traces = [new_trace_id() for _ in range(3)]
    try:
        for project in projects:
            writer.write([_llm(trace_id, "a" * 16, project=project) for trace_id in traces], 10)
            writer.write([_span(traces[0], "b" * 16, "a" * 16, project=project)], 10)
    finally:
        writer.close()
    store.client().command("DROP TABLE trace_summaries")
    store.client().command(
        "ALTER TABLE schema_migrations DELETE WHERE version = 6 SETTINGS mutations_sync = 2"
    )

    assert store.migrate() == [6]

    assert _assert_summaries_match_spans(store).keys() == set(traces)
    totals = store.query(
        "SELECT project, count() FROM trace_summaries FINAL GROUP BY project ORDER BY project"
    )
    assert totals == [(project, len(traces)) for project in projects]


def test_the_summaries_hold_what_the_lists_read_and_nothing_else(store):
    columns = [
        row[0]
        for row in store.query(
            "SELECT name FROM system.columns WHERE database = currentDatabase() "
            "AND table = 'trace_summaries' ORDER BY position"
        )
    ]

    assert columns == ["project", "trace_id", "version", *summaries.SUMMARY_AGGREGATES]


def test_a_refresh_the_store_fails_is_retried_by_the_writer(store):
    store.client().command("DROP TABLE trace_summaries")

    with pytest.raises(StoreUnavailable, match="summarize"):
        summaries.refresh(store, PROJECT, [new_trace_id()])


def test_a_batch_of_twenty_thousand_traces_is_settled_in_one_statement_each(store, tmp_path):
    # Their ids alone are about 660 KB of SQL, over the 256 KiB ClickHouse parses by default.
    batch = [_llm(f"{n:032x}", f"{n:016x}") for n in range(1, 20_001)]

    _write(store, tmp_path, batch)

    stored = _assert_summaries_match_spans(store)
    assert len(stored) == 20_000
