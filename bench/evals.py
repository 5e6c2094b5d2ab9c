"""Scores at scale: how fast they are written through the API, and the trace list filtered and sorted by a
score with 1,000,000 spans and 100,000 scores stored.

Loads synthetic spans (``stored_spans.py``: ten-span traces over the last week, settled and summarized as
the server does, the tables left as the inserts left them) into a fresh embedded store and starts the real
app on loopback. Then, from one client:

- writes: ``--scores`` scores (numeric ``helpful`` on three in five, boolean ``correct`` on the others,
  spread over the stored traces) through ``POST /api/v1/scores`` in batches of 100, each answered once
  stored; the baseline, measured in the same run against the same server: spans written through OTLP/HTTP
  in requests of 100 spans, from the first request to every span queryable. The figure: scores/s as a
  ratio to spans/s.
- reads: the first page of ``GET /api/v1/traces`` filtered by ``score=helpful>=0.8``, and sorted by
  ``sort=score:helpful``, median of ``--repeat`` rounds (each round times every list once, so load from
  elsewhere falls on all alike) after a warm-up; the baseline: the unfiltered first page, in the same
  rounds. Target: under 300 ms.

    python bench/evals.py --spans 1000000 --scores 100000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from ingest import make_payloads
from stored_spans import load, serve
from tokentrail.store.database import Store

LIST_TARGET_MS = 300
BATCH = 100
BASELINE_SPANS = 20_000


def _scores(trace_ids: list[str], count: int, seed: int = 5) -> list[list[dict[str, object]]]:
    """``count`` scores over the traces, in batches of :data:`BATCH`."""
    rng = random.Random(seed)
    scores: list[dict[str, object]] = []
    for index in range(count):
        trace_id = trace_ids[index % len(trace_ids)]
        if index % 5 < 3:
            scores.append({"name": "helpful", "trace_id": trace_id, "value": round(rng.random(), 3)})
        else:
            scores.append(
                {"name": "correct", "trace_id": trace_id, "data_type": "boolean", "value": rng.random() < 0.7}
            )
    return [scores[start : start + BATCH] for start in range(0, len(scores), BATCH)]


def _post(client: httpx.Client, path: str, **kwargs: object) -> None:
    response = client.post(path, **kwargs)  # type: ignore[arg-type]
    if response.status_code >= 300:
        sys.exit(f"{path}: {response.status_code} {response.text[:300]}")


def scores_per_s(client: httpx.Client, batches: list[list[dict[str, object]]]) -> float:
    started = time.perf_counter()
    for batch in batches:
        _post(client, "/api/v1/scores", json=batch)
    return sum(len(batch) for batch in batches) / (time.perf_counter() - started)


def spans_per_s(client: httpx.Client, writer: object) -> float:
    """Spans/s through OTLP/HTTP, requests of :data:`BATCH` spans, until all are queryable."""
    payloads = make_payloads(BASELINE_SPANS, BATCH, service="bench-evals")
    headers = {"content-type": "application/x-protobuf"}
    started = time.perf_counter()
    for request in payloads:
        _post(client, "/v1/traces", content=request.body, headers=headers)
    if not writer.flush(120):  # type: ignore[attr-defined]
        sys.exit("the spans did not become queryable within 120 s")
    return sum(request.spans for request in payloads) / (time.perf_counter() - started)


def _get(client: httpx.Client, params: dict[str, object]) -> None:
    response = client.get("/api/v1/traces", params=params)  # type: ignore[arg-type]
    if response.status_code != 200 or not response.json()["traces"]:
        sys.exit(f"/api/v1/traces {params}: {response.status_code} {response.text[:300]}")


def interleaved_medians_ms(
    client: httpx.Client, lists: dict[str, dict[str, object]], repeat: int
) -> dict[str, float]:
    """Each list's median over ``repeat`` rounds that time every list once, after a warm-up round: a
    noisy neighbour slows the baseline and the others alike, so their ratios stay honest."""
    samples: dict[str, list[float]] = {name: [] for name in lists}
    for round_ in range(repeat + 1):
        for name, params in lists.items():
            started = time.perf_counter()
            _get(client, params)
            if round_:
                samples[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(times) for name, times in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--scores", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        store = Store(f"chdb://{data_dir}", "bench")
        started = time.perf_counter()
        load(store, Path(data_dir) / "wal", args.spans, merge=False)
        report: dict[str, object] = {
            "spans": args.spans,
            "scores": args.scores,
            "load_seconds": round(time.perf_counter() - started, 1),
            "load_average": os.getloadavg()[0],
        }
        trace_ids = [
            row[0] for row in store.query("SELECT trace_id FROM trace_summaries FINAL ORDER BY trace_id")
        ]
        server, url = serve(store, Path(data_dir))
        with httpx.Client(base_url=url, timeout=120) as client:
            spans_rate = spans_per_s(client, server.config.app.state.writer)
            scores_rate = scores_per_s(client, _scores(trace_ids, args.scores))
            report["writes"] = {
                "otlp_spans_per_s_baseline": round(spans_rate),
                "scores_per_s": round(scores_rate),
                "ratio": round(scores_rate / spans_rate, 2),
            }
            lists = {
                "unfiltered (baseline)": {"limit": 50},
                "score=helpful>=0.8": {"limit": 50, "score": "helpful>=0.8"},
                "sort=score:helpful": {"limit": 50, "sort": "score:helpful"},
                "both": {"limit": 50, "score": "correct=true", "sort": "score:helpful"},
            }
            medians = interleaved_medians_ms(client, lists, args.repeat)
        baseline = medians["unfiltered (baseline)"]
        report["trace_list"] = {
            name: {
                "median_ms": round(ms, 1),
                "x_baseline": round(ms / baseline, 2),
                "target_ms": LIST_TARGET_MS,
                "meets_target": ms < LIST_TARGET_MS,
            }
            for name, ms in medians.items()
        }
        server.should_exit = True
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
