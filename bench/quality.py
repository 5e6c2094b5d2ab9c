"""Quality per dollar at a million spans and a hundred thousand scores.

Loads synthetic spans (``stored_spans.py``: ten-span traces with LLM calls over five models, embeddings
and paid tools) over the last 7 days into a fresh embedded store, gives 100,000 numeric scores named
``helpful`` to traces drawn at random (some traces get several, a fifth in one of four experiments), then
times the quality view over the whole window, median of 5 after a warm-up, in process
(:func:`tokentrail.store.quality.read_quality`) for each grouping, and through the API
(``GET /api/v1/quality?by=model``, HTTP and JSON included). Baselines measured in the same run on the same
data: one plain ClickHouse scan, ``SELECT count(), sum(cost_total) FROM spans``, and the costs page's
cost-by-model read (``cost_groups(..., "model")``).

    python bench/quality.py --spans 1000000 --scores 100000
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

import httpx

from stored_spans import load, median_ms, serve
from tokentrail.analysis.costs import cost_groups
from tokentrail.analysis.quality import GROUPINGS
from tokentrail.store.database import Store
from tokentrail.store.quality import read_quality
from tokentrail.store.scores import Score, save_scores
from tokentrail.store.sql import CostFilter, TraceFilter

_BATCH = 20_000


def _score(store: Store, count: int, seed: int = 5) -> int:
    """Give ``count`` scores to traces drawn at random; returns how many traces were scored."""
    rng = random.Random(seed)
    traces = [row[0] for row in store.query("SELECT DISTINCT trace_id FROM trace_summaries")]
    scored = set()
    batch = []
    for _ in range(count):
        trace_id = rng.choice(traces)
        scored.add(trace_id)
        experiment = f"exp-{rng.randrange(4)}" if rng.random() < 0.2 else ""
        batch.append(
            Score("default", "helpful", trace_id=trace_id, value=rng.random(), experiment_id=experiment)
        )
        if len(batch) >= _BATCH:
            save_scores(store, batch)
            batch = []
    save_scores(store, batch)
    return len(scored)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--scores", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        store = Store(f"chdb://{data_dir}", "bench")
        load(store, Path(data_dir) / "wal", args.spans)
        scored = _score(store, args.scores)
        everything = TraceFilter()
        views = {by: read_quality(store, "default", "helpful", by, everything)[0] for by in GROUPINGS}
        counted = sum(group.traces for group in views["model"].groups)
        if counted != scored:
            sys.exit(f"the quality view counted {counted} scored traces, not {scored}")
        server, url = serve(store, Path(data_dir))
        client = httpx.Client(base_url=url, timeout=120)

        def over_http() -> None:
            response = client.get("/api/v1/quality", params={"score": "helpful", "by": "model"})
            if response.status_code != 200:
                sys.exit(f"/api/v1/quality: {response.status_code} {response.text[:300]}")

        scan = median_ms(lambda: store.query("SELECT count(), sum(cost_total) FROM spans"), args.repeat)
        by_model = median_ms(lambda: cost_groups(store, "default", "model", CostFilter()), args.repeat)
        timings = {
            by: median_ms(
                lambda by=by: read_quality(store, "default", "helpful", by, everything), args.repeat
            )
            for by in GROUPINGS
        }
        api = median_ms(over_http, args.repeat)
        server.should_exit = True
        client.close()

    def figure(ms: float) -> dict[str, float]:
        return {
            "median_ms": round(ms, 1),
            "x_scan": round(ms / scan, 2),
            "x_cost_by_model": round(ms / by_model, 2),
        }

    report = {
        "spans": args.spans,
        "scores": args.scores,
        "scored_traces": scored,
        "baseline_full_scan_ms": round(scan, 1),
        "baseline_cost_by_model_ms": round(by_model, 1),
        "quality_in_process": {by: figure(ms) for by, ms in timings.items()},
        "quality_api_by_model": figure(api),
        "groups_by_model": [
            {
                "model": g.key,
                "traces": g.traces,
                "mean": round(g.mean, 4),
                "cost_per_trace": str(g.cost_per_trace),
            }
            for g in views["model"].groups
        ],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
