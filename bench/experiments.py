"""What comparing two experiments costs, against reading the per-trace facts of their runs' traces.

Loads synthetic priced traces (``stored_spans.py``) into a fresh embedded store, makes a dataset of
``--items`` items and two experiments whose runs are those traces (one trace per run, one score each),
then times, as medians:

- the baseline: ``trace_rows`` of the runs' traces (the cost, tokens and duration a comparison shows);
- the comparison: ``compare`` (items, runs, the traces' rows, the scores, totals) shaped as
  ``GET /api/v1/experiments/compare`` answers it.

    python bench/experiments.py --spans 200000 --items 1000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stored_spans import load, median_ms
from tokentrail.analysis.experiments import compare
from tokentrail.documents.experiments import comparison_json
from tokentrail.store.database import Store
from tokentrail.store.datasets import Dataset, DatasetItem, save_dataset, save_items
from tokentrail.store.experiments import Experiment, ExperimentRun, save_experiment, save_runs
from tokentrail.store.scores import Score, save_scores
from tokentrail.store.traces import trace_rows

PROJECT = "default"


def _experiments(store: Store, items: int) -> tuple[list[Experiment], list[str]]:
    """A dataset of ``items`` items and two experiments over it, their runs on stored traces."""
    trace_ids = [
        row[0]
        for row in store.query(
            "SELECT trace_id FROM trace_summaries GROUP BY trace_id ORDER BY trace_id LIMIT {n:UInt32}",
            {"n": 2 * items},
        )
    ]
    dataset = Dataset(PROJECT, "bench")
    save_dataset(store, dataset)
    rows = [DatasetItem(PROJECT, dataset.id, json.dumps({"n": n}), json.dumps(n)) for n in range(items)]
    save_items(store, rows)
    experiments = [Experiment(PROJECT, name, dataset.id) for name in ("a", "b")]
    now = time.time_ns()
    for position, experiment in enumerate(experiments):
        save_experiment(store, experiment)
        traces = trace_ids[position * items : (position + 1) * items]
        save_runs(
            store,
            [
                ExperimentRun(PROJECT, experiment.id, item.id, trace_id, '"answer"', "", now, now + 10**8)
                for item, trace_id in zip(rows, traces, strict=True)
            ],
        )
        save_scores(
            store,
            [Score(PROJECT, "exact", trace_id, value=float(n % 2), experiment_id=experiment.id)
             for n, trace_id in enumerate(traces)],
        )  # fmt: skip
    return experiments, trace_ids


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        store = Store(f"chdb://{directory}/store", "bench")
        load(store, Path(directory) / "wal", args.spans)
        experiments, trace_ids = _experiments(store, args.items)
        if len(trace_ids) < 2 * args.items:
            raise SystemExit(f"--spans {args.spans} holds fewer than {2 * args.items} traces")
        baseline = median_ms(lambda: trace_rows(store, PROJECT, trace_ids), args.repeat)
        compared = median_ms(lambda: comparison_json(compare(store, PROJECT, experiments)), args.repeat)
        document = comparison_json(compare(store, PROJECT, experiments))
        assert [t["runs"] for t in document["totals"]] == [args.items, args.items]
        print(
            json.dumps(
                {
                    "spans": args.spans,
                    "items": args.items,
                    "trace_rows_ms": round(baseline, 1),
                    "compare_ms": round(compared, 1),
                    "ratio": round(compared / baseline, 2),
                }
            )
        )
        store.close()


if __name__ == "__main__":
    main()
