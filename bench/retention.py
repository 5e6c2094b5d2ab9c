"""What retention and erasure cost the store: expiring a project's old spans by its TTL, and purging one
user's traces.

Loads synthetic spans (``stored_spans.py``: 10-span traces over the last week, users on the roots) into a
fresh embedded store, merged into one part as a long-running server's table is, then measures:

- a start with nothing changed: ``apply_retention`` reading the TTLs and finding them as they are;
- expiry: the project given a 3-day retention, until the background rewrite of the existing parts
  (``MATERIALIZE TTL``) has deleted the spans older than that, checked against a count taken before;
- a purge of one user's traces (about one trace in 1,000), checked gone.

The baseline, measured in the same run on the same data: rewriting both tables whole
(``OPTIMIZE ... FINAL``), which a mutation does to every part holding a matched row; each figure also
prints as a multiple of it.

    python bench/retention.py --spans 1000000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from stored_spans import load
from tokentrail.store.database import Store
from tokentrail.store.purge import purge
from tokentrail.store.retention import TRACE_TABLES, apply_retention, save_retention
from tokentrail.store.writer import SpanWriter

_DAY_NS = 86_400 * 10**9


def _seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _rewrite_whole(store: Store) -> None:
    for table in TRACE_TABLES:
        store.command(f"OPTIMIZE TABLE {table} FINAL")


def _wait_for_mutations(store: Store) -> None:
    sql = "SELECT count() FROM system.mutations WHERE database = {db:String} AND is_done = 0"
    while store.query(sql, {"db": store.database})[0][0]:
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=200_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as data_dir:
        store = Store(f"chdb://{data_dir}/chdb")
        load(store, Path(data_dir) / "wal", args.spans)
        count = "SELECT count() FROM spans FINAL"
        baseline = _seconds(lambda: _rewrite_whole(store))

        start_check = min(_seconds(lambda: apply_retention(store, 0)) for _ in range(5))

        cutoff = time.time_ns() - 3 * _DAY_NS
        kept = store.query(f"{count} WHERE start_ns >= {cutoff}")[0][0]
        save_retention(store, "default", 3)
        expiry = _seconds(lambda: (apply_retention(store, 0), _wait_for_mutations(store)))
        # The spans right at the cutoff may have crossed it while the rewrite ran: none are left older.
        assert store.query(f"{count} WHERE start_ns < {cutoff - 60 * 10**9}")[0][0] == 0
        after_expiry = store.query(count)[0][0]
        assert after_expiry <= kept, (after_expiry, kept)

        writer = SpanWriter(store, Path(data_dir) / "purge-wal")
        user = "user-7"
        traces = store.query(
            "SELECT count() FROM trace_summaries FINAL WHERE t_user = {u:String}", {"u": user}
        )
        started = time.perf_counter()
        erased = purge(store, writer, "default", "user", user)
        purge_s = time.perf_counter() - started
        writer.close()
        assert erased.traces == traces[0][0], (erased, traces)
        assert store.query("SELECT count() FROM spans WHERE user_id = {u:String}", {"u": user})[0][0] == 0
        store.close()

    result = {
        "spans": args.spans,
        "baseline_rewrite_both_tables_s": round(baseline, 3),
        "start_with_nothing_changed_ms": round(start_check * 1000, 1),
        "expiry_3_of_7_days_s": round(expiry, 3),
        "expiry_vs_baseline": round(expiry / baseline, 2),
        "spans_left_after_expiry": after_expiry,
        "purge_one_user_s": round(purge_s, 3),
        "purge_vs_baseline": round(purge_s / baseline, 2),
        "purged_traces": erased.traces,
        "purged_spans": erased.spans,
    }
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
