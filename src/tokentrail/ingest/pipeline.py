"""One OTLP request through decode, normalize and price: the CPU work done before the writer."""

from __future__ import annotations

import re
from concurrent.futures import Future
from dataclasses import dataclass

from tokentrail.config import Settings
from tokentrail.errors import BadRequest
from tokentrail.ingest.call_index import CallIndex
from tokentrail.ingest.otlp import DecodedBatch, decode_request, decompress
from tokentrail.model import Span
from tokentrail.pricing import price_span
from tokentrail.semconv import normalize
from tokentrail.semconv.common import SERVICE_NAME
from tokentrail.semconv.enrich import enrich
from tokentrail.store.writer import SpanWriter

__all__ = ["PROJECT_HEADER", "PreparedBatch", "accept_otlp", "prepare_otlp", "valid_project"]

#: Request header that places every span of a request in one project.
PROJECT_HEADER = "x-tokentrail-project"
_PROJECT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(slots=True)
class PreparedBatch:
    decoded: DecodedBatch
    spans: list[Span]


def valid_project(name: str) -> str:
    """Return ``name`` if it can name a project, else raise :class:`BadRequest`."""
    if not _PROJECT_NAME.fullmatch(name):
        raise BadRequest(
            f"project name {name!r} must be 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def prepare_otlp(
    body: bytes,
    media_type: str,
    content_encoding: str | None,
    project: str | None,
    settings: Settings,
) -> PreparedBatch:
    """Decode an OTLP body and turn its spans into enriched, priced canonical spans."""
    if project is not None:
        valid_project(project)
    data = decompress(body, content_encoding, max_bytes=settings.max_body_bytes)
    decoded = decode_request(data, media_type)
    spans = []
    for raw in decoded.spans:
        span_project = project or settings.project_for(str(raw.resource.get(SERVICE_NAME, "")))
        span = normalize(raw, project=span_project, max_payload_chars=settings.max_payload_chars)
        enrich(span)
        price_span(span)
        spans.append(span)
    return PreparedBatch(decoded, spans)


def accept_otlp(
    body: bytes,
    media_type: str,
    content_encoding: str | None,
    project: str | None,
    settings: Settings,
    writer: SpanWriter,
    calls: CallIndex,
) -> tuple[DecodedBatch, Future[int]]:
    """Prepare an OTLP body, mark LLM calls reported twice, and hand the spans to the writer.

    The future resolves once the spans are durable.
    """
    prepared = prepare_otlp(body, media_type, content_encoding, project, settings)
    calls.mark(prepared.spans)
    return prepared.decoded, writer.submit(prepared.spans)
