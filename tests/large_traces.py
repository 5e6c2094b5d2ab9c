"""A very large trace as stored spans, built fast enough to write 100,000 of them in a test: an agent's
steps nested ``fanout`` wide (span i's parent is span (i - 1) // fanout), each costing a little."""

from __future__ import annotations

from decimal import Decimal

from otlp_builders import NOW_NS
from tokentrail.model import Span, SpanKind, Status

#: The one span of :func:`nested_trace` that fails, and what it is called.
FAILING_SPAN = 77_777
FAILING_NAME = "needle lookup"


def nested_trace(trace_id: str, count: int, *, fanout: int = 10, project: str = "default") -> list[Span]:
    """``count`` spans of one trace; span :data:`FAILING_SPAN` (if there are that many) fails."""
    spans = []
    for index in range(count):
        start = NOW_NS + index * 1_000
        failing = index == FAILING_SPAN
        spans.append(
            Span(
                project,
                trace_id,
                f"{index + 1:016x}",
                f"{(index - 1) // fanout + 1:016x}" if index else "",
                FAILING_NAME if failing else f"step-{index}",
                f"svc-{index % 3}",
                start,
                start + 5_000_000,
                kind=SpanKind.TOOL if index % 2 else SpanKind.CHAIN,
                status=Status.ERROR if failing else Status.OK,
                error_message="timed out" if failing else "",
                cost={"tool": Decimal("0.0001")},
                input=f"input of step {index}",
            )
        )
    return spans
