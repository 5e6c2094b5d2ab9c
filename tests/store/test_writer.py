"""The batching writer: durable before acknowledged, deduplicated, and 503 instead of unbounded queues."""

from __future__ import annotations

import threading

import pytest

from tokentrail.errors import Overloaded, StoreUnavailable
from tokentrail.model import Span
from tokentrail.store.database import Store
from tokentrail.store.writer import SpanWriter


def _spans(count, trace_id="a" * 32, project="default"):
    return [
        Span(project, trace_id, f"{i + 1:016x}", "", f"s{i}", "svc", 1_000 + i, 2_000 + i)
        for i in range(count)
    ]


def _count(store):
    return store.query("SELECT count() FROM spans FINAL")[0][0]


def test_spans_are_queryable_when_write_returns(store):
    writer = SpanWriter(store)
    try:
        assert writer.write(_spans(5)) == 5
        assert _count(store) == 5
    finally:
        writer.close()


def test_the_same_span_sent_twice_is_stored_once(store):
    writer = SpanWriter(store)
    try:
        writer.write(_spans(3) + _spans(3))
        writer.write(_spans(3))
    finally:
        writer.close()
    assert _count(store) == 3


class GatedStore(Store):
    """A real store whose inserts wait until the test opens the gate."""

    def __init__(self, url, database):
        super().__init__(url, database)
        self.gate = threading.Event()

    def insert_json_rows(self, table, columns, rows):
        self.gate.wait(30)
        super().insert_json_rows(table, columns, rows)


def test_a_full_queue_answers_overloaded_and_loses_nothing_already_accepted(chdb_url):
    store = GatedStore(chdb_url, "test_writer_gated")
    writer = SpanWriter(store, max_pending_spans=10)
    try:
        first = writer.submit(_spans(8))
        with pytest.raises(Overloaded, match="try again"):
            writer.submit(_spans(5, trace_id="b" * 32))
        store.gate.set()
        assert first.result(30) == 8
        assert writer.write(_spans(5, trace_id="b" * 32)) == 5
    finally:
        store.gate.set()
        writer.close()
    assert _count(store) == 13
    store.client().command("DROP DATABASE test_writer_gated")


class FailingStore(Store):
    def insert_json_rows(self, table, columns, rows):
        raise StoreUnavailable("disk full")


def test_a_store_failure_reaches_every_waiting_request(chdb_url):
    store = FailingStore(chdb_url, "test_writer_failing")
    writer = SpanWriter(store)
    try:
        with pytest.raises(StoreUnavailable, match="disk full"):
            writer.write(_spans(2))
        assert writer.pending == 0
    finally:
        writer.close()
        store.client().command("DROP DATABASE test_writer_failing")
