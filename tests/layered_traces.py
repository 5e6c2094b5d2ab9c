"""Random traces full of repeated and wrapped LLM calls, for checking that duplicate resolution depends on
nothing but the spans (not the order they are read or arrive in)."""

from __future__ import annotations

import random

from otlp_builders import NOW_NS
from tokentrail.model import Span, SpanKind


def random_layered_trace(rng: random.Random, trace_id: str, size: int) -> list[Span]:
    """Roots with subtrees of chains and LLM spans: layers with equal usage, spans sharing a response id
    across subtrees, usage-less wrappers, and orphans whose parent is never sent."""
    spans: list[Span] = []
    for index in range(size):
        span_id = f"{index + 1:016x}"
        parent = "" if index == 0 or rng.random() < 0.1 else rng.choice(spans).span_id
        if rng.random() < 0.03:
            parent = f"{10**6 + index:016x}"
        start = NOW_NS + index
        if rng.random() < 0.4:
            span = Span("p", trace_id, span_id, parent, "chain", "svc", start, start + 1, kind=SpanKind.CHAIN)
        else:
            span = Span("p", trace_id, span_id, parent, "llm", "svc", start, start + 1, kind=SpanKind.LLM)
            span.request_model = "gpt-4o-mini"
            if rng.random() < 0.8:
                span.usage = {"input": rng.choice((100, 200)), "output": 20}
            if rng.random() < 0.15:
                span.response_id = f"resp-{rng.randrange(4)}"
        spans.append(span)
    return spans
