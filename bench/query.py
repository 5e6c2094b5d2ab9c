"""Query latency with 1,000,000 spans loaded: trace list page, one 200-span trace tree, cost by model.

Loads synthetic canonical spans (10-span traces plus one 200-span trace) into a fresh embedded store
through the real writer, starts the real API on loopback and times each request end to end (HTTP, SQL,
JSON). The baseline, measured in the same run on the same data: one plain ClickHouse scan,
``SELECT count(), sum(cost_total) FROM spans``, so each figure also prints as a multiple of "just read
the table once".

    python bench/query.py --spans 1000000
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx
import uvicorn

from tokentrail.api import create_app
from tokentrail.config import Settings
from tokentrail.model import CostOrigin, Span, SpanKind, Status
from tokentrail.store.database import Store
from tokentrail.store.writer import SpanWriter

TARGETS_MS = {"trace list page": 200, "200-span trace tree": 100, "cost by model, all data": 300}
_MODELS = ("gpt-4o-mini", "gpt-4o", "claude-sonnet-4-5", "o3-mini", "gemini-2.5-flash")
_KINDS = (SpanKind.CHAIN, SpanKind.RETRIEVAL, SpanKind.EMBEDDING, SpanKind.LLM, SpanKind.TOOL)


def _span(rng: random.Random, trace_id: str, index: int, parent: str, start_ns: int, session: str) -> Span:
    kind = SpanKind.CHAIN if index == 0 else _KINDS[index % len(_KINDS)]
    span = Span(
        project="default",
        trace_id=trace_id,
        span_id=f"{index + 1:016x}",
        parent_span_id=parent,
        name=f"{kind.value}-{index}",
        service=f"svc-{rng.randrange(5)}",
        start_ns=start_ns + index * 1_000_000,
        end_ns=start_ns + index * 1_000_000 + rng.randint(1_000_000, 500_000_000),
        kind=kind,
        status=Status.ERROR if rng.random() < 0.02 else Status.OK,
        session_id=session if index == 0 else "",
        user_id=f"user-{rng.randrange(1000)}" if index == 0 else "",
        input="What is the refund policy for annual plans?" * 3,
        output="Annual plans are refundable within 30 days." * 3,
        attributes={"http.route": "/chat", "app.version": "2.3.1"},
    )
    if kind is SpanKind.LLM:
        span.request_model = rng.choice(_MODELS)
        span.usage = {"input": rng.randint(500, 5000), "output": rng.randint(50, 800)}
        span.cost = {
            "input": Decimal(span.usage["input"]) * Decimal("0.0000025"),
            "output": Decimal(span.usage["output"]) * Decimal("0.00001"),
        }
        span.cost_origin = CostOrigin.INFERRED
    elif kind is SpanKind.TOOL:
        span.cost = {"tool": Decimal("0.005")}
        span.cost_origin = CostOrigin.CUSTOM
    return span


def load(store: Store, wal_dir: Path, total_spans: int, seed: int = 11) -> str:
    """Write ``total_spans`` spans; returns the id of the one 200-span trace."""
    rng = random.Random(seed)
    writer = SpanWriter(store, wal_dir, batch_max_spans=100_000, max_pending_spans=2_000_000)
    start_ns = time.time_ns() - 7 * 86_400 * 10**9
    step = 7 * 86_400 * 10**9 // (total_spans // 10)
    big_trace = rng.randbytes(16).hex()
    batch = [_span(rng, big_trace, i, f"{1:016x}" if i else "", start_ns, "s-big") for i in range(200)]
    written = 200
    while written < total_spans:
        trace_id = rng.randbytes(16).hex()
        session = f"s-{rng.randrange(20_000)}"
        batch += [_span(rng, trace_id, i, f"{1:016x}" if i else "", start_ns, session) for i in range(10)]
        start_ns += step
        written += 10
        if len(batch) >= 50_000:
            writer.write(batch)
            batch = []
    writer.write(batch)
    writer.close()
    store.client().command("OPTIMIZE TABLE spans FINAL")  # a long-running server has merged its parts
    return big_trace


def _time_ms(action, repeat: int) -> float:
    action()  # warm caches, as a server that has been running would have
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _serve(store: Store, data_dir: Path) -> tuple[uvicorn.Server, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(data_dir=data_dir, port=port, ingest_processes=0)  # this bench only reads
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store=store), port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


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
        server, url = _serve(store, Path(data_dir))
        client = httpx.Client(base_url=url, timeout=60)

        def get(path: str, **params: object) -> None:
            response = client.get(path, params=params)
            if response.status_code != 200:
                sys.exit(f"{path}: {response.status_code} {response.text[:300]}")

        baseline = _time_ms(lambda: store.query("SELECT count(), sum(cost_total) FROM spans"), args.repeat)
        figures = {
            "trace list page": _time_ms(lambda: get("/api/v1/traces", limit=50), args.repeat),
            "200-span trace tree": _time_ms(lambda: get(f"/api/v1/traces/{big_trace}"), args.repeat),
            "cost by model, all data": _time_ms(lambda: get("/api/v1/costs", group_by="model"), args.repeat),
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
