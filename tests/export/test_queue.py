"""The durable queue of a destination (export.queue): what a put acknowledged is on disk, in order, and is
taken again after a restart; a record cut short by a crash is skipped, never half-sent; released segments
are gone; past its byte limit a put is refused with Overloaded (503 + Retry-After), nothing dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokentrail.errors import Overloaded
from tokentrail.export.queue import DurableQueue


def _drain(queue: DurableQueue) -> list[tuple[int, bytes]]:
    taken = []
    while (segment := queue.take(timeout=0.05)) is not None:
        taken += segment[1]
        queue.release(segment[0])
    return taken


def test_requests_come_out_in_order_and_released_segments_are_deleted(tmp_path: Path):
    queue = DurableQueue(tmp_path, max_bytes=2**20)
    for number in range(5):
        queue.put(b"request %d" % number, number + 1).result()
    assert queue.queued_spans == 15
    assert _drain(queue) == [(number + 1, b"request %d" % number) for number in range(5)]
    assert queue.queued_spans == 0 and queue.queued_bytes == 0
    queue.close()
    assert [path.stat().st_size for path in tmp_path.iterdir()] == [0]  # only the empty open segment


def test_what_was_acknowledged_is_taken_again_after_a_restart(tmp_path: Path):
    queue = DurableQueue(tmp_path, max_bytes=2**20)
    queue.put(b"first", 2).result()
    assert queue.take(timeout=0.05) is not None  # taken, never released: the process died sending it
    queue.put(b"second", 3).result()
    queue.close()
    reopened = DurableQueue(tmp_path, max_bytes=2**20)
    assert reopened.queued_spans == 5
    assert _drain(reopened) == [(2, b"first"), (3, b"second")]
    reopened.close()


def test_a_record_cut_by_a_crash_is_skipped(tmp_path: Path):
    queue = DurableQueue(tmp_path, max_bytes=2**20)
    queue.put(b"whole", 1).result()
    queue.close()
    segment = max(tmp_path.iterdir())
    with segment.open("ab") as file:
        file.write(b"\x40\x00\x00\x00\x00\x00")  # a header and no payload: the write a kill -9 cut
    reopened = DurableQueue(tmp_path, max_bytes=2**20)
    assert _drain(reopened) == [(1, b"whole")]
    reopened.close()


def test_a_full_queue_refuses_with_overloaded(tmp_path: Path):
    queue = DurableQueue(tmp_path, max_bytes=1000)
    queue.put(b"x" * 600, 1).result()
    with pytest.raises(Overloaded, match="forwarding queue"):
        queue.put(b"y" * 600, 1)
    assert _drain(queue) == [(1, b"x" * 600)]
    queue.put(b"y" * 600, 1).result()  # room again once the destination took the backlog
    queue.close()
