"""Query latency with 1,000,000 spans loaded: trace list page, one 200-span trace tree, cost by model.

Loads synthetic canonical spans (10-span traces plus one 200-span trace, see ``stored_spans.py``) into a
fresh embedded store through the real writer, starts the real API on loopback and times each request end
to end (HTTP, SQL, JSON). The baseline, measured in the same run on the same data: one plain ClickHouse scan,
``SELECT count(), sum(cost_total) FROM spans``, so each figure also prints as a multiple of "just read
the table once".

    python bench/query.py --spans 1000000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

from stored_spans import load, median_ms, serve
from tokentrail.store.database import Store

TARGETS_MS = {"trace list page": 200, "200-span trace tree": 100, "cost by model, all data": 300}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        store = Store(f"chdb://{data_dir}", "bench")
        started = time.perf_counter()
        big_trace = load(store, Path(data_dir) / "wal", args.spans)
        load_s = time.perf_counter() - started
        server, url = serve(store, Path(data_dir))
        client = httpx.Client(base_url=url, timeout=60)

        def get(path: str, **params: object) -> None:
            response = client.get(path, params=params)
            if response.status_code != 200:
                sys.exit(f"{path}: {response.status_code} {response.text[:300]}")

        baseline = median_ms(lambda: store.query("SELECT count(), sum(cost_total) FROM spans"), args.repeat)
        figures = {
            "trace list page": median_ms(lambda: get("/api/v1/traces", limit=50), args.repeat),
            "200-span trace tree": median_ms(lambda: get(f"/api/v1/traces/{big_trace}"), args.repeat),
            "cost by model, all data": median_ms(lambda: get("/api/v1/costs", group_by="model"), args.repeat),
        }
        server.should_exit = True
        client.close()
    report = {
        "spans": args.spans,
        "load_seconds": round(load_s, 1),
        "baseline_full_scan_ms": round(baseline, 1),
        "queries": {
            name: {
                "median_ms": round(ms, 1),
                "x_baseline": round(ms / baseline, 1),
                "target_ms": TARGETS_MS[name],
                "meets_target": ms < TARGETS_MS[name],
            }
            for name, ms in figures.items()
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
