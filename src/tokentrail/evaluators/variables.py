"""The values a judge's template is filled with, read from the judged trace's stored spans.

``input`` and ``output`` are the target span's (the trace's root unless a span is named); ``context`` is
what the trace retrieved and what its tools returned (the outputs of its retrieval, rerank and tool spans,
in the order they started); ``metadata.<key>`` is the trace's metadata (the root's value wins over a child's);
``expected`` is given by the caller (text as is, anything else as JSON).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tokentrail.model import SpanKind

__all__ = ["CONTEXT_KINDS", "template_values"]

#: Kinds of span whose output is context the answer was made from.
CONTEXT_KINDS = frozenset({SpanKind.RETRIEVAL, SpanKind.RERANK, SpanKind.TOOL})


def template_values(
    spans: Sequence[dict[str, Any]], span_id: str = "", expected: Any = None
) -> dict[str, str]:
    """The template's values for a trace's ``spans`` (earliest first), judged at ``span_id`` (default: the
    root); a span not in the trace is a :class:`LookupError`."""
    ids = {span["span_id"] for span in spans}
    roots = [span for span in spans if span["parent_span_id"] not in ids]
    target = roots[0] if roots else spans[0]
    if span_id:
        named = [span for span in spans if span["span_id"] == span_id]
        if not named:
            raise LookupError(f"span {span_id} is not in the trace")
        target = named[0]
    metadata: dict[str, str] = {}
    for span in reversed(spans):  # earlier spans (the root first) win
        metadata.update(span.get("metadata") or {})
    values = {
        "input": target["input"],
        "output": target["output"],
        "context": "\n\n".join(
            span["output"] for span in spans if span["kind"] in CONTEXT_KINDS and span["output"]
        ),
        "expected": ""
        if expected is None
        else expected
        if isinstance(expected, str)
        else json.dumps(expected),
    }
    values.update({f"metadata.{key}": value for key, value in metadata.items()})
    return values
