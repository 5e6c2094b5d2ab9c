"""The ingest worker: where request bodies become rows, with a bounded queue.

Decoding, normalizing, enriching, pricing and encoding a request is pure Python, so threads only fight
over the GIL (measured: a 4-thread pool ingested about 20% fewer spans per second than one thread). With
``processes`` > 0 that work runs in a pool of processes started with ``spawn`` (chDB and the server's
threads must not be forked), and the server's own process only hands the rows to the writer; with 0 it
runs on the commit thread. Requests beyond ``max_queued`` are refused with :class:`Overloaded` (503 +
Retry-After) rather than left to pile up in memory.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from tokentrail.config import Settings
from tokentrail.errors import Overloaded
from tokentrail.ingest.otlp import DecodedBatch
from tokentrail.ingest.pipeline import commit_rows, prepare_rows
from tokentrail.pricing.catalog import default_catalog
from tokentrail.pricing.rules import RuleBook
from tokentrail.store.writer import SpanWriter

__all__ = ["IngestWorker", "default_processes", "settle_heap"]


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


class IngestWorker:
    """Turns OTLP bodies into durable rows, at most ``max_queued`` requests deep."""

    def __init__(self, *, max_queued: int = 64, processes: int = 0) -> None:
        self._commit = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tokentrail-ingest")
        self._processes = processes
        self._prepare: Executor = self._commit if processes == 0 else self._new_pool()
        self._max_queued = max_queued
        self._queued = 0  # only touched from the event loop's thread

    @property
    def queued(self) -> int:
        return self._queued

    def processes(self) -> tuple[Executor | None, int]:
        """The pool of ingest processes and its size, for other CPU work to share; (None, 0) without one."""
        if self._prepare is self._commit:
            return None, 0
        return self._prepare, self._processes

    async def accept(
        self,
        body: bytes,
        media_type: str,
        content_encoding: str | None,
        project: str | None,
        settings: Settings,
        writer: SpanWriter,
        rules: RuleBook | None = None,
    ) -> tuple[DecodedBatch, Future[int]]:
        """Prepare a body into rows and hand them to the writer; the future resolves once durable."""
        if self._queued >= self._max_queued:
            raise Overloaded(f"{self._queued} requests are waiting to be decoded; try again shortly")
        self._queued += 1
        loop = asyncio.get_running_loop()
        try:
            try:
                prepared = await loop.run_in_executor(
                    self._prepare, prepare_rows, body, media_type, content_encoding, project, settings, rules
                )
            except BrokenProcessPool:
                self._prepare = self._new_pool()
                raise Overloaded("an ingest process stopped while decoding; it was restarted") from None
            written = await loop.run_in_executor(self._commit, commit_rows, prepared, writer)
        finally:
            self._queued -= 1
        return prepared.decoded, written

    def warm(self) -> None:
        """Start the ingest processes now (spawning takes a second or two), not at the first request."""
        if self._processes:
            for future in [self._prepare.submit(os.getpid) for _ in range(self._processes)]:
                future.result()

    def close(self) -> None:
        if self._prepare is not self._commit:
            self._prepare.shutdown(wait=True, cancel_futures=True)
        self._commit.shutdown(wait=True)

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=settle_heap,
        )
