"""The processors of the ingest chain, in order: decode, normalize, enrich, bound, price, redact,
attribute, encode.

Each is pure (it reads the batch and its own settings, nothing else), so a run of them can be moved to an
ingest process (:mod:`tokentrail.ingest.offload`); a span one of them cannot read is rejected alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tokentrail.config import Settings
from tokentrail.errors import UnsupportedMediaType
from tokentrail.export.exporter import ForwardEncode
from tokentrail.ingest.chain import Batch, Processor, SpanProcessor
from tokentrail.ingest.langsmith_runs import RUNS_MEDIA_TYPE, decode_runs
from tokentrail.ingest.otlp import JSON, PROTOBUF, DecodedBatch, decode_request, decompress
from tokentrail.ingest.redaction import load_policy, redact_spans
from tokentrail.ingest.truncation import cap_fields
from tokentrail.limits import Limits, RequestLimits, check_stated_cost, check_usage
from tokentrail.model import Span
from tokentrail.pricing import price_span
from tokentrail.pricing.prompt import attribute_spans
from tokentrail.pricing.rules import RuleBook
from tokentrail.semconv import normalize
from tokentrail.semconv.common import SERVICE_NAME
from tokentrail.semconv.compile import TABLES
from tokentrail.semconv.enrich import enrich
from tokentrail.store.rows import encode_span

__all__ = [
    "DECODERS",
    "Attribute",
    "Bound",
    "Decode",
    "Encode",
    "Enrich",
    "Normalize",
    "Price",
    "Redact",
    "processors",
]

#: The attributes conventions read: kept on a span past the attribute limit.
PROTECTED_ATTRIBUTES = frozenset(TABLES.claims)

#: How a batch's body is decoded into raw spans, by its media type.
DECODERS: dict[str, Callable[[bytes, RequestLimits], DecodedBatch]] = {
    PROTOBUF: lambda body, limits: decode_request(body, PROTOBUF, limits, PROTECTED_ATTRIBUTES),
    JSON: lambda body, limits: decode_request(body, JSON, limits, PROTECTED_ATTRIBUTES),
    RUNS_MEDIA_TYPE: decode_runs,  # LangSmith runs, merged by their receiver (api/langsmith.py)
}


class Decode(Processor):
    """The body, inflated within ``max_bytes`` and decoded by its media type within ``limits``, becomes
    raw spans; a malformed body is a :class:`~tokentrail.errors.BadRequest`, a malformed span a
    rejection."""

    def __init__(self, max_bytes: int, limits: RequestLimits) -> None:
        super().__init__()
        self.max_bytes = max_bytes
        self.limits = limits

    def process(self, batch: Batch) -> None:
        decoder = DECODERS.get(batch.media_type)
        if decoder is None:
            raise UnsupportedMediaType(f"no decoder for {batch.media_type!r}")
        decoded = decoder(
            decompress(batch.body, batch.content_encoding, max_bytes=self.max_bytes), self.limits
        )
        batch.body = b""  # decoded: no later link needs it, and it would cross back from a process
        batch.raw = decoded.spans
        batch.rejected += decoded.rejected
        batch.warnings += decoded.warnings


class Normalize(Processor):
    """Raw spans become canonical spans (:func:`~tokentrail.semconv.normalize`), each in its project:
    the batch's, else the one its service is mapped to."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def process(self, batch: Batch) -> None:
        settings = self.settings
        for raw in batch.raw:
            project = batch.project or settings.project_for(str(raw.resource.get(SERVICE_NAME, "")))
            try:
                span = normalize(raw, project=project, max_payload_chars=settings.max_payload_chars)
            except Exception as exc:  # a span no stage could read costs itself only, never its batch
                batch.reject(raw.span_id, raw.name, exc)
                continue
            batch.spans.append(span)
        batch.raw = []


class Enrich(SpanProcessor):
    """What the attributes left out, read from the provider payloads (:func:`~tokentrail.semconv.enrich`)."""

    def process_span(self, span: Span, batch: Batch) -> None:
        enrich(span)


class Bound(SpanProcessor):
    """A number no provider could bill (:mod:`tokentrail.limits`) is taken off its span, with a warning;
    a text field over ``max_chars`` is cut (:mod:`tokentrail.ingest.truncation`)."""

    def __init__(self, limits: Limits, max_chars: int) -> None:
        super().__init__()
        self.limits = limits
        self.max_chars = max_chars

    def process_span(self, span: Span, batch: Batch) -> None:
        cap_fields(span, self.max_chars)
        for check in (check_usage, check_stated_cost):
            problem = check(span, self.limits)
            if problem is not None:
                batch.warnings.append(problem)


class Price(SpanProcessor):
    """Each span's cost, with the user's price rules in force (:func:`~tokentrail.pricing.price_span`)."""

    def __init__(self, rules: RuleBook | None) -> None:
        super().__init__()
        self.rules = rules

    def process_span(self, span: Span, batch: Batch) -> None:
        price_span(span, rules=self.rules)


class Attribute(Processor):
    """What filled each LLM call's prompt, by source (:mod:`tokentrail.pricing.prompt`), counted with the
    model's tokenizer from ``tokenizer_dir`` or an installed package when there is one; after redaction,
    so the text counted is the text stored (which the retrieval step counts again)."""

    def __init__(self, tokenizer_dir: Path | None) -> None:
        super().__init__()
        self.tokenizer_dir = tokenizer_dir

    def process(self, batch: Batch) -> None:
        attribute_spans(batch.spans, self.tokenizer_dir)


class Redact(Processor):
    """Secrets and personal data in the spans' text masked by each project's rules
    (:mod:`tokentrail.ingest.redaction`), before the spans are encoded for the log and the store."""

    def __init__(self, rules_file: Path | None) -> None:
        super().__init__()
        self.rules_file = rules_file  # a path crosses to an ingest process; its rules compile there, once

    def process(self, batch: Batch) -> None:
        policy = load_policy(self.rules_file)
        by_project: dict[str, list[Span]] = {}
        for span in batch.spans:
            by_project.setdefault(span.project, []).append(span)
        for project, spans in by_project.items():
            redactor = policy.for_project(project)
            if redactor is not None:
                redact_spans(spans, redactor)


class Encode(Processor):
    """Spans become store rows (:mod:`tokentrail.store.rows`), keyed by (project, trace id, span id): plain
    data, cheap to hand back from an ingest process; a value no row can hold rejects its span."""

    def process(self, batch: Batch) -> None:
        now = time.time_ns()
        for span in batch.spans:
            try:
                row = encode_span(span, now)
            except Exception as exc:  # a value the row format cannot hold: this span only
                batch.reject(span.span_id, span.name, exc)
                continue
            batch.rows[(span.project, span.trace_id, span.span_id)] = row


def processors(settings: Settings, rules: RuleBook | None) -> list[Processor]:
    """The chain's processors, from a received body to store rows (and the request forwarded, if any)."""
    return [
        Decode(settings.max_body_bytes, settings.request_limits),
        Normalize(settings),
        Enrich(),
        Bound(settings.limits, settings.max_payload_chars),
        Price(rules),
        Redact(settings.redaction_file),
        Attribute(settings.tokenizer_dir),
        Encode(),
        *([ForwardEncode()] if settings.forward else []),  # after Redact: what leaves is redacted
    ]
