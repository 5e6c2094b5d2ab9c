"""The cost change explainer over a million spans in two weeks: this week against the one before.

Loads synthetic spans (``stored_spans.py``: ten-span traces with LLM calls over five models, embeddings
and paid tools) over the last 14 days into a fresh embedded store, then times the explainer's answer for
the last 7 days against the 7 before, median of 5 after a warm-up: in process (the store reads and the
Shapley split) and through the API (``GET /api/v1/explain``, HTTP and JSON included). The baseline,
measured in the same run on the same data: one plain ClickHouse scan, ``SELECT count(), sum(cost_total)
FROM spans``. Target: under 1 s.

    python bench/explain.py --spans 1000000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx

from stored_spans import load, median_ms, serve
from tokentrail.analysis.explain import comparison, explain
from tokentrail.documents.encoding import iso
from tokentrail.store.database import Store

TARGET_MS = 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        store = Store(f"chdb://{data_dir}", "bench")
        load(store, Path(data_dir) / "wal", args.spans, days=14)
        now = time.time_ns()
        chosen = comparison(start_ns=None, end_ns=now)
        answer = explain(store, "default", chosen)
        parts = answer.change.parts
        if (
            sum(parts.values(), Decimal(0)) != answer.change.total
            or answer.old_traces + answer.new_traces == 0
        ):
            sys.exit(f"the explainer's parts do not add up: {answer.change}")
        server, url = serve(store, Path(data_dir))
        client = httpx.Client(base_url=url, timeout=120)

        window = {"end": iso(now)}  # the same window every run

        def over_http() -> None:
            response = client.get("/api/v1/explain", params=window)
            if response.status_code != 200:
                sys.exit(f"/api/v1/explain: {response.status_code} {response.text[:300]}")

        baseline = median_ms(lambda: store.query("SELECT count(), sum(cost_total) FROM spans"), args.repeat)
        in_process = median_ms(lambda: explain(store, "default", chosen), args.repeat)
        api = median_ms(over_http, args.repeat)
        server.should_exit = True
        client.close()
    report = {
        "spans": args.spans,
        "traces_compared": {"old": answer.old_traces, "new": answer.new_traces},
        "cells": len({key for factor in answer.change.drivers.values() for key in factor}),
        "baseline_full_scan_ms": round(baseline, 1),
        "explain_in_process": {
            "median_ms": round(in_process, 1),
            "x_baseline": round(in_process / baseline, 1),
            "meets_target": in_process < TARGET_MS,
        },
        "explain_api": {
            "median_ms": round(api, 1),
            "x_baseline": round(api / baseline, 1),
            "meets_target": api < TARGET_MS,
        },
        "target_ms": TARGET_MS,
        "change": str(answer.change.total),
        "parts": {factor: str(amount) for factor, amount in parts.items() if amount},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
