"""Ingest throughput: OTLP/protobuf spans persisted and queryable per second, end to end.

Starts ``tokentrail serve`` as its own process on a fresh data directory, sends N synthetic LLM-app spans
(OpenInference attributes, 10 spans per trace) from client threads, waits for every 200 (sent only once
spans are durable), then checks through the API that all of them are queryable. The baseline, measured in
the same run: how fast this process merely decodes the same payloads into raw spans. The ratio shows how
close the whole pipeline (decode, normalize, price, write) comes to that limit.

    python bench/ingest.py --spans 200000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tokentrail.ingest.otlp import PROTOBUF, decode_request

SPANS_PER_TRACE = 10
TARGET_SPANS_PER_SECOND = 20_000
_MODELS = ("gpt-4o-mini", "gpt-4o", "claude-sonnet-4-5", "o3-mini")


def _kv(key: str, value: object) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def _trace_spans(rng: random.Random, start_ns: int, session: str) -> list[Span]:
    """One RAG request: chain root, retriever + embedding, 3 LLM calls, 2 tools, a reranker, a guardrail."""
    trace_id = rng.randbytes(16)
    ids = [rng.randbytes(8) for _ in range(SPANS_PER_TRACE)]
    shapes: list[tuple[str, int, dict[str, object]]] = [
        (
            "agent",
            -1,
            {
                "openinference.span.kind": "CHAIN",
                "session.id": session,
                "user.id": "u-1",
                "input.value": "How do I rotate my key?",
                "output.value": "From Settings > Keys.",
            },
        ),
        ("retrieve", 0, {"openinference.span.kind": "RETRIEVER", "input.value": "rotate key"}),
        (
            "embed",
            1,
            {
                "openinference.span.kind": "EMBEDDING",
                "embedding.model_name": "text-embedding-3-small",
                "llm.token_count.prompt": 12,
                "llm.token_count.total": 12,
            },
        ),
        ("rerank", 0, {"openinference.span.kind": "RERANKER", "tool.cost_usd": "0.001"}),
    ]
    for index in range(3):
        prompt = rng.randint(500, 4000)
        completion = rng.randint(50, 600)
        shapes.append(
            (
                f"llm-{index}",
                0,
                {
                    "openinference.span.kind": "LLM",
                    "llm.model_name": rng.choice(_MODELS),
                    "llm.provider": "openai",
                    "llm.token_count.prompt": prompt,
                    "llm.token_count.completion": completion,
                    "llm.token_count.total": prompt + completion,
                    "llm.token_count.prompt_details.cache_read": prompt // 2,
                    "llm.input_messages.0.message.role": "user",
                    "llm.input_messages.0.message.content": "Summarize the docs about key rotation.",
                    "llm.output_messages.0.message.role": "assistant",
                    "llm.output_messages.0.message.content": "Rotate keys from Settings > Keys.",
                },
            )
        )
    shapes += [
        (
            "web_search",
            0,
            {
                "openinference.span.kind": "TOOL",
                "tool.name": "web_search",
                "tool.cost_usd": 0.005,
                "input.value": '{"q": "rotate key"}',
                "output.value": '{"hits": 3}',
            },
        ),
        ("lookup", 0, {"openinference.span.kind": "TOOL", "tool.name": "lookup"}),
        ("guard", 0, {"openinference.span.kind": "GUARDRAIL"}),
    ]
    spans = []
    for index, (name, parent, attributes) in enumerate(shapes):
        start = start_ns + index * 1_000_000
        spans.append(
            Span(
                trace_id=trace_id,
                span_id=ids[index],
                parent_span_id=ids[parent] if parent >= 0 else b"",
                name=name,
                kind=Span.SPAN_KIND_INTERNAL,
                start_time_unix_nano=start,
                end_time_unix_nano=start + rng.randint(1_000_000, 900_000_000),
                attributes=[_kv(key, value) for key, value in attributes.items()],
            )
        )
    return spans


def make_payloads(total_spans: int, spans_per_request: int, seed: int = 7) -> list[bytes]:
    """Live traffic: traces that start now, as an instrumented app sends them (after the server started)."""
    rng = random.Random(seed)
    start_ns = time.time_ns()
    payloads = []
    traces_per_request = max(1, spans_per_request // SPANS_PER_TRACE)
    traces_left = total_spans // SPANS_PER_TRACE
    while traces_left > 0:
        request = ExportTraceServiceRequest()
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.append(_kv("service.name", "bench-rag"))
        scope = resource_spans.scope_spans.add()
        scope.scope.name = "openinference.instrumentation.bench"
        for _ in range(min(traces_per_request, traces_left)):
            scope.spans.extend(_trace_spans(rng, start_ns, f"s-{rng.randrange(10_000)}"))
            start_ns += 1_000_000
            traces_left -= 1
        payloads.append(request.SerializeToString())
    return payloads


def decode_rate(payloads: list[bytes]) -> float:
    started = time.perf_counter()
    spans = sum(len(decode_request(payload, PROTOBUF).spans) for payload in payloads)
    return spans / (time.perf_counter() - started)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tokentrail.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("tokentrail serve did not start")


def _queryable(client: httpx.Client, url: str) -> int:
    page = client.get(url + "/api/v1/costs", params={"group_by": "service"}).json()
    return sum(group["span_count"] for group in page["groups"])


def end_to_end_rate(total_spans: int, spans_per_request: int, clients: int) -> tuple[float, float, int]:
    """(end-to-end spans/s, decode-only spans/s, requests sent)."""
    with tempfile.TemporaryDirectory() as data_dir:
        port = _free_port()
        server = _start_server(Path(data_dir), port)
        url = f"http://127.0.0.1:{port}"
        try:
            payloads = make_payloads(total_spans, spans_per_request)
            decoded = decode_rate(payloads)
            with httpx.Client(timeout=120, limits=httpx.Limits(max_connections=clients)) as client:

                def send(body: bytes) -> None:
                    while True:
                        response = client.post(
                            url + "/v1/traces", content=body, headers={"content-type": PROTOBUF}
                        )
                        if response.status_code not in (429, 503):
                            break
                        time.sleep(float(response.headers.get("retry-after", "1")))  # as OTLP exporters do
                    response.raise_for_status()

                started = time.perf_counter()
                with ThreadPoolExecutor(clients) as pool:
                    list(pool.map(send, payloads))
                # Acknowledged spans are durable in the write-ahead log; the clock runs until all are
                # queryable too (they reach the store within the flush interval).
                deadline = time.monotonic() + 120
                while (stored := _queryable(client, url)) < total_spans and time.monotonic() < deadline:
                    time.sleep(0.02)
                elapsed = time.perf_counter() - started
            if stored != total_spans:
                raise RuntimeError(f"sent {total_spans} spans but {stored} are queryable")
            return total_spans / elapsed, decoded, len(payloads)
        finally:
            server.terminate()
            server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=200_000, help="spans to send (multiple of 10)")
    parser.add_argument("--spans-per-request", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4, help="concurrent client connections")
    args = parser.parse_args()
    total = args.spans // SPANS_PER_TRACE * SPANS_PER_TRACE
    persisted, decoded, requests = end_to_end_rate(total, args.spans_per_request, args.clients)
    result = {
        "spans": total,
        "requests": requests,
        "cpus": os.cpu_count(),
        "decode_only_spans_per_s": round(decoded),
        "end_to_end_spans_per_s": round(persisted),
        "ratio_end_to_end_vs_decode": round(persisted / decoded, 3),
        "target_spans_per_s": TARGET_SPANS_PER_SECOND,
        "meets_target": persisted >= TARGET_SPANS_PER_SECOND,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
