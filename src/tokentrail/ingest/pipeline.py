"""One OTLP request through decode, normalize, enrich and price into rows, then to the writer.

:func:`prepare_rows` is the CPU work, pure and picklable so it can run in an ingest process;
:func:`commit_rows` hands the rows to the writer, in the server's own process.
"""

from __future__ import annotations

import logging
import re
import time
from concurrent.futures import Future
from dataclasses import dataclass

from tokentrail.config import Settings
from tokentrail.errors import BadRequest
from tokentrail.ingest.otlp import DecodedBatch, decode_request, decompress
from tokentrail.limits import check_stated_cost, check_usage
from tokentrail.model import Span
from tokentrail.pricing import price_span
from tokentrail.pricing.rules import RuleBook
from tokentrail.semconv import normalize
from tokentrail.semconv.common import SERVICE_NAME
from tokentrail.semconv.enrich import enrich
from tokentrail.store.rows import encode_span
from tokentrail.store.writer import SpanWriter

__all__ = [
    "PROJECT_HEADER",
    "PreparedBatch",
    "PreparedRows",
    "commit_rows",
    "prepare_otlp",
    "prepare_rows",
    "valid_project",
]

logger = logging.getLogger(__name__)

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
    rules: RuleBook | None = None,
) -> PreparedBatch:
    """Decode an OTLP body and turn its spans into enriched, priced canonical spans.

    A number no provider could bill (:mod:`tokentrail.limits`) is taken off its span with a warning; a span no
    stage can read is rejected alone. Either way the rest of the request goes on.
    """
    if project is not None:
        valid_project(project)
    data = decompress(body, content_encoding, max_bytes=settings.max_body_bytes)
    decoded = decode_request(data, media_type)
    limits = settings.limits
    warn = decoded.warnings.append
    spans = []
    for raw in decoded.spans:
        span_project = project or settings.project_for(str(raw.resource.get(SERVICE_NAME, "")))
        try:
            span = normalize(raw, project=span_project, max_payload_chars=settings.max_payload_chars)
            enrich(span)
            for check in (check_usage, check_stated_cost):
                problem = check(span, limits)
                if problem is not None:
                    warn(problem)
            price_span(span, rules=rules)
        except Exception as exc:  # a span no stage could read costs itself only, never its batch
            _reject(decoded, raw.span_id, raw.name, exc)
            continue
        spans.append(span)
    return PreparedBatch(decoded, spans)


def _reject(decoded: DecodedBatch, span_id: str, name: str, exc: Exception) -> None:
    logger.exception("span %s could not be read", span_id)
    decoded.rejected.append(f"span {span_id} {name!r}: could not be read ({exc!r:.200})")


SpanKey = tuple[str, str, str]  # project, trace id, span id


@dataclass(slots=True)
class PreparedRows:
    """One request's spans encoded as store rows: plain data, so it can cross from an ingest process to
    the server's."""

    decoded: DecodedBatch  # the rejections and warnings for the answer; its spans are not kept
    rows: dict[SpanKey, bytes]


def prepare_rows(
    body: bytes,
    media_type: str,
    content_encoding: str | None,
    project: str | None,
    settings: Settings,
    rules: RuleBook | None = None,
) -> PreparedRows:
    """The CPU work of a request, shareable across processes: decode, normalize, enrich, price, encode."""
    prepared = prepare_otlp(body, media_type, content_encoding, project, settings, rules)
    now = time.time_ns()
    decoded = prepared.decoded
    result = PreparedRows(DecodedBatch(rejected=decoded.rejected, warnings=decoded.warnings), {})
    for span in prepared.spans:
        try:
            row = encode_span(span, now)
        except Exception as exc:  # a value the row format cannot hold: this span only
            _reject(result.decoded, span.span_id, span.name, exc)
            continue
        result.rows[(span.project, span.trace_id, span.span_id)] = row
    return result


def commit_rows(prepared: PreparedRows, writer: SpanWriter) -> Future[int]:
    """Hand a request's rows to the writer; the future resolves once they are durable. Which of them
    repeat or wrap a call is decided once they are in the store (:mod:`tokentrail.ingest.duplicates`)."""
    return writer.submit_rows(prepared.rows)
