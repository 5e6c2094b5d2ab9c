"""The writer: durable in the write-ahead log before acknowledged, inserted in batches, deduplicated,
replayed after a crash, 503 instead of unbounded queues, and rows the store refuses set aside alone."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest

from tokentrail.errors import Overloaded, StoreUnavailable
from tokentrail.model import Span
from tokentrail.store.database import Store
from tokentrail.store.rows import encode_span
from tokentrail.store.wal import WriteAheadLog
from tokentrail.store.writer import SpanWriter


def _spans(count, trace_id="a" * 32, project="default"):
    return [
        Span(project, trace_id, f"{i + 1:016x}", "", f"s{i}", "svc", 1_000 + i, 2_000 + i)
        for i in range(count)
    ]


def _count(store):
    return store.query("SELECT count() FROM spans FINAL")[0][0]


def test_spans_are_queryable_when_write_returns(store, tmp_path):
    writer = SpanWriter(store, tmp_path)
    try:
        assert writer.write(_spans(5)) == 5
        assert _count(store) == 5
        assert writer.pending == 0
    finally:
        writer.close()


def test_an_acknowledged_span_is_in_the_log_before_it_is_in_the_store(store, tmp_path):
    writer = SpanWriter(store, tmp_path, flush_interval_s=60)
    try:
        assert writer.submit(_spans(3)).result(10) == 3
        assert _count(store) == 0  # not inserted yet: the flush interval has not passed
        records = [record for segment in tmp_path.glob("*.wal") for record in WriteAheadLog.read(segment)]
        assert sum(len(record.split(b"\n")) for record in records) == 3
        assert writer.pending == 3
    finally:
        writer.close()
    assert _count(store) == 3  # closing inserts what the log holds


def test_spans_become_queryable_within_the_flush_interval(store, tmp_path):
    writer = SpanWriter(store, tmp_path, flush_interval_s=0.2)
    try:
        writer.submit(_spans(4)).result(10)
        deadline = time.monotonic() + 10
        while _count(store) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _count(store) == 4
        assert list(tmp_path.glob("*.wal")) == sorted(tmp_path.glob("*.wal"))[-1:]  # covered segments go
    finally:
        writer.close()


def test_many_requests_are_inserted_together(store, tmp_path):
    inserts = []

    class CountingStore(Store):
        def insert_json_rows(self, table, columns, rows):
            inserts.append(len(rows))
            super().insert_json_rows(table, columns, rows)

    counting = CountingStore(store.url, store.database)
    writer = SpanWriter(counting, tmp_path, flush_interval_s=60)
    try:
        futures = [writer.submit(_spans(10, trace_id=f"{i:032x}")) for i in range(1, 21)]
        assert [future.result(10) for future in futures] == [10] * 20
        assert writer.flush(10)
        assert inserts == [200]
    finally:
        writer.close()


def test_the_same_span_sent_twice_is_stored_once(store, tmp_path):
    writer = SpanWriter(store, tmp_path)
    try:
        writer.write(_spans(3))
        writer.write(_spans(3))  # e.g. an exporter retrying after a timeout
        writer.write(_spans(3) + _spans(3))  # and twice in one request
    finally:
        writer.close()
    assert _count(store) == 3


def test_what_a_stopped_server_logged_but_never_inserted_is_inserted_at_start(store, tmp_path):
    wal = WriteAheadLog(tmp_path)
    wal.append(b"\n".join(encode_span(span, 1) for span in _spans(6)))
    wal.close()

    writer = SpanWriter(store, tmp_path)
    writer.close()

    assert _count(store) == 6
    assert len(list(tmp_path.glob("*.wal"))) == 1  # only the new, empty segment


def test_a_record_torn_by_a_crash_is_skipped_and_the_rest_replayed(store, tmp_path):
    wal = WriteAheadLog(tmp_path)
    wal.append(b"\n".join(encode_span(span, 1) for span in _spans(2)))
    wal.close()
    (segment,) = tmp_path.glob("*.wal")
    with segment.open("ab") as file:
        file.write(b"\x40\x00\x00\x00garbage")  # a header and half a payload: never acknowledged

    writer = SpanWriter(store, tmp_path)
    writer.close()

    assert _count(store) == 2


class GatedStore(Store):
    """A real store whose inserts wait until the test opens the gate."""

    def __init__(self, url, database):
        super().__init__(url, database)
        self.gate = threading.Event()

    def insert_json_rows(self, table, columns, rows):
        self.gate.wait(30)
        super().insert_json_rows(table, columns, rows)


def test_a_full_backlog_answers_overloaded_and_loses_nothing_already_accepted(chdb_url, tmp_path):
    store = GatedStore(chdb_url, "test_writer_gated")
    writer = SpanWriter(store, tmp_path, max_pending_spans=10, flush_interval_s=0.01)
    try:
        first = writer.submit(_spans(8))
        assert first.result(30) == 8  # durable in the log although the store is stuck
        with pytest.raises(Overloaded, match="try again"):
            writer.submit(_spans(5, trace_id="b" * 32))
        store.gate.set()
        assert writer.flush(30)  # the backlog drains, and room opens again
        assert writer.write(_spans(5, trace_id="b" * 32)) == 5
    finally:
        store.gate.set()
        writer.close()
    assert _count(store) == 13
    store.client().command("DROP DATABASE test_writer_gated")


class FlakyStore(Store):
    """A real store that refuses its first inserts, as a ClickHouse server being restarted would."""

    def __init__(self, url, database, failures):
        super().__init__(url, database)
        self.failures = failures

    def insert_json_rows(self, table, columns, rows):
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("connection refused")
        super().insert_json_rows(table, columns, rows)


def test_a_store_that_refuses_inserts_loses_nothing_and_is_retried(chdb_url, tmp_path, monkeypatch):
    monkeypatch.setattr("tokentrail.store.writer.RETRY_INTERVAL_S", 0.05)
    store = FlakyStore(chdb_url, "test_writer_flaky", failures=2)
    writer = SpanWriter(store, tmp_path)
    try:
        assert writer.submit(_spans(2)).result(10) == 2  # acknowledged: it is in the log
        assert writer.flush(30)
        assert store.failures == 0
        assert _count(store) == 2
    finally:
        writer.close()
        store.client().command("DROP DATABASE test_writer_flaky")


def test_spans_still_refused_at_shutdown_are_replayed_by_the_next_writer(chdb_url, tmp_path):
    store = FlakyStore(chdb_url, "test_writer_down", failures=10**6)
    writer = SpanWriter(store, tmp_path)
    writer.submit(_spans(3)).result(10)
    writer.close(timeout=5)
    store.failures = 0

    SpanWriter(store, tmp_path).close()

    assert _count(store) == 3
    store.client().command("DROP DATABASE test_writer_down")


def test_listeners_hear_which_traces_each_insert_made_queryable(store, tmp_path):
    heard: list[frozenset[tuple[str, str]]] = []
    told = threading.Event()

    def listener(traces):
        assert _count(store) == 4  # queryable by the time they are told
        heard.append(traces)
        told.set()

    def broken(traces):
        raise RuntimeError("a listener with a bug")

    writer = SpanWriter(store, tmp_path)
    writer.add_listener(broken)
    writer.add_listener(listener)
    try:
        writer.write(_spans(3, "a" * 32) + _spans(1, "b" * 32, project="other"))
        assert told.wait(10)
        assert heard == [frozenset({("default", "a" * 32), ("other", "b" * 32)})]

        writer.remove_listener(listener)
        told.clear()
        writer.write(_spans(1, "c" * 32))  # the broken listener stopped nothing
        assert _count(store) == 5 and not told.wait(0.2)
    finally:
        writer.close()


def _refused(span_id="ff00000000000001", trace_id="c" * 32):
    """A span whose cost no Decimal(38, 18) column holds: ClickHouse refuses its row."""
    span = Span("default", trace_id, span_id, "", "huge", "svc", 1_000, 2_000)
    span.cost = {"tool": Decimal("1e21")}
    return span


def test_a_span_sent_again_before_the_flush_is_pending_once(store, tmp_path):
    writer = SpanWriter(store, tmp_path, flush_interval_s=60, max_pending_spans=10)
    try:
        for _ in range(50):  # an exporter re-sending a request whose answer it lost, many times over
            assert writer.submit(_spans(3)).result(10) == 3
        assert writer.pending == 3
        assert writer.flush(30)
        assert writer.pending == 0
        assert writer.written == 3
        assert writer.submit(_spans(10, trace_id="b" * 32)).result(10) == 10  # no leak left to fill it
    finally:
        writer.close()
    assert _count(store) == 13


def test_a_row_the_store_refuses_is_quarantined_and_every_other_row_inserted(store, tmp_path):
    writer = SpanWriter(store, tmp_path)
    try:
        writer.write([*_spans(40), _refused(), *_spans(9, trace_id="d" * 32)])
        assert writer.pending == 0
        assert writer.written == 49
        writer.write(_spans(2, trace_id="e" * 32))  # nothing is wedged behind it
    finally:
        writer.close()
    assert _count(store) == 51
    (held,) = writer.quarantine.rows()
    assert (held.project, held.trace_id, held.span_id) == ("default", "c" * 32, "ff00000000000001")
    assert "Decimal value is too big" in held.reason
    assert held.row.startswith('["default",')
    assert writer.quarantine.count == 1
    assert list(tmp_path.glob("*.wal")) == sorted(tmp_path.glob("*.wal"))[-1:]  # the log let go of it


def test_a_refused_row_in_the_log_does_not_stop_a_start(store, tmp_path):
    wal = WriteAheadLog(tmp_path)
    wal.append(b"\n".join(encode_span(span, 1) for span in [*_spans(3), _refused()]))
    wal.append(b"not a row at all")
    wal.close()

    writer = SpanWriter(store, tmp_path)
    try:
        assert writer.flush(30)
        assert writer.pending == 0
    finally:
        writer.close()

    assert _count(store) == 3
    reasons = sorted(row.reason for row in writer.quarantine.rows())
    assert len(reasons) == 2
    assert "Decimal value is too big" in reasons[0]
    assert reasons[1] == "the row in the write-ahead log cannot be read"
    assert len(list(tmp_path.glob("*.wal"))) == 1


def test_a_store_that_is_down_at_start_does_not_stop_the_start(chdb_url, tmp_path, monkeypatch):
    monkeypatch.setattr("tokentrail.store.writer.RETRY_INTERVAL_S", 0.05)
    wal = WriteAheadLog(tmp_path)
    wal.append(b"\n".join(encode_span(span, 1) for span in _spans(4)))
    wal.close()
    store = FlakyStore(chdb_url, "test_writer_down_at_start", failures=3)

    writer = SpanWriter(store, tmp_path)  # before, the replay raised here
    try:
        assert writer.pending == 4  # replayed spans wait like any others
        assert writer.flush(30)
        assert writer.pending == 0
    finally:
        writer.close()
        assert _count(store) == 4
        store.client().command("DROP DATABASE test_writer_down_at_start")
