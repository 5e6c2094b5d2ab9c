"""The link of the chain that runs the processors (decode to encode) in ingest processes, with a bound.

Decoding, normalizing, enriching, pricing and encoding a batch is pure Python, so threads only fight over
the GIL (measured: a 4-thread pool ingested about 20% fewer spans per second than one thread). With
``processes`` > 0 that work runs in a pool of processes started with ``spawn`` (chDB and the server's
threads must not be forked), and the server's own process only hands the rows to the exporters; with 0 it
runs on one thread of the server's. Batches beyond ``max_queued`` are refused with :class:`Overloaded`
(retryable) rather than left to pile up in memory.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from tokentrail.errors import Overloaded
from tokentrail.ingest.chain import Batch, Consumer, Processor, relay
from tokentrail.pricing.catalog import default_catalog

__all__ = ["Offload", "default_processes", "run_processors", "settle_heap"]


def default_processes() -> int:
    """Ingest processes for this machine: one per core, at most 4; none on a single core.

    The server's own process (HTTP, the log, the store's inserts and merges) needs less than a core, so
    on 2 cores two ingest processes fill what it leaves (measured: 23,000 spans/s end to end, against
    20,000 with one); on a single core a process only adds the cost of crossing to it.
    """
    cores = os.cpu_count() or 1
    return 0 if cores == 1 else min(4, cores)


def settle_heap() -> None:
    """Load the price catalog now, then keep the garbage collector off the long-lived heap.

    Ingest allocates many short-lived objects per span; with the default thresholds the collector runs
    every few hundred spans and rescans everything alive, the price catalog included. Frozen startup
    objects and a larger first generation cut that to a small share (measured: preparing a span went from
    about 55 to 34 us). Called by ``tokentrail serve`` and in every ingest process.
    """
    default_catalog().price("openai", "gpt-4o", {"input": 1}, time.time_ns())  # loads genai-prices' data
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def run_processors(processors: Sequence[Processor], batch: Batch) -> Batch:
    """Run ``processors`` over ``batch`` in turn; what it returns is what crosses back from a process:
    the rows and the rejections and warnings, not the spans they were made from."""
    for processor in processors:
        processor.process(batch)
    batch.spans = []
    return batch


class Offload(Consumer):
    """Runs the processors ``build()`` gives (called per batch, so they see the price rules in force) in a
    pool, at most ``max_queued`` batches deep, then hands each batch to ``next_consumer``."""

    def __init__(
        self,
        build: Callable[[], Sequence[Processor]],
        next_consumer: Consumer,
        *,
        max_queued: int = 64,
        processes: int = 0,
    ) -> None:
        self.next = next_consumer
        self._build = build
        self._processes = processes
        self._pool: Executor = self._new_pool()
        self._max_queued = max_queued
        self._queued = 0
        self._lock = threading.Lock()

    @property
    def queued(self) -> int:
        """Batches taken and not yet handed on."""
        return self._queued

    def processes(self) -> tuple[Executor | None, int]:
        """The pool of ingest processes and its size, for other CPU work to share; (None, 0) without one."""
        return (self._pool, self._processes) if self._processes else (None, 0)

    def consume(self, batch: Batch) -> Future[Batch]:
        with self._lock:
            if self._queued >= self._max_queued:
                raise Overloaded(f"{self._queued} requests are waiting to be decoded; try again shortly")
            self._queued += 1
        accepted: Future[Batch] = Future()
        try:
            processed = self._pool.submit(run_processors, self._build(), batch)
        except BaseException:
            self._settled()
            raise
        processed.add_done_callback(lambda future: self._hand_on(future, accepted))
        return accepted

    def _hand_on(self, processed: Future[Batch], accepted: Future[Batch]) -> None:
        self._settled()
        try:
            batch = processed.result()
            downstream = self.next.consume(batch)
        except BrokenProcessPool:
            self._pool = self._new_pool()
            accepted.set_exception(Overloaded("an ingest process stopped while decoding; it was restarted"))
            return
        except BaseException as exc:  # a permanent or retryable error, for the receiver to answer
            accepted.set_exception(exc)
            return
        relay(downstream, accepted)

    def _settled(self) -> None:
        with self._lock:
            self._queued -= 1

    def flush(self, timeout: float | None = None) -> bool:
        return self.next.flush(timeout)

    def warm(self) -> None:
        """Start the ingest processes now (spawning takes a second or two), not at the first request."""
        if self._processes:
            for future in [self._pool.submit(os.getpid) for _ in range(self._processes)]:
                future.result()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.next.shutdown()

    def _new_pool(self) -> Executor:
        if not self._processes:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="tokentrail-ingest")
        return ProcessPoolExecutor(
            max_workers=self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=settle_heap,
        )
