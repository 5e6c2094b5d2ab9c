"""The ``spans`` row codec: the columns the writer fills, how a canonical span is encoded into one row,
how a row's key is read back (the write-ahead log replays rows), and what re-pricing reads of a row
(:class:`ScannedSpan`) and writes back (:data:`REPRICED_COLUMNS`). A row's duplicate-call mark is written
as a new version of the row (:mod:`tokentrail.store.marks`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from tokentrail.model import Span

__all__ = [
    "PRICED_COLUMNS",
    "REPRICED_COLUMNS",
    "SPAN_COLUMNS",
    "ScannedSpan",
    "decode_scanned",
    "encode_repriced",
    "encode_span",
    "row_key",
]

#: Columns of ``spans`` that the writer fills, in insert order.
SPAN_COLUMNS = (
    "project",
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "service",
    "scope",
    "start_ns",
    "end_ns",
    "kind",
    "status",
    "error_type",
    "error_message",
    "error_stack",
    "provider",
    "request_model",
    "response_model",
    "usage",
    "usage_source",
    "cost",
    "cost_total",
    "cost_origin",
    "unpriced_reason",
    "price_source",
    "session_id",
    "user_id",
    "trace_name",
    "tags",
    "metadata",
    "input",
    "output",
    "attributes",
    "resource",
    "events",
    "ingested_ns",
    "response_id",
    "usage_parser",
    "tool_name",
    "billing_tier",
    "duplicate_of",
    "duplicate_reason",
    "prompt_sources",
    "prompt_history",
    "prompt_method",
)


def encode_span(span: Span, ingested_ns: int) -> bytes:
    """The ``spans`` row for a span as one ``JSONCompactEachRow`` line, in :data:`SPAN_COLUMNS` order.

    JSON keeps the Python side of an insert to one compiled ``orjson.dumps`` per span; ClickHouse
    parses it outside the GIL. Money travels as decimal strings, so no float ever touches it.
    """
    return orjson.dumps(
        (
            span.project,
            span.trace_id,
            span.span_id,
            span.parent_span_id,
            span.name,
            span.service,
            span.scope,
            span.start_ns,
            span.end_ns,
            span.kind,
            span.status,
            span.error_type,
            span.error_message,
            span.error_stack,
            span.provider,
            span.request_model,
            span.response_model,
            span.usage,
            span.usage_source,
            {key: str(amount) for key, amount in span.cost.items()},
            str(span.cost_total),
            span.cost_origin or "",
            span.unpriced_reason or "",
            span.price_source,
            span.session_id,
            span.user_id,
            span.trace_name,
            span.tags,
            span.metadata,
            span.input,
            span.output,
            span.attributes,
            span.resource,
            span.events,
            ingested_ns,
            span.response_id,
            span.usage_parser,
            span.tool_name,
            span.billing_tier,
            span.duplicate_of,
            span.duplicate_reason,
            span.prompt_sources,
            span.prompt_history,
            span.prompt_method,
        )
    )


def row_key(row: bytes) -> tuple[str, str, str] | None:
    """The (project, trace id, span id) of an encoded row, or None if it cannot be read."""
    try:
        values = orjson.loads(row)
        project, trace_id, span_id = values[0], values[1], values[2]
    except (orjson.JSONDecodeError, TypeError, IndexError, KeyError):
        return None
    if not all(isinstance(value, str) for value in (project, trace_id, span_id)):
        return None
    return project, trace_id, span_id


#: The columns pricing fills (usage, as pricing may complete it, then the cost): what re-pricing replaces.
PRICED_COLUMNS = SPAN_COLUMNS[SPAN_COLUMNS.index("usage") : SPAN_COLUMNS.index("price_source") + 1]
#: A re-priced row as it is uploaded: the key of the version that was priced, then the new values.
REPRICED_COLUMNS = ("trace_id", "span_id", "ingested_ns", *PRICED_COLUMNS)


class ScannedSpan(NamedTuple):
    """What a re-pricing job reads of a span (one ``JSONCompactEachRow`` line, decimals as strings): the
    version's key, what pricing reads, the priced values it may replace, and whether it is a duplicate."""

    trace_id: str
    span_id: str
    ingested_ns: int
    kind: str
    status: str
    provider: str
    request_model: str
    response_model: str
    usage: dict[str, int]
    usage_source: dict[str, str]
    start_ns: int
    name: str
    tool_name: str
    billing_tier: str
    attributes: dict[str, str]
    cost: dict[str, str]
    cost_total: str
    cost_origin: str
    unpriced_reason: str
    price_source: str
    duplicate: bool


def decode_scanned(line: bytes) -> ScannedSpan:
    return ScannedSpan._make(orjson.loads(line))


def encode_repriced(scanned: ScannedSpan, priced: tuple[Any, ...]) -> bytes:
    """The upload row replacing ``scanned``'s priced columns with ``priced`` (in
    :data:`PRICED_COLUMNS` order)."""
    return orjson.dumps((scanned.trace_id, scanned.span_id, scanned.ingested_ns, *priced))
