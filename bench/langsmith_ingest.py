"""LangSmith runs API throughput: runs persisted per second through ``POST /runs/multipart``, beside OTLP
spans per second through ``POST /v1/traces`` for the same trees, measured in the same run on two fresh
``tokentrail serve`` processes.

The trees: N traces of 5 runs (a chain over a retriever, a tool and two llm runs with usage metadata and a
model). The multipart bodies are built by the SDK's own encoder (``langsmith._internal._operations``), 100
runs a request (the SDK's batch size), each run posted once with its end (the SDK merges a run's post and
patch when they fall in one batch), zstd-compressed as the SDK sends them. The OTLP requests carry the same
spans with the attributes the SDK's OTel exporter writes (``tokentrail.ingest.langsmith_runs.to_raw_span``),
100 a request, as protobuf. Each rate runs from the first request to the moment every span is durable
and the server has nothing queued; the ratio is runs/s over spans/s.

    python bench/langsmith_ingest.py --traces 2000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import zstandard
from langsmith._internal._operations import (
    encode_multipart_parts_and_context,
    serialize_run_dict,
    serialized_run_operation_to_multipart_parts_and_context,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from live_server import Served
from tokentrail.export.otlp_encode import key_values
from tokentrail.ingest.langsmith_runs import to_raw_span
from tokentrail.ingest.otlp import PROTOBUF

RUNS_PER_TRACE = 5
RUNS_PER_REQUEST = 100  # the SDK's default batch size
CLIENTS = 4
BOUNDARY = "bench-boundary-0f3c"
USAGE = {"input_tokens": 1200, "output_tokens": 80, "input_token_details": {"cache_read": 1000}}


def trees(count: int) -> Iterator[dict[str, Any]]:
    """The runs of ``count`` traces: a chain over a retriever, a tool and two llm runs."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    for number in range(count):
        root = uuid.uuid4()
        stamp = start + timedelta(milliseconds=number)
        yield _run(
            root, root, None, "support_turn", "chain", stamp, {"question": f"Where is order {number}?"}
        )
        for step, (name, run_type) in enumerate(
            [("search_docs", "retriever"), ("lookup_order", "tool"), ("draft", "llm"), ("polish", "llm")]
        ):
            run_id = uuid.uuid4()
            outputs = {"content": "It shipped.", "usage_metadata": USAGE} if run_type == "llm" else None
            yield _run(run_id, root, root, name, run_type, stamp + timedelta(microseconds=step + 1), outputs)


def _run(
    run_id: uuid.UUID,
    trace: uuid.UUID,
    parent: uuid.UUID | None,
    name: str,
    run_type: str,
    start: datetime,
    outputs: dict[str, Any] | None,
) -> dict[str, Any]:
    order = f"{start:%Y%m%dT%H%M%S%fZ}{trace}" + (f".{start:%Y%m%dT%H%M%S%fZ}{run_id}" if parent else "")
    metadata = {"ls_provider": "openai", "ls_model_name": "gpt-4o-mini"} if run_type == "llm" else {}
    return {
        "id": str(run_id),
        "trace_id": str(trace),
        "parent_run_id": str(parent) if parent else None,
        "dotted_order": order,
        "name": name,
        "run_type": run_type,
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(milliseconds=3)).isoformat(),
        "inputs": {"messages": [{"role": "user", "content": "Where is my order?"}]},
        "outputs": outputs or {"output": "done"},
        "extra": {"metadata": {**metadata, "thread_id": f"t-{trace.hex[:6]}"}},
        "tags": ["bench"],
    }


def multipart_body(runs: list[dict[str, Any]]) -> bytes:
    """What the SDK sends for ``runs``: its multipart parts, zstd-compressed."""
    body = b""
    for run in runs:
        parts, _ = serialized_run_operation_to_multipart_parts_and_context(
            serialize_run_dict("post", dict(run))
        )
        for headers, data in encode_multipart_parts_and_context(parts, BOUNDARY):
            body += headers + data + b"\r\n"  # type: ignore[operator]  # bytes parts only, no files
    return zstandard.ZstdCompressor(level=3).compress(body + f"--{BOUNDARY}--\r\n".encode())


def otlp_body(runs: list[dict[str, Any]]) -> bytes:
    """The same runs as OTLP spans, with the attributes the SDK's OTel exporter writes."""
    spans = []
    for run in runs:
        raw = to_raw_span(run)
        spans.append(
            Span(
                trace_id=bytes.fromhex(raw.trace_id),
                span_id=bytes.fromhex(raw.span_id),
                parent_span_id=bytes.fromhex(raw.parent_span_id),
                name=raw.name,
                start_time_unix_nano=raw.start_ns,
                end_time_unix_nano=raw.end_ns,
                status=Status(code=raw.status_code),  # type: ignore[arg-type]
                attributes=key_values(raw.attributes.items()),
            )
        )
    scope = ScopeSpans(spans=spans)
    scope.scope.name = "langsmith"
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[scope])]).SerializeToString()


def measure(bodies: list[bytes], path: str, headers: dict[str, str], spans: int, data_dir: Path) -> float:
    """Spans per second from the first request to every span durable and nothing left queued."""
    server = Served(data_dir)
    try:
        with httpx.Client(timeout=120, limits=httpx.Limits(max_connections=CLIENTS)) as client:
            send = _sender(client, server.url + path, headers)
            started = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(send, bodies))
            server.settle()
            elapsed = time.perf_counter() - started
        stored = server.queryable()
        if stored != spans:
            raise RuntimeError(f"{path}: {stored} of {spans} spans stored")
        return spans / elapsed
    finally:
        server.stop()


def _sender(client: httpx.Client, url: str, headers: dict[str, str]) -> Callable[[bytes], None]:
    def send(body: bytes) -> None:
        while True:
            response = client.post(url, content=body, headers=headers)
            if response.status_code not in (429, 503):
                response.raise_for_status()
                return
            time.sleep(float(response.headers.get("retry-after", "1")))

    return send


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--traces", type=int, default=2000)
    args = parser.parse_args()
    runs = list(trees(args.traces))
    batches = [runs[start : start + RUNS_PER_REQUEST] for start in range(0, len(runs), RUNS_PER_REQUEST)]
    multipart = [multipart_body(batch) for batch in batches]
    otlp = [otlp_body(batch) for batch in batches]
    with tempfile.TemporaryDirectory() as scratch:
        spans_per_second = measure(
            otlp, "/v1/traces", {"content-type": PROTOBUF}, len(runs), Path(scratch, "otlp")
        )
        runs_per_second = measure(
            multipart,
            "/runs/multipart",
            {"content-type": f"multipart/form-data; boundary={BOUNDARY}", "content-encoding": "zstd"},
            len(runs),
            Path(scratch, "runs"),
        )
    print(f"{args.traces} traces of {RUNS_PER_TRACE} runs, {RUNS_PER_REQUEST} a request, {CLIENTS} clients")
    print(f"load average: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print(f"OTLP /v1/traces:         {spans_per_second:,.0f} spans/s (baseline)")
    print(f"LangSmith /runs/multipart: {runs_per_second:,.0f} runs/s")
    print(f"ratio runs/s / spans/s:  {runs_per_second / spans_per_second:.2f}")


if __name__ == "__main__":
    main()
