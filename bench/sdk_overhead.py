"""What the SDK adds to an application: to a traced function call, and to a request through a small
FastAPI gateway, against no tracing and against a bare OpenTelemetry span (``start_as_current_span``
through the same kind of batch exporter to the same server), all in one run; then the gateway's latency
with the tokentrail server stopped, against the same gateway with it up.

The SDK side captures the arguments and result and stamps a session and user on every span, as an app
using it would; for the function call, the SDK's span with nothing captured (the same work as the bare
span) and with capture but no session are timed too, so each feature's price shows. Times are the median
of ``--rounds`` rounds, the variants interleaved per round.

    python bench/sdk_overhead.py --calls 20000 --requests 1000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tokentrail
from live_server import Served, free_port
from tokentrail.sdk.instrumentations import INSTRUMENTATIONS


def _per_call(run: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        run()
    return (time.perf_counter() - start) / count


def _median_rounds(variants: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in variants}
    for measure in variants.values():  # a warm-up round, not counted
        measure()
    for _ in range(rounds):
        for name, measure in variants.items():
            times[name].append(measure())
    return {name: statistics.median(values) for name, values in times.items()}


def _gateway(provider: TracerProvider | None, handler: Callable[[str], object]) -> str:
    """A one-route FastAPI app on a loopback port (instrumented through ``provider`` unless None)."""
    app = FastAPI()

    @app.get("/ask")
    def ask(q: str) -> object:
        return handler(q)

    if provider is not None:
        FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}/ask"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000, help="traced calls per variant and round")
    parser.add_argument("--requests", type=int, default=1000, help="gateway requests per variant and round")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        served = Served(Path(data_dir))
        bare_provider = TracerProvider()
        bare_provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=served.url + "/v1/traces"))
        )
        bare_tracer = bare_provider.get_tracer("bench")
        sdk_provider = tokentrail.init(
            served.url, tracer_provider=TracerProvider(), instrument=dict.fromkeys(INSTRUMENTATIONS, False)
        )

        def plain(q: str) -> dict[str, str]:
            return {"answer": q.upper()}

        def bare(q: str) -> dict[str, str]:
            with bare_tracer.start_as_current_span("plain"):
                return plain(q)

        traced = tokentrail.trace(plain)
        span_only = tokentrail.trace(capture_input=False, capture_output=False)(plain)

        def sdk(q: str) -> dict[str, str]:
            with tokentrail.session("s-1"), tokentrail.user("u-1"):
                return traced(q)

        calls = _median_rounds(
            {
                "none": lambda: _per_call(lambda: plain("hello"), options.calls),
                "bare": lambda: _per_call(lambda: bare("hello"), options.calls),
                "sdk span": lambda: _per_call(lambda: span_only("hello"), options.calls),
                "sdk + capture": lambda: _per_call(lambda: traced("hello"), options.calls),
                "sdk": lambda: _per_call(lambda: sdk("hello"), options.calls),
            },
            options.rounds,
        )
        urls = {
            "none": _gateway(None, plain),
            "bare": _gateway(bare_provider, bare),
            "sdk": _gateway(sdk_provider, sdk),
        }
        client = httpx.Client()

        def requests(url: str) -> Callable[[], float]:
            return lambda: _per_call(
                lambda: client.get(url, params={"q": "hello"}).raise_for_status(), options.requests
            )

        gateway = _median_rounds({name: requests(url) for name, url in urls.items()}, options.rounds)
        up = _median_rounds({"up": requests(urls["sdk"])}, options.rounds)["up"]
        bare_provider.shutdown()  # only the SDK's exporter is left to find the server gone
        served.stop()
        down = _median_rounds({"down": requests(urls["sdk"])}, options.rounds)["down"]
        dropped = tokentrail.dropped_spans()
        tokentrail.shutdown(timeout=1)

    print(f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    for title, times in (("traced function call", calls), ("gateway request", gateway)):
        added_bare, added_sdk = times["bare"] - times["none"], times["sdk"] - times["none"]
        print(
            f"{title}: none {times['none'] * 1e6:.1f} µs, bare OTel span {times['bare'] * 1e6:.1f} µs "
            f"(+{added_bare * 1e6:.1f}), SDK {times['sdk'] * 1e6:.1f} µs (+{added_sdk * 1e6:.1f}); "
            f"SDK added / bare span added = {added_sdk / added_bare:.2f}x (target <= 1.5x)"
        )
    for variant, what in (("sdk span", "nothing captured"), ("sdk + capture", "input and output captured")):
        added = calls[variant] - calls["none"]
        print(
            f"traced function call, SDK span with {what} and no session: +{added * 1e6:.1f} µs, "
            f"{added / (calls['bare'] - calls['none']):.2f}x the bare span's"
        )
    print(
        f"gateway request with the server up {up * 1e6:.0f} µs, down {down * 1e6:.0f} µs: "
        f"down / up = {down / up:.2f}x (target: no measurable difference); {dropped} spans dropped, counted"
    )


if __name__ == "__main__":
    main()
