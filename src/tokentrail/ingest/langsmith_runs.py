"""LangSmith runs: a run's post and patch merged into one run, and a run made a
:class:`~tokentrail.model.RawSpan` carrying the attributes the LangSmith SDK's own OpenTelemetry exporter
writes, so the LangSmith convention (:mod:`tokentrail.semconv.langsmith`) reads it like any other span.

Ids follow that exporter too (``langsmith._internal._otel_utils``): the trace id is the trace's UUID, the
span id the first 8 bytes of the run's UUID, so a run has the same ids whichever way the SDK sent it.

Source: PyPI ``langsmith`` 0.15.1, ``_internal/otel/_otel_exporter.py`` and ``run_trees.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from tokentrail.errors import BadRequest, PayloadTooLarge
from tokentrail.ingest.otlp import DecodedBatch
from tokentrail.limits import MAX_TIME_NS, RequestLimits
from tokentrail.model import AttributeValue, RawEvent, RawSpan
from tokentrail.semconv.common import SERVICE_NAME
from tokentrail.semconv.langsmith import RUN_JSON_FIELDS, RUN_METADATA_PREFIX, RUN_TAGS, RUN_TEXT_FIELDS

__all__ = [
    "RUNS_MEDIA_TYPE",
    "as_uuid",
    "decode_runs",
    "merge_runs",
    "run_ids",
    "span_id_of",
    "to_raw_span",
    "trace_id_of",
]

#: The media type of a batch of merged runs, as the LangSmith receiver hands it to the ingest chain.
RUNS_MEDIA_TYPE = "application/vnd.tokentrail.langsmith-runs+json"

#: Run fields whose objects merge key by key (a patch's metadata adds to the post's); any other field a
#: later part sends replaces the earlier one whole.
_MERGED_BY_KEY = frozenset({"extra", "metadata"})

_OTEL_STATUS_OK, _OTEL_STATUS_ERROR = 1, 2
#: A ``dotted_order`` segment: a 22-character UTC timestamp (``20240101T000000000000Z``), then a UUID.
_STAMP_LENGTH = 22

_SCOPE = "langsmith"


def merge_runs(*parts: Mapping[str, Any] | None) -> dict[str, Any]:
    """One run from its parts, oldest first: a later part's field wins, a field it lacks (or sends as
    null) keeps the earlier one's, and ``extra`` / ``metadata`` merge key by key."""
    merged: dict[str, Any] = {}
    for part in parts:
        if part:
            _merge_into(merged, part)
    return merged


def _merge_into(target: dict[str, Any], part: Mapping[str, Any]) -> None:
    for key, value in part.items():
        if value is None:
            continue
        earlier = target.get(key)
        if key in _MERGED_BY_KEY and isinstance(value, Mapping) and isinstance(earlier, dict):
            _merge_into(earlier, value)
        else:
            target[key] = dict(value) if isinstance(value, Mapping) and key in _MERGED_BY_KEY else value


def run_ids(run: Mapping[str, Any]) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]:
    """The run's id, its trace's and its parent's (None for a root), from ``id``, ``trace_id``,
    ``parent_run_id`` and else ``dotted_order``; a malformed one is a :class:`BadRequest`."""
    run_id = as_uuid(run.get("id"), "id")
    chain = _dotted_order(run.get("dotted_order"))
    trace = run.get("trace_id")
    trace_id = as_uuid(trace, "trace_id") if trace else (chain[0] if chain else run_id)
    parent = run.get("parent_run_id")
    parent_id = as_uuid(parent, "parent_run_id") if parent else (chain[-2] if len(chain) > 1 else None)
    return run_id, trace_id, parent_id


def trace_id_of(trace: uuid.UUID) -> str:
    """The OTel trace id (hex) of a LangSmith trace UUID."""
    return trace.hex


def span_id_of(run: uuid.UUID) -> str:
    """The OTel span id (hex) of a LangSmith run UUID: its first 8 bytes."""
    return run.bytes[:8].hex()


def to_raw_span(run: Mapping[str, Any]) -> RawSpan:
    """The span of a (merged) run. An unfinished run (no ``end_time``) ends where it starts, status unset,
    until its patch arrives; a run with an ``error`` is an error span."""
    run_id, trace_id, parent_id = run_ids(run)
    start = _time_ns(run.get("start_time"), "start_time")
    end = _time_ns(run["end_time"], "end_time") if run.get("end_time") else start
    error = run.get("error")
    status = _OTEL_STATUS_ERROR if error else (_OTEL_STATUS_OK if run.get("end_time") else 0)
    extra = run.get("extra")
    return RawSpan(
        trace_id_of(trace_id),
        span_id_of(run_id),
        span_id_of(parent_id) if parent_id else "",
        str(run.get("name") or run.get("run_type") or "run"),
        start,
        max(end, start),
        status,
        error if isinstance(error, str) else (to_json(error) if error else ""),
        _attributes(run, extra if isinstance(extra, Mapping) else {}),
        {SERVICE_NAME: str(run.get("session_name") or "langsmith")},
        _SCOPE,
        [_event(event) for event in run.get("events") or () if isinstance(event, Mapping)],
    )


def decode_runs(body: bytes, limits: RequestLimits) -> DecodedBatch:
    """The spans of a JSON list of merged runs (the receiver's batch body); a run that cannot be a span is
    rejected alone, with a reason."""
    try:
        runs = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"runs batch is not valid JSON: {exc}") from None
    if not isinstance(runs, list):
        raise BadRequest("runs batch must be a JSON list of runs")
    if len(runs) > limits.max_spans:
        raise PayloadTooLarge(f"{len(runs)} runs in one request; the limit is {limits.max_spans}")
    decoded = DecodedBatch()
    for run in runs:
        try:
            decoded.spans.append(to_raw_span(run))
        except (BadRequest, TypeError, AttributeError) as exc:
            decoded.rejected.append(f"run {run.get('id') if isinstance(run, dict) else '?'}: {exc}")
    return decoded


def _attributes(run: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {
        attribute: str(run[field]) for field, attribute in RUN_TEXT_FIELDS.items() if run.get(field)
    }
    for field, attribute in RUN_JSON_FIELDS.items():
        if run.get(field) is not None:
            attributes[attribute] = to_json(run[field])
    metadata = extra.get("metadata")
    if isinstance(metadata, Mapping):
        for key, value in metadata.items():
            if value is not None:
                attributes[RUN_METADATA_PREFIX + str(key)] = _attribute_value(value)
    tags = run.get("tags")
    if isinstance(tags, list) and tags:
        attributes[RUN_TAGS] = ", ".join(str(tag) for tag in tags)
    return attributes


def _attribute_value(value: object) -> AttributeValue:
    # As the exporter's otel_safe_attribute_value: scalars kept, objects and lists as JSON.
    return value if isinstance(value, str | bool | int | float) else to_json(value)


def _event(event: Mapping[str, Any]) -> RawEvent:
    kwargs = event.get("kwargs")
    attributes = {str(key): _attribute_value(value) for key, value in (kwargs or {}).items()}
    time = event.get("time")
    return RawEvent(
        str(event.get("name") or "event"), _time_ns(time, "event time") if time else 0, attributes
    )


def to_json(value: object) -> str:
    """``value`` as compact JSON (what JSON cannot hold, as its ``str``)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


def as_uuid(value: object, field: str) -> uuid.UUID:
    """``value`` as a UUID, else a :class:`BadRequest` naming ``field``."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadRequest(f"{field} {value!r} is not a UUID") from None


def _dotted_order(value: object) -> list[uuid.UUID]:
    if not isinstance(value, str) or not value:
        return []
    return [as_uuid(segment[_STAMP_LENGTH:], "dotted_order") for segment in value.split(".")]


def _time_ns(value: object, field: str) -> int:
    if not isinstance(value, str):
        raise BadRequest(f"{field} must be an ISO 8601 time, not {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{field} {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the SDK sends UTC; an offset-less time is taken as UTC
    micros = (moment - _EPOCH) // _MICROSECOND
    if not 0 < micros * 1000 <= MAX_TIME_NS:
        raise BadRequest(f"{field} {value!r} is outside the times the store holds")
    return micros * 1000


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = datetime.resolution
