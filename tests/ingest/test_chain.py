"""The ingest chain's links: a batch is accepted once every exporter holds it durably, an error is
marked permanent or retryable, and the processors' bound answers with a retryable error, never a drop."""

from __future__ import annotations

import threading

import pytest

from otlp_builders import new_trace_id, protobuf_request, span
from tokentrail.config import Settings
from tokentrail.errors import BadRequest, Overloaded, RetryableError
from tokentrail.ingest import stages
from tokentrail.ingest.chain import Batch, Fanout, Processor
from tokentrail.ingest.exporters import StoreExporter
from tokentrail.ingest.offload import Offload
from tokentrail.ingest.otlp import PROTOBUF
from tokentrail.store.database import Store
from tokentrail.store.writer import SpanWriter


def _batch(*names: str) -> tuple[str, Batch]:
    trace_id = new_trace_id()
    body = protobuf_request([span(name, trace_id) for name in names])
    return trace_id, Batch(body=body, media_type=PROTOBUF)


def _stored(store: Store, trace_id: str) -> list[str]:
    rows = store.query(
        "SELECT name FROM spans FINAL WHERE trace_id = {t:String} ORDER BY name", {"t": trace_id}
    )
    return [name for (name,) in rows]


def _chain(exporters: list[StoreExporter], **options: object) -> Offload:
    return Offload(lambda: stages.processors(Settings(), None), Fanout(exporters), **options)


def test_a_batch_is_accepted_once_every_exporter_holds_it(store, chdb_url, tmp_path):
    other = Store(chdb_url, f"{store.database}_copy")
    exporters = [
        StoreExporter(SpanWriter(store, tmp_path / "a")),
        StoreExporter(SpanWriter(other, tmp_path / "b")),
    ]
    chain = _chain(exporters)
    trace_id, batch = _batch("one", "two")

    accepted = chain.consume(batch).result(timeout=30)

    assert accepted.rejected == [] and len(accepted.rows) == 2
    assert chain.flush(timeout=30)
    assert _stored(store, trace_id) == _stored(other, trace_id) == ["one", "two"]
    chain.shutdown()
    with pytest.raises(Overloaded):  # shut down: the writers take nothing more
        exporters[0].writer.submit_rows({("p", "t", "s"): b"[]"})


def test_an_exporter_that_cannot_take_a_batch_fails_it_as_retryable(store, tmp_path):
    refusing = SpanWriter(store, tmp_path / "closed")
    refusing.close()
    chain = _chain([StoreExporter(SpanWriter(store, tmp_path / "open")), StoreExporter(refusing)])

    with pytest.raises(RetryableError, match="shutting down"):
        chain.consume(_batch("one")[1]).result(timeout=30)
    chain.shutdown()


def test_a_body_that_can_never_be_read_fails_as_permanent_and_frees_its_place(store, tmp_path):
    chain = _chain([StoreExporter(SpanWriter(store, tmp_path))], max_queued=1)

    with pytest.raises(BadRequest):
        chain.consume(Batch(body=b"\xff not protobuf", media_type=PROTOBUF)).result(timeout=30)

    assert chain.queued == 0
    trace_id, batch = _batch("after")
    chain.consume(batch).result(timeout=30)
    chain.flush(timeout=30)
    assert _stored(store, trace_id) == ["after"]
    chain.shutdown()


class _Gate(Processor):
    """Holds every batch until it is opened: a busy ingest process, on demand."""

    def __init__(self) -> None:
        super().__init__()
        self.open = threading.Event()

    def process(self, batch: Batch) -> None:
        self.open.wait(30)


def test_batches_beyond_the_bound_are_refused_as_retryable_and_none_is_dropped(store, tmp_path):
    gate = _Gate()
    chain = Offload(
        lambda: [gate, *stages.processors(Settings(), None)],
        Fanout([StoreExporter(SpanWriter(store, tmp_path))]),
        max_queued=2,
    )
    first, second = _batch("first"), _batch("second")
    waiting = [chain.consume(first[1]), chain.consume(second[1])]

    with pytest.raises(Overloaded, match="2 requests are waiting"):
        chain.consume(_batch("third")[1])

    gate.open.set()
    for future in waiting:
        future.result(timeout=30)
    chain.flush(timeout=30)
    assert _stored(store, first[0]) == ["first"] and _stored(store, second[0]) == ["second"]
    chain.shutdown()
