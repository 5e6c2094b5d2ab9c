"""Synthetic stored data for the benchmarks that read: a million spans of an LLM app, priced for real; and
the real server over it on loopback, and a median timer.

10-span traces (a chain root, retrieval, embedding, LLM calls over five models, paid tools) spread over
the last week, plus one trace of ``big_trace_spans`` spans, written into a store through the real writer
and priced by the real pricing code, as ingest would.
"""

from __future__ import annotations

import random
import socket
import statistics
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import uvicorn

from tokentrail.api import create_app
from tokentrail.config import Settings
from tokentrail.ingest.duplicates import TraceSettler
from tokentrail.model import Span, SpanKind, Status
from tokentrail.pricing.cost import price_span
from tokentrail.pricing.prompt import attribute_spans
from tokentrail.store.database import Store
from tokentrail.store.writer import SpanWriter

__all__ = ["MODELS", "load", "load_nested_trace", "median_ms", "serve"]

#: model -> provider of the LLM spans, in turn.
MODELS = {
    "gpt-4o-mini": "openai",
    "gpt-4o": "openai",
    "claude-sonnet-4-5": "anthropic",
    "o3-mini": "openai",
    "gemini-2.5-flash": "gcp.gemini",
}
_KINDS = (SpanKind.CHAIN, SpanKind.RETRIEVAL, SpanKind.EMBEDDING, SpanKind.LLM, SpanKind.TOOL)
_DAY_NS = 86_400 * 10**9


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
        span.request_model = rng.choice(list(MODELS))
        span.provider = MODELS[span.request_model]
        span.usage = {"input": rng.randint(500, 5000), "output": rng.randint(50, 800)}
        attribute_spans([span], None)  # what filled its prompt, as the ingest stage finds it
    elif kind is SpanKind.EMBEDDING:
        span.request_model, span.provider = "text-embedding-3-small", "openai"
        span.usage = {"input": rng.randint(5, 60)}
    elif kind is SpanKind.TOOL:
        span.attributes["gen_ai.tool.name"] = "web_search"
        span.reported_cost = {"tool": Decimal("0.005")}
    price_span(span)
    return span


def load(
    store: Store,
    wal_dir: Path,
    total_spans: int,
    *,
    seed: int = 11,
    big_trace_spans: int = 200,
    merge: bool = True,
    days: int = 7,
) -> str:
    """Write ``total_spans`` spans over the last ``days``; returns the id of the one big trace. With
    ``merge``, the table's parts are then merged into one; without, it is left as the writer's inserts
    left it."""
    rng = random.Random(seed)
    # Settled as the server settles them: marks, then the summaries the trace and session lists read.
    writer = SpanWriter(
        store, wal_dir, batch_max_spans=100_000, max_pending_spans=2_000_000, resolve=TraceSettler(store)
    )
    start_ns = time.time_ns() - days * _DAY_NS
    step = days * _DAY_NS // max(1, total_spans // 10)
    big_trace = rng.randbytes(16).hex()
    root = f"{1:016x}"
    batch = [_span(rng, big_trace, i, root if i else "", start_ns, "s-big") for i in range(big_trace_spans)]
    written = big_trace_spans
    while written < total_spans:
        trace_id = rng.randbytes(16).hex()
        session = f"s-{rng.randrange(20_000)}"
        batch += [_span(rng, trace_id, i, root if i else "", start_ns, session) for i in range(10)]
        start_ns += step
        written += 10
        if len(batch) >= 50_000:
            writer.write(batch)
            batch = []
    writer.write(batch)
    writer.close()
    if merge:
        store.client().command("OPTIMIZE TABLE spans FINAL")  # a long-running server has merged its parts
    return big_trace


def load_nested_trace(
    store: Store, wal_dir: Path, span_count: int, *, fanout: int = 10, seed: int = 13
) -> str:
    """Write one trace of ``span_count`` spans nested ``fanout`` wide (an agent's steps, their calls, the
    calls' tools, ...: span i's parent is span (i - 1) // fanout); returns its id."""
    rng = random.Random(seed)
    writer = SpanWriter(store, wal_dir, batch_max_spans=100_000, max_pending_spans=2_000_000)
    trace_id = rng.randbytes(16).hex()
    start_ns = time.time_ns() - 3_600 * 10**9
    spans = [
        _span(rng, trace_id, i, f"{(i - 1) // fanout + 1:016x}" if i else "", start_ns, "s-nested")
        for i in range(span_count)
    ]
    writer.write(spans)
    writer.close()
    return trace_id


def median_ms(action: Callable[[], object], repeat: int) -> float:
    """The median of ``repeat`` timed calls, after one to warm caches (as a running server has)."""
    action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def serve(store: Store, data_dir: Path) -> tuple[uvicorn.Server, str]:
    """The real app over ``store`` on a free loopback port, on a thread; returns it and its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # These benches only read: no ingest processes, no gRPC receiver.
    settings = Settings(data_dir=data_dir, port=port, ingest_processes=0, grpc_port=0)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store=store), port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"
