"""Forwarding: the ingest rate with two destinations on, and how fast spans reach them, against the ingest
rate with forwarding off, measured in the same run.

Three fresh ``tokentrail serve`` processes take the same load (``bench/ingest.py``'s spans, from client
threads, Retry-After waited out): without forwarding (the baseline), then with two destinations; for each,
the clock runs until every span is queryable. With forwarding the clock also runs until both destinations
took every span (``GET /api/v1/forwarding``): the delivery rate. The destinations are sinks in a process of
their own that read each POST and answer 200 (what a backend does with the spans is not tokentrail's cost).
On a shared machine the two server runs are noisy, so the CPU the chain's processors spend per span is also
measured in this process, with and without the forward-encode stage: its share is what forwarding costs
ingest.

    python bench/forward.py --spans 200000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from ingest import Request, make_payloads
from live_server import SENDERS, Served, free_port
from tokentrail.config import Settings
from tokentrail.ingest.chain import Batch
from tokentrail.ingest.otlp import PROTOBUF
from tokentrail.ingest.stages import processors


class _Sink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve_sink(port: int) -> None:
    ThreadingHTTPServer(("127.0.0.1", port), _Sink).serve_forever()


def _delivered(server: Served) -> int:
    """Spans every destination took (the slowest one's count)."""
    status = httpx.get(server.url + "/api/v1/forwarding", timeout=30).json()["destinations"]
    return min(one["sent_spans"] for one in status)


def chain_seconds(payloads: list[Request], settings: Settings) -> float:
    """CPU seconds the chain's processors take over ``payloads`` in this process."""
    started = time.process_time()
    for request in payloads:
        batch = Batch(body=request.body, media_type=PROTOBUF)
        for processor in processors(settings, None):
            processor.process(batch)
    return time.process_time() - started


def load(spans: int, per_request: int, clients: int, forward: str = "") -> dict[str, float]:
    """One load through a fresh server (forwarding to ``forward``, if any): spans/s until all are
    queryable and, with forwarding, until every destination took them."""
    with tempfile.TemporaryDirectory() as data_dir:
        server = Served(Path(data_dir), TOKENTRAIL_FORWARD=forward) if forward else Served(Path(data_dir))
        try:
            payloads = make_payloads(spans, per_request)
            with SENDERS["http"](server, clients) as send, ThreadPoolExecutor(clients) as pool:
                started = time.perf_counter()
                list(pool.map(lambda request: send(request.body), payloads))
            while server.queryable() < spans:
                time.sleep(0.02)
            result = {"ingest_spans_per_s": spans / (time.perf_counter() - started)}
            if forward:
                while _delivered(server) < spans:
                    time.sleep(0.02)
                result["delivered_spans_per_s"] = spans / (time.perf_counter() - started)
            return result
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--spans-per-request", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    sinks = [free_port(), free_port()]
    processes = [multiprocessing.Process(target=_serve_sink, args=(port,), daemon=True) for port in sinks]
    for process in processes:
        process.start()
    try:
        forward = ";".join(f"sink{n}=http://127.0.0.1:{port}/v1/traces" for n, port in enumerate(sinks))
        off = load(args.spans, args.spans_per_request, args.clients)
        on = load(args.spans, args.spans_per_request, args.clients, forward)
    finally:
        for process in processes:
            process.terminate()
    sample = make_payloads(20_000, args.spans_per_request)
    chain_off = chain_seconds(sample, Settings())
    chain_on = chain_seconds(sample, Settings(forward=("sink=http://127.0.0.1/v1/traces",)))
    baseline = off["ingest_spans_per_s"]
    print(
        json.dumps(
            {
                "spans": args.spans,
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg()[0],
                "ingest_spans_per_s_forwarding_off": round(baseline),
                "ingest_spans_per_s_two_destinations": round(on["ingest_spans_per_s"]),
                "delivered_spans_per_s_each_destination": round(on["delivered_spans_per_s"]),
                "ratio_ingest_two_destinations_vs_off": round(on["ingest_spans_per_s"] / baseline, 3),
                "ratio_delivered_vs_ingest_off": round(on["delivered_spans_per_s"] / baseline, 3),
                "chain_us_per_span_forwarding_off": round(chain_off / 20_000 * 1e6, 1),
                "chain_us_per_span_forwarding_on": round(chain_on / 20_000 * 1e6, 1),
                "ratio_chain_cpu_on_vs_off": round(chain_on / chain_off, 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
