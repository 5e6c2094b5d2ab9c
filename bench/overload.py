"""Overload: a server offered three times the rate it sustains, over OTLP/HTTP and over OTLP/gRPC.

Starts ``tokentrail serve`` as its own process (default settings) on a fresh data directory, then:

1. The sustainable rate (the baseline, measured in the same run): ``--sustain-spans`` spans over HTTP from
   4 clients that wait out the server's back-pressure, clocked until all of them are queryable.
2. For each protocol, an open-loop load: requests of 1,000 fresh spans sent on a fixed schedule at
   ``--factor`` times that rate for ``--seconds``, whatever the answers, each sent once (a refused one is
   counted, not retried). It reports the spans/s offered, accepted (answered 200 / OK, so durable) and
   refused (503 + Retry-After / UNAVAILABLE with a ``RetryInfo``), anything else as failed.
3. After each load the server settles (nothing queued or waiting to be written); the spans of that load's
   service in the store are counted against the acknowledged ones: nothing acknowledged may be lost,
   nothing refused stored. The accepted spans over the time until they were all written is the rate
   comparable to the sustainable one.

The resident memory of the server and its ingest processes together is sampled throughout; its peak
under overload is reported beside the peak at the sustainable rate, to show it stays bounded.

    python bench/overload.py               # 60 s a protocol
    python bench/overload.py --seconds 20  # shorter
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ingest import make_payloads
from live_server import SENDERS, Served, retry_delay
from tokentrail.api.otlp_grpc import EXPORT_METHOD
from tokentrail.ingest.otlp import PROTOBUF

SPANS_PER_REQUEST = 1000
#: Requests in flight at most, so a server that stops answering cannot make the bench hold everything.
MAX_IN_FLIGHT = 2000


class FreshBodies:
    """Request bodies of new traces, made fast enough to offer any rate: one template request, its trace
    ids overwritten with random ones in place (the spans keep their ids, unique within each trace)."""

    def __init__(self, service: str) -> None:
        (template,) = make_payloads(SPANS_PER_REQUEST, SPANS_PER_REQUEST, service=service)
        self.template = template.body
        self.spans = template.spans
        request = ExportTraceServiceRequest.FromString(self.template)
        trace_ids = list(dict.fromkeys(s.trace_id for s in request.resource_spans[0].scope_spans[0].spans))
        self.slots = [
            (offset, index)
            for index, trace_id in enumerate(trace_ids)
            for offset in _all(self.template, trace_id)
        ]
        self.traces = len(trace_ids)

    def next(self) -> bytes:
        ids = [os.urandom(16) for _ in range(self.traces)]
        body = bytearray(self.template)
        for offset, index in self.slots:
            body[offset : offset + 16] = ids[index]
        return bytes(body)


def _all(haystack: bytes, needle: bytes) -> Iterator[int]:
    at = haystack.find(needle)
    while at >= 0:
        yield at
        at = haystack.find(needle, at + len(needle))


class PeakRss:
    """Samples the server's resident memory (ingest processes included) on a thread; ``mb`` is the peak."""

    def __init__(self, server: Served, every_s: float = 0.25) -> None:
        self.server = server
        self.every_s = every_s
        self.mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.mb = max(self.mb, self.server.rss_mb())
            self._stop.wait(self.every_s)


def sustainable_rate(server: Served, spans: int, clients: int = 4) -> float:
    """Spans/s the server takes and makes queryable from clients that wait out its back-pressure."""
    payloads = make_payloads(spans, SPANS_PER_REQUEST, seed=1, service="sustain")
    with SENDERS["http"](server, clients) as send, ThreadPoolExecutor(clients) as pool:
        started = time.perf_counter()
        list(pool.map(lambda request: send(request.body), payloads))
    while server.queryable("sustain") < spans:
        time.sleep(0.02)
    return spans / (time.perf_counter() - started)


#: One export, sent once: "accepted", "refused" (back-pressure, with when to retry) or why it failed.
Export = Callable[[bytes], Awaitable[str]]


@asynccontextmanager
async def http_export(server: Served) -> AsyncIterator[Export]:
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=MAX_IN_FLIGHT)) as client:

        async def export(body: bytes) -> str:
            try:
                response = await client.post(server.url + "/v1/traces", content=body, headers=_PROTOBUF_BODY)
            except httpx.HTTPError as error:
                return type(error).__name__
            if response.status_code == 200:
                return "accepted"
            refused = response.status_code == 503 and "retry-after" in response.headers
            return "refused" if refused else f"HTTP {response.status_code}"

        yield export


@asynccontextmanager
async def grpc_export(server: Served) -> AsyncIterator[Export]:
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        call = channel.unary_unary(EXPORT_METHOD)  # bytes in, bytes out

        async def export(body: bytes) -> str:
            try:
                await call(body, timeout=120)
            except grpc.RpcError as error:
                return "refused" if retry_delay(error) is not None else f"gRPC {error.code().name}"
            return "accepted"

        yield export


EXPORTS = {"http": http_export, "grpc": grpc_export}
_PROTOBUF_BODY = {"content-type": PROTOBUF}


@dataclass
class Tally:
    """What one overload phase offered and how the server answered."""

    spans_per_request: int
    requests: dict[str, int] = field(default_factory=lambda: {"accepted": 0, "refused": 0, "failed": 0})
    failures: Counter[str] = field(default_factory=Counter)  # why, for the requests that failed
    accepted_latency_s: list[float] = field(default_factory=list)
    offered_s: float = 0.0  # from the first send to the last
    answered_s: float = 0.0  # from the first send to the last answer

    def spans(self, outcome: str) -> int:
        return self.requests[outcome] * self.spans_per_request


async def offer(export: Export, bodies: FreshBodies, rate: float, seconds: float) -> Tally:
    """Send a request every ``spans_per_request / rate`` seconds for ``seconds``, whatever the answers."""
    tally = Tally(bodies.spans)
    interval = bodies.spans / rate
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def one(body: bytes) -> None:
        sent = loop.time()
        try:
            outcome = await export(body)
        finally:
            in_flight.release()
        if outcome not in tally.requests:
            tally.failures[outcome] += 1
            outcome = "failed"
        tally.requests[outcome] += 1
        if outcome == "accepted":
            tally.accepted_latency_s.append(loop.time() - sent)

    tasks = []
    for index in range(int(seconds / interval)):
        await asyncio.sleep(max(0.0, started + index * interval - loop.time()))
        await in_flight.acquire()
        tasks.append(asyncio.create_task(one(bodies.next())))
    tally.offered_s = loop.time() - started
    await asyncio.gather(*tasks)
    tally.answered_s = loop.time() - started
    return tally


def overload_report(server: Served, protocol: str, rate: float, seconds: float) -> dict[str, object]:
    """One protocol's phase: offered ``rate`` spans/s for ``seconds``, then settled and counted."""
    service = f"overload-{protocol}"
    bodies = FreshBodies(service)

    async def run() -> Tally:
        async with EXPORTS[protocol](server) as export:
            return await offer(export, bodies, rate, seconds)

    with PeakRss(server) as peak:
        started = time.perf_counter()
        tally = asyncio.run(run())
        server.settle()
        settled_s = time.perf_counter() - started
    acknowledged = tally.spans("accepted")
    stored = server.queryable(service)
    latencies = sorted(tally.accepted_latency_s) or [0.0]
    return {
        "protocol": protocol,
        "offered_spans_per_s": round(sum(tally.requests.values()) * bodies.spans / tally.offered_s),
        "accepted_spans_per_s": round(acknowledged / tally.answered_s),
        "refused_spans_per_s": round(tally.spans("refused") / tally.answered_s),
        # The accepted spans over the time until the last of them was written: comparable to the
        # sustainable rate (the accepted rate alone counts spans still waiting in the write-ahead log).
        "accepted_until_written_spans_per_s": round(acknowledged / settled_s),
        "requests": tally.requests,
        "failures": dict(tally.failures),
        "accepted_latency_s_p50_p99": [
            round(statistics.median(latencies), 2),
            round(latencies[int(len(latencies) * 0.99)], 2),
        ],
        "acknowledged_spans": acknowledged,
        "stored_spans": stored,
        "acknowledged_lost": max(0, acknowledged - stored),
        "peak_rss_mb": round(peak.mb),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60, help="length of each overload phase")
    parser.add_argument("--factor", type=float, default=3, help="offered load, times the sustainable rate")
    parser.add_argument("--sustain-spans", type=int, default=100_000, help="spans to measure the rate with")
    parser.add_argument("--protocols", default="http,grpc", help="comma-separated: http, grpc")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as data_dir:
        server = Served(Path(data_dir))
        try:
            with PeakRss(server) as sustain_peak:
                rate = sustainable_rate(server, args.sustain_spans)
            phases = [
                overload_report(server, protocol, rate * args.factor, args.seconds)
                for protocol in args.protocols.split(",")
            ]
        finally:
            server.stop()
    result = {
        "cpus": os.cpu_count(),
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "sustainable_spans_per_s": round(rate),
        "sustain_peak_rss_mb": round(sustain_peak.mb),
        "factor": args.factor,
        "seconds": args.seconds,
        "phases": phases,
        "nothing_acknowledged_lost": all(phase["acknowledged_lost"] == 0 for phase in phases),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
