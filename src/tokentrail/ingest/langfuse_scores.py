"""Langfuse scores as tokentrail scores: the body the Langfuse SDK sends to ``POST /api/public/scores``
(5.x) and in ``score-create`` events (4.x), read and mapped to :class:`tokentrail.store.scores.Score`.

In OTel mode a Langfuse trace id is the OTel trace id in hex and an observation id the span id, so they
name tokentrail's traces and spans as they are. Langfuse's TEXT and CORRECTION scores carry a string, kept
as a categorical score whose original type is noted in its metadata.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tokentrail.store.scores import Score

__all__ = ["DATA_TYPES", "SOURCES", "LangfuseScore", "problems", "to_score"]

#: Langfuse's score data types -> tokentrail's.
DATA_TYPES = {
    "NUMERIC": "numeric",
    "BOOLEAN": "boolean",
    "CATEGORICAL": "categorical",
    "TEXT": "categorical",
    "CORRECTION": "categorical",
}
#: Langfuse's score sources -> who gave the score in tokentrail's words.
SOURCES = {"API": "api", "ANNOTATION": "human", "EVAL": "evaluator"}
#: The metadata key that keeps a Langfuse data type tokentrail has no own name for.
ORIGINAL_TYPE_KEY = "langfuse.data_type"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class LangfuseScore(BaseModel):
    """One score as Langfuse's API takes it (camelCase; fields tokentrail does not keep are ignored)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    name: str = Field(min_length=1, max_length=200)
    value: float | str
    id: str | None = Field(default=None, max_length=200)
    trace_id: str | None = Field(default=None, alias="traceId")
    observation_id: str | None = Field(default=None, alias="observationId")
    session_id: str | None = Field(default=None, alias="sessionId")
    dataset_run_id: str | None = Field(default=None, alias="datasetRunId")
    data_type: str | None = Field(default=None, alias="dataType")
    comment: str | None = None
    source: str | None = None
    metadata: Any = None
    timestamp: datetime | None = None


def problems(errors: Iterable[Mapping[str, Any]], *, skip: int = 0) -> str:
    """Validation errors (pydantic's) in one line, each led by the field it is about (``skip``: leading
    parts of its location left out, e.g. FastAPI's ``body``)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'][skip:]) or 'body'}: {error['msg']}" for error in errors
    )


def to_score(sent: LangfuseScore, project: str, *, trace_id: str, default_source: str) -> Score:
    """``sent`` as a score of ``project`` (``trace_id``: its trace, resolved by the caller when only an
    observation was named); raise ValueError saying what is wrong with it."""
    if sent.dataset_run_id and not (trace_id or sent.session_id):
        raise ValueError("scores on dataset runs are not supported; score a trace, observation or session")
    langfuse_type = (sent.data_type or ("CATEGORICAL" if isinstance(sent.value, str) else "NUMERIC")).upper()
    data_type = DATA_TYPES.get(langfuse_type)
    if data_type is None:
        raise ValueError(f"dataType must be one of {', '.join(DATA_TYPES)}, not {sent.data_type!r}")
    source = SOURCES.get((sent.source or "").upper(), default_source)
    metadata = _metadata(sent.metadata)
    if data_type != langfuse_type.lower():
        metadata[ORIGINAL_TYPE_KEY] = langfuse_type
    if data_type == "categorical":
        value, string_value = None, str(sent.value)
    elif isinstance(sent.value, str):
        raise ValueError(f"a {langfuse_type} score's value must be a number, not {sent.value!r}")
    else:
        value, string_value = float(sent.value), ""
    fields: dict[str, Any] = {"id": sent.id} if sent.id else {}
    if sent.timestamp is not None:
        # A time without a zone is UTC, as the SDK means it.
        moment = sent.timestamp if sent.timestamp.tzinfo else sent.timestamp.replace(tzinfo=UTC)
        fields["created_ns"] = (moment - _EPOCH) // _MICROSECOND * 1000
    return Score(
        project=project,
        name=sent.name,
        trace_id=trace_id,
        span_id=sent.observation_id or "",
        session_id=sent.session_id or "",
        data_type=data_type,
        value=value,
        string_value=string_value,
        source=source,
        comment=sent.comment or "",
        metadata=metadata,
        **fields,
    )


def _metadata(sent: Any) -> dict[str, str]:
    # Langfuse takes any JSON as metadata; tokentrail keeps strings, so other values are kept as JSON text.
    if sent is None:
        return {}
    if not isinstance(sent, dict):
        return {"metadata": json.dumps(sent)}
    return {str(key): value if isinstance(value, str) else json.dumps(value) for key, value in sent.items()}
