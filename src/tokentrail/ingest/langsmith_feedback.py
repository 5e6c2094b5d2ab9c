"""LangSmith feedback (a ``feedback.<id>`` part, ``POST /feedback``) as a
:class:`~tokentrail.store.scores.Score` on the run's span (pure).

Feedback fields, as ``langsmith.schemas.FeedbackCreate`` has them: ``key`` (the score's name), ``score``
(a number or a boolean), ``value`` (a category, or any JSON), ``comment``, ``run_id``, ``trace_id`` and
``feedback_source.type``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from tokentrail.errors import BadRequest
from tokentrail.ingest.langsmith_runs import as_uuid, span_id_of, to_json, trace_id_of
from tokentrail.store.scores import Score

__all__ = ["FEEDBACK_SOURCES", "feedback_score"]

#: ``feedback_source.type`` -> the score's source; any other is the SDK's.
FEEDBACK_SOURCES: Mapping[str, str] = {"api": "api", "app": "human", "model": "evaluator"}


def feedback_score(
    project: str, feedback: Mapping[str, Any], trace_of: Callable[[uuid.UUID], str | None]
) -> Score:
    """The score of one feedback; ``trace_of(run_id)`` finds the run's trace when the feedback does not
    name it. A feedback no score can hold is a :class:`BadRequest` naming it."""
    name = f"feedback {feedback.get('id', '')}".strip()
    key, run_id = feedback.get("key"), feedback.get("run_id")
    if not key or not run_id:
        raise BadRequest(f"{name}: needs a key and the run_id it is on")
    run = as_uuid(run_id, f"{name}: run_id")
    span_id = span_id_of(run)
    trace = feedback.get("trace_id")
    trace_id = trace_id_of(as_uuid(trace, f"{name}: trace_id")) if trace else trace_of(run)
    if trace_id is None:
        raise BadRequest(f"{name}: no run {run_id} is stored, and the feedback names no trace_id")
    score, value = feedback.get("score"), feedback.get("value")
    source = feedback.get("feedback_source")
    kind = source.get("type") if isinstance(source, Mapping) else None
    try:
        fields: dict[str, Any] = {
            "data_type": "boolean" if isinstance(score, bool) else "numeric",
            "value": None if score is None else float(score),
            "string_value": "" if value is None else (value if isinstance(value, str) else to_json(value)),
        }
        if score is None and value is not None:
            fields["data_type"] = "categorical"
        return Score(
            project=project,
            name=str(key),
            trace_id=trace_id,
            span_id=span_id,
            source=FEEDBACK_SOURCES.get(str(kind), "sdk"),
            comment=str(feedback.get("comment") or ""),
            id=as_uuid(feedback["id"], f"{name}: id").hex if feedback.get("id") else uuid.uuid4().hex,
            **fields,
        )
    except (ValueError, TypeError) as exc:
        raise BadRequest(f"{name}: {exc}") from None
