"""Re-pricing throughput: stored spans priced again per second after a price change (target ≥ 100,000/s).

Loads synthetic spans (``stored_spans.py``: priced for real at load, 10-span traces over a week) into a
fresh embedded store, then runs the real re-pricing job (:func:`tokentrail.pricing.reprice.reprice`) over
the whole week for three changes: none (a re-run: every span read and priced, nothing written), a
negotiated price for one model (gpt-4o-mini), and a rule over every model (every LLM and embedding span
rewritten). Each job is checked afterwards: the stored total must be what the job reported.

The baseline, measured in the same run on the same data: reading the job's inputs alone (the same scan,
chunk by chunk, without pricing or writing), so each figure also prints as a multiple of "just read what
pricing needs".

    python bench/reprice.py --spans 1000000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

from stored_spans import load
from tokentrail.ingest.offload import default_processes, settle_heap
from tokentrail.pricing.cost import PRICING_ATTRIBUTES, REPORTED
from tokentrail.pricing.reprice import RepriceJob, _chunks, reprice  # the job's own chunking too
from tokentrail.pricing.rules import RuleBook, parse_rule
from tokentrail.store import reprice as store_reprice
from tokentrail.store.database import Store

TARGET_SPANS_PER_S = 100_000
_WEEK_NS = 7 * 86_400 * 10**9

CHANGES = {
    "no change (re-run)": [],
    "one model's price": [
        {
            "id": "mini",
            "match": "gpt-4o-mini",
            "provider": "openai",
            "prices": {"input": "0.1", "output": "0.5"},
        }
    ],
    "every model's price": [
        {"id": "all", "match": "*", "prices": {"input": "1", "output": "2", "cache_read": "0.5"}}
    ],
}


def _scan_only(store: Store, since_ns: int) -> float:
    scope = store_reprice.RepriceScope("default", since_ns, None, keep_source=REPORTED, priced_only=True)
    started = time.perf_counter()
    total, _, sample = store_reprice.reprice_scope(store, scope, samples=20_000)
    read = sum(
        len(store_reprice.reprice_scan(store, scope, keys, PRICING_ATTRIBUTES).splitlines())
        for keys in _chunks(sorted(set(sample)), total)
    )
    assert read == total, (read, total)
    return time.perf_counter() - started


def _stored_total(store: Store) -> Decimal:
    return Decimal(store.query("SELECT sumIf(cost_total, duplicate_of = '') FROM spans FINAL")[0][0])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=1_000_000)
    args = parser.parse_args()
    since_ns = time.time_ns() - _WEEK_NS - 86_400 * 10**9
    with tempfile.TemporaryDirectory() as data_dir:
        store = Store(f"chdb://{data_dir}", "bench")
        started = time.perf_counter()
        load(store, Path(data_dir) / "wal", args.spans)
        load_s = time.perf_counter() - started
        baseline_s = min(_scan_only(store, since_ns) for _ in range(2))
        runs = {}
        processes = default_processes()
        # The server prices in its ingest processes: a pool like theirs, spawned and warmed.
        pool = ProcessPoolExecutor(
            processes, mp_context=multiprocessing.get_context("spawn"), initializer=settle_heap
        )
        [future.result() for future in [pool.submit(os.getpid) for _ in range(processes)]]
        for name, rules in CHANGES.items():
            book = RuleBook(tuple(parse_rule(rule) for rule in rules))
            before = _stored_total(store)
            started = time.perf_counter()
            job = reprice(store, RepriceJob("default", since_ns), book, processes=pool, parts=processes)
            seconds = time.perf_counter() - started
            after = _stored_total(store)
            if after != before + job.cost_after - job.cost_before or job.done_spans != job.total_spans:
                sys.exit(f"{name}: stored total {before} -> {after}, but the job reported {job}")
            runs[name] = {
                "spans_in_scope": job.total_spans,
                "spans_changed": job.changed_spans,
                "seconds": round(seconds, 2),
                "stored_spans_per_s": round(args.spans / seconds),
                "spans_per_s": round(job.total_spans / seconds),
                "x_baseline": round(seconds / baseline_s, 2),
                # The target is over the stored spans the job covers; a span no price can change (a
                # chain, a tool that reported its cost) is left out of the scan, not skipped after it.
                "meets_target": args.spans / seconds >= TARGET_SPANS_PER_S,
                "cost_before": str(job.cost_before.normalize()),
                "cost_after": str(job.cost_after.normalize()),
            }
        pool.shutdown()
    print(
        json.dumps(
            {
                "stored_spans": args.spans,
                "pricing_processes": processes,
                "load_seconds": round(load_s, 1),
                "baseline_read_inputs_seconds": round(baseline_s, 2),
                "target_spans_per_s": TARGET_SPANS_PER_S,
                "jobs": runs,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
