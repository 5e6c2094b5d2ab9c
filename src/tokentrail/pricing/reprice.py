"""Re-pricing: stored spans priced again with today's rules and catalog, after a price change.

A job covers one project's spans that started in a time range, except those whose cost they reported
themselves (a reported cost always wins, so no rule can change it). It splits the range's traces into
chunks of about :data:`CHUNK_SPANS` spans by trace id (ClickHouse's sort order, so each chunk is one
narrow read), and for each chunk

1. reads what pricing needs of every span (:func:`~tokentrail.store.reprice.reprice_scan`), as JSON lines;
2. prices each span with :func:`~tokentrail.pricing.cost.price_span`, exactly as ingest would now;
3. uploads only the spans whose price changed, and has ClickHouse copy their stored rows with the new
   cost and a newer version (:func:`~tokentrail.store.reprice.write_repriced`), so no row travels whole,
   then summarize their traces again for the lists.

Jobs run one at a time, on a thread of their own, and report their progress as they go. Re-pricing is
idempotent: a job interrupted (a restart) is simply run again.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from tokentrail.errors import Conflict
from tokentrail.model import CostOrigin, Span, SpanKind, Status, Unpriced
from tokentrail.money import sum_money
from tokentrail.pricing.catalog import PriceCatalog, default_catalog
from tokentrail.pricing.cost import PRICING_ATTRIBUTES, REPORTED, price_span
from tokentrail.pricing.rules import RuleBook
from tokentrail.store import reprice as store_reprice
from tokentrail.store.database import Store
from tokentrail.store.rows import decode_scanned, encode_repriced

__all__ = ["CHUNK_SPANS", "JobState", "RepriceJob", "Repricer", "reprice", "reprice_rows", "split_lines"]

logger = logging.getLogger(__name__)

#: About how many spans one chunk reads, prices and writes back at once.
CHUNK_SPANS = 50_000
#: Trace ids sampled per chunk to find the chunk boundaries.
_SAMPLES_PER_CHUNK = 20
_ZERO = Decimal(0)
# What ClickHouse keeps of an amount: Decimal(38, 18).
_STORED_PLACES = Decimal("1e-18")


class JobState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(slots=True)
class RepriceJob:
    """One re-pricing run and how far it got; updated in place by the thread that runs it."""

    project: str
    since_ns: int
    until_ns: int | None = None
    dry_run: bool = False
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    state: JobState = JobState.RUNNING
    total_spans: int = 0  # spans in scope, known once the job has looked
    done_spans: int = 0
    changed_spans: int = 0
    cost_before: Decimal = _ZERO  # of the spans in scope, each call counted once
    cost_after: Decimal = _ZERO
    started_ns: int = field(default_factory=time.time_ns)
    finished_ns: int | None = None
    error: str = ""


def reprice(
    store: Store,
    job: RepriceJob,
    rules: RuleBook,
    *,
    processes: Executor | None = None,
    parts: int = 1,
    on_progress: Callable[[RepriceJob], None] | None = None,
) -> RepriceJob:
    """Run ``job`` to the end on this thread; its counters move as each chunk is priced.

    Each chunk is priced in ``parts`` pieces on ``processes`` (the ingest processes, say), else here. While
    one chunk is priced, the next is read and the last one written on two helper threads: ClickHouse
    works outside the GIL, so reading and writing cost little more than the pricing itself.
    """
    scope = store_reprice.RepriceScope(
        job.project,
        job.since_ns,
        job.until_ns,
        keep_source=REPORTED,
        priced_only=not rules.has_call_rules(job.project),
    )
    total, cost, sample = store_reprice.reprice_scope(store, scope, samples=_SAMPLES_PER_CHUNK * 1000)
    job.total_spans, job.cost_before, job.cost_after = total, cost, cost
    table = f"reprice_{job.id}"
    if not job.dry_run:
        store_reprice.create_repriced_table(store, table)
    chunks = list(_chunks(sorted(set(sample)), total))
    try:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"reprice-{job.id}") as pool:

            def scan(keys: store_reprice.KeyRange) -> Future[bytes]:
                return pool.submit(store_reprice.reprice_scan, store, scope, keys, PRICING_ATTRIBUTES)

            reading = scan(chunks[0])
            writing: Future[None] | None = None
            for index, keys in enumerate(chunks):
                block = reading.result()
                if index + 1 < len(chunks):
                    reading = scan(chunks[index + 1])
                if processes is None or parts < 2:
                    priced = [reprice_rows(block, job.project, rules)]
                else:
                    pieces = split_lines(block, parts)
                    price = functools.partial(reprice_rows, project=job.project, rules=rules)
                    priced = list(processes.map(price, pieces))
                changed = [row for rows, _, _ in priced for row in rows]
                delta = sum_money(moved for _, moved, _ in priced)
                count = sum(read for _, _, read in priced)
                if writing is not None:
                    writing.result()  # one chunk at a time through the scratch table
                    writing = None
                if changed and not job.dry_run:
                    writing = pool.submit(
                        store_reprice.write_repriced, store, table, job.project, keys, changed
                    )
                job.done_spans += count
                job.changed_spans += len(changed)
                job.cost_after = sum_money((job.cost_after, delta))
                if on_progress is not None:
                    on_progress(job)
            if writing is not None:
                writing.result()
    finally:
        if not job.dry_run:
            store_reprice.drop_repriced_table(store, table)
    job.state, job.finished_ns = JobState.DONE, time.time_ns()
    return job


def _chunks(sample: list[str], total: int) -> Iterator[store_reprice.KeyRange]:
    """Trace id ranges covering every trace, each about :data:`CHUNK_SPANS` spans by the sample."""
    count = max(1, -(-total // CHUNK_SPANS))
    step = len(sample) / count
    bounds: list[str | None] = [None]
    bounds += [sample[int(i * step)] for i in range(1, count) if int(i * step) < len(sample)]
    bounds.append(None)
    for low, high in itertools.pairwise(bounds):
        if low is None or high is None or low < high:
            yield low, high


def split_lines(block: bytes, parts: int) -> list[bytes]:
    """``block`` cut at line ends into at most ``parts`` pieces of about equal size."""
    pieces = []
    start = 0
    for index in range(1, parts):
        cut = block.find(b"\n", max(start, len(block) * index // parts))
        if cut < 0:
            break
        pieces.append(block[start:cut])
        start = cut + 1
    pieces.append(block[start:])
    return [piece for piece in pieces if piece]


def reprice_rows(
    block: bytes, project: str, rules: RuleBook, catalog: PriceCatalog | None = None
) -> tuple[list[bytes], Decimal, int]:
    """Price the spans of one block of :func:`~tokentrail.store.reprice.reprice_scan` lines again: the
    rows of :data:`~tokentrail.store.rows.REPRICED_COLUMNS` for those whose price changed, how much
    the counted spans' total moved, and how many spans the block held. Runs in any process."""
    catalog = catalog or default_catalog()
    lines = block.splitlines()
    changed: list[bytes] = []
    delta = _ZERO
    # One span refilled per row: price_span reads only these fields, and making a Span costs more.
    span = Span(
        project=project, trace_id="", span_id="", parent_span_id="", name="", service="", start_ns=0, end_ns=0
    )
    kinds = {kind.value: kind for kind in SpanKind}
    statuses = {status.value: status for status in Status}
    for line in lines:
        row = decode_scanned(line)
        span.kind, span.status = kinds[row.kind], statuses[row.status]
        span.provider, span.request_model, span.response_model = (
            row.provider,
            row.request_model,
            row.response_model,
        )
        span.usage, span.usage_source = dict(row.usage), row.usage_source
        span.start_ns, span.name, span.attributes = row.start_ns, row.name, row.attributes
        span.tool_name, span.billing_tier = row.tool_name, row.billing_tier
        price_span(span, catalog=catalog, rules=rules)
        new_cost = {key: amount.quantize(_STORED_PLACES) for key, amount in span.cost.items()}
        if (
            span.price_source == row.price_source
            and _value(span.cost_origin) == row.cost_origin
            and _value(span.unpriced_reason) == row.unpriced_reason
            and span.usage == row.usage
            and new_cost == {key: Decimal(amount) for key, amount in row.cost.items()}
        ):
            continue
        new_total = sum_money(new_cost.values())
        if not row.duplicate:
            delta = sum_money((delta, new_total, Decimal(row.cost_total).copy_negate()))
        priced = (
            span.usage,
            span.usage_source,
            {key: str(amount) for key, amount in new_cost.items()},
            str(new_total),
            _value(span.cost_origin),
            _value(span.unpriced_reason),
            span.price_source,
        )
        changed.append(encode_repriced(row, priced))
    return changed, delta, len(lines)


def _value(member: CostOrigin | Unpriced | None) -> str:
    return member.value if member is not None else ""


class Repricer:
    """Runs re-pricing jobs on a background thread, one at a time; keeps the recent ones to ask about and
    tells ``on_finish`` of each one that ends."""

    def __init__(
        self,
        store: Store,
        rules: Callable[[], RuleBook],
        processes: Callable[[], tuple[Executor | None, int]] = lambda: (None, 0),
        *,
        keep: int = 20,
        on_finish: Callable[[RepriceJob], None] | None = None,
    ) -> None:
        self._store = store
        self._on_finish = on_finish
        self._rules = rules
        self._processes = processes
        self._keep = keep
        self._jobs: dict[str, RepriceJob] = {}
        self._lock = threading.Lock()

    def start(self, job: RepriceJob) -> RepriceJob:
        """Start ``job``; raises :class:`Conflict` while another job is running."""
        with self._lock:
            running = next((j for j in self._jobs.values() if j.state is JobState.RUNNING), None)
            if running is not None:
                raise Conflict(f"re-pricing job {running.id} is still running; wait for it to finish")
            self._jobs[job.id] = job
            while len(self._jobs) > self._keep:
                del self._jobs[next(iter(self._jobs))]
        threading.Thread(target=self._run, args=(job,), name=f"reprice-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> RepriceJob | None:
        return self._jobs.get(job_id)

    def jobs(self) -> list[RepriceJob]:
        """The recent jobs, newest first."""
        return list(reversed(self._jobs.values()))

    def _run(self, job: RepriceJob) -> None:
        try:
            pool, size = self._processes()
            reprice(self._store, job, self._rules(), processes=pool, parts=size)
        except Exception as exc:  # the job reports it; the server goes on
            logger.exception("re-pricing job %s failed", job.id)
            job.state, job.error, job.finished_ns = (
                JobState.FAILED,
                f"{type(exc).__name__}: {exc}",
                time.time_ns(),
            )
        if self._on_finish is not None:
            self._on_finish(job)
