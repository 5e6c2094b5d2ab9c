"""What a round of online evaluation costs with many spans stored, against the first page of the trace list.

Loads ``--spans`` synthetic spans (``stored_spans.py``: the last week, merged as a long-running server's)
into a fresh embedded store, then times :meth:`EvaluationWatch.check` (median of ``--repeat`` after a
warm-up) for one enabled evaluator in two states: **idle**, its watermark at now (nothing arrived since:
the reads every round makes), and **catching up**, its watermark at zero so that every stored trace is new
and quiet (it picks its first 1,000, looks up which it judged, and moves its watermark past them). The
evaluator samples nothing (rate 0), so no judge is called: only the reads and the bookkeeping are timed.
The baseline, measured in the same run on the same data: the first 50 traces of the trace list.

    python bench/evaluators.py --spans 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from stored_spans import load, median_ms
from tokentrail.evaluators.definition import new_evaluator
from tokentrail.evaluators.judge import Judge
from tokentrail.evaluators.watch import EvaluationWatch
from tokentrail.ingest.exporters import StoreExporter
from tokentrail.store import evaluators as stored
from tokentrail.store.database import Store
from tokentrail.store.sql import TraceFilter
from tokentrail.store.traces import traces
from tokentrail.store.writer import SpanWriter


def _round(watch: EvaluationWatch, store: Store, watermark_ns: int) -> None:
    stored.save_mark(
        store,
        {
            "project": "default",
            "evaluator": "bench",
            "watermark_ns": watermark_ns,
            "paused_day": "",
            "paused_reason": "",
        },
    )
    watch.check()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        store = Store(f"chdb://{data_dir}", "bench")
        load(store, Path(data_dir) / "wal", args.spans)
        evaluator = new_evaluator(
            "default",
            name="bench",
            provider="openai",
            model="gpt-4o-mini",
            prompt="{{output}}",
            score_name="s",
            sample_rate=Decimal(0),
            quiet_s=0,
        )
        stored.save_evaluator(store, evaluator.row())
        writer = SpanWriter(store, Path(data_dir) / "judge-wal")
        watch = EvaluationWatch(Judge(store, StoreExporter(writer), writer), check_interval_s=0)
        baseline = median_ms(lambda: traces(store, "default", TraceFilter(), limit=50), args.repeat)
        now = time.time_ns()
        idle = median_ms(lambda: _round(watch, store, now), args.repeat)
        catching_up = median_ms(lambda: _round(watch, store, 0), args.repeat)
        watch.stop()
        writer.close()
        store.close()
    print(
        json.dumps(
            {
                "spans": args.spans,
                "load_average": os.getloadavg()[0],
                "baseline_trace_list_ms": round(baseline, 1),
                "idle_round_ms": round(idle, 1),
                "idle_round_x_baseline": round(idle / baseline, 2),
                "catch_up_round_ms": round(catching_up, 1),
                "catch_up_round_x_baseline": round(catching_up / baseline, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
