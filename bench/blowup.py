"""What "where it blew up" adds to reading a trace, with a week of spans in the store: the latest trace's
``GET /api/v1/traces/{id}/blowup`` (its tree, the failure's cost, and one baseline query over the 7 days
before it for every name on its critical path) against ``GET /api/v1/traces/{id}`` (its tree alone), the
baseline measured in the same run on the same data. The latest trace's baseline window holds nearly every
span loaded (``stored_spans.py`` spreads them over the last week), so the baseline query reads them all.

    python bench/blowup.py --spans 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

import httpx

from stored_spans import load, median_ms, serve
from tokentrail.store.database import Store


def _get(client: httpx.Client, path: str) -> dict[str, object]:
    response = client.get(path)
    response.raise_for_status()
    result: dict[str, object] = response.json()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        store = Store(f"chdb://{data_dir}", "bench")
        load(store, Path(data_dir) / "wal", args.spans, merge=False)
        server, url = serve(store, Path(data_dir))
        with httpx.Client(base_url=url, timeout=120) as client:
            listed = _get(client, "/api/v1/traces?limit=1")["traces"]
            latest = listed[0]["trace_id"]  # type: ignore[index]
            report = _get(client, f"/api/v1/traces/{latest}/blowup")
            # Interleaved, so that the background merges after the load slow both alike.
            tree_ms, blowup_ms = [], []
            for _ in range(args.repeat):
                tree_ms.append(median_ms(partial(_get, client, f"/api/v1/traces/{latest}"), 1))
                blowup_ms.append(median_ms(partial(_get, client, f"/api/v1/traces/{latest}/blowup"), 1))
        server.should_exit = True
        tree, blowup = statistics.median(tree_ms), statistics.median(blowup_ms)
        samples = [timing["baseline"] for timing in report["slow"]["critical_path"]]  # type: ignore[index]
        print(
            json.dumps(
                {
                    "spans": args.spans,
                    "baseline_samples_per_name": [sample and sample["samples"] for sample in samples],
                    "trace_tree_ms": round(tree, 1),
                    "blowup_ms": round(blowup, 1),
                    "blowup_x_trace_tree": round(blowup / tree, 2),
                    "load_average": [round(value, 2) for value in os.getloadavg()],
                    "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
