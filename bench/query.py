"""Query latency with 1,000,000 spans loaded: trace list page, one 200-span trace tree, cost by model, what
filled the prompts (by source, over every LLM call); and the throughput of 4 concurrent clients against 1.

Loads synthetic canonical spans (10-span traces plus one 200-span trace, see ``stored_spans.py``) into a
fresh embedded store through the real writer, which settles each batch as the server does (marks, then
the per-trace summaries), and leaves the tables as the writer's inserts left them (no ``OPTIMIZE``: reads
must be fast before the background merges catch up; the active parts of ``spans`` and
``trace_summaries`` are printed). Starts the real API on loopback and times each request end to end
(HTTP, SQL, JSON), median of ``--repeat`` after a warm-up. Then 1, and 4, client threads each send
``--rounds`` rounds of the three requests; the figure is 4 clients' requests per second against 1
client's, with how many cores the process kept busy meanwhile (one client that keeps both cores busy
leaves nothing for more clients to use). The baseline, measured in the same run on the same data: one
plain ClickHouse scan, ``SELECT count(), sum(cost_total) FROM spans``, so each figure also prints as a
multiple of "just read the table once". With ``--optimize``, the same figures again after ``OPTIMIZE
TABLE spans FINAL``, for comparison.

    python bench/query.py --spans 1000000
    python bench/query.py --spans 1000000 --optimize
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import httpx

from stored_spans import load, median_ms, serve
from tokentrail.store.database import Store

#: Issue 13's targets at 1,000,000 spans on an unmerged table.
TARGETS_MS = {
    "trace list page": 150,
    "200-span trace tree": 50,
    "cost by model, all data": 200,
    # Issue 17: what filled the prompts, summed over every LLM call of the store.
    "prompt sources, all data": 200,
}
TARGET_CONCURRENCY = 1.8
CLIENTS = 4

Params = dict[str, str | int]


def _requests(big_trace: str) -> dict[str, tuple[str, Params]]:
    """Each timed request: its path and query parameters."""
    return {
        "trace list page": ("/api/v1/traces", {"limit": 50}),
        "200-span trace tree": (f"/api/v1/traces/{big_trace}", {}),
        "cost by model, all data": ("/api/v1/costs", {"group_by": "model"}),
        "prompt sources, all data": ("/api/v1/costs/prompt-sources", {}),
    }


def _get(client: httpx.Client, path: str, params: Params) -> None:
    response = client.get(path, params=params)
    if response.status_code != 200:
        sys.exit(f"{path}: {response.status_code} {response.text[:300]}")


def _active_parts(store: Store) -> dict[str, int]:
    """The active parts of each table the timed requests read."""
    rows = store.query(
        "SELECT table, count() FROM system.parts WHERE database = currentDatabase() "
        "AND table IN ('spans', 'trace_summaries') AND active GROUP BY table ORDER BY table"
    )
    return {table: int(count) for table, count in rows}


def requests_per_s(url: str, big_trace: str, clients: int, rounds: int) -> tuple[float, float]:
    """Requests/s of ``clients`` threads, each with its own connection, each sending ``rounds`` rounds of
    every timed request; and how many of the machine's cores this process kept busy meanwhile (CPU
    seconds per second: the embedded store's threads, the server's and the clients')."""
    requests = list(_requests(big_trace).values())

    def client_rounds(_: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            for _ in range(rounds):
                for path, params in requests:
                    _get(client, path, params)

    started, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client_rounds, range(clients)))
    elapsed = time.perf_counter() - started
    return clients * rounds * len(requests) / elapsed, (time.process_time() - cpu) / elapsed


def measure(store: Store, url: str, big_trace: str, repeat: int, rounds: int) -> dict[str, object]:
    """Every figure on the table as it is now: baseline, each request's median, concurrency, and the
    table's parts before and after (background merges go on meanwhile)."""
    parts = _active_parts(store)
    baseline = median_ms(lambda: store.query("SELECT count(), sum(cost_total) FROM spans"), repeat)
    with httpx.Client(base_url=url, timeout=120) as client:
        medians = {
            name: median_ms(partial(_get, client, path, params), repeat)
            for name, (path, params) in _requests(big_trace).items()
        }
    one, one_cores = requests_per_s(url, big_trace, 1, rounds)
    many, many_cores = requests_per_s(url, big_trace, CLIENTS, rounds)
    return {
        "active_parts_before_after": [parts, _active_parts(store)],
        "baseline_full_scan_ms": round(baseline, 1),
        "queries": {
            name: {
                "median_ms": round(ms, 1),
                "x_baseline": round(ms / baseline, 1),
                "target_ms": TARGETS_MS[name],
                "meets_target": ms < TARGETS_MS[name],
            }
            for name, ms in medians.items()
        },
        "concurrency": {
            "one_client_requests_per_s": round(one, 2),
            f"{CLIENTS}_clients_requests_per_s": round(many, 2),
            "ratio": round(many / one, 2),
            # One client keeping both cores busy leaves nothing for more clients to use.
            "cores_busy_one_client": round(one_cores, 2),
            f"cores_busy_{CLIENTS}_clients": round(many_cores, 2),
            "target_ratio": TARGET_CONCURRENCY,
            "meets_target": many / one >= TARGET_CONCURRENCY,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the requests per client")
    parser.add_argument("--optimize", action="store_true", help="measure again after OPTIMIZE ... FINAL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        store = Store(f"chdb://{data_dir}", "bench")
        started = time.perf_counter()
        big_trace = load(store, Path(data_dir) / "wal", args.spans, merge=False)
        report: dict[str, object] = {
            "spans": args.spans,
            "load_seconds": round(time.perf_counter() - started, 1),
        }
        server, url = serve(store, Path(data_dir))
        report["unmerged"] = measure(store, url, big_trace, args.repeat, args.rounds)
        if args.optimize:
            store.client().command("OPTIMIZE TABLE spans FINAL")
            report["optimized"] = measure(store, url, big_trace, args.repeat, args.rounds)
        server.should_exit = True
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
