"""Scores: judgements of quality (numeric, boolean or categorical) on a trace, a span or a session, kept
beside the spans in the ``scores`` table (migration 9).

A score is one row version per change, keyed by (project, trace id, score id): sending a score again with
its id replaces it. A score on a span carries its trace's id too, so a trace's scores are read, expire and
are purged with the trace; a session's score has no trace id. Writers (the scores API, LangSmith's feedback,
Langfuse's scores) resolve the trace of a span they name with :func:`trace_of_span` before saving.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tokentrail.store.database import Store

__all__ = [
    "DATA_TYPES",
    "SCORE_COLUMNS",
    "SOURCES",
    "Score",
    "read_scores",
    "save_scores",
    "trace_of_span",
]

#: What a score's value is: a number, true/false (1.0/0.0), or a category (its ``string_value``).
DATA_TYPES = ("numeric", "boolean", "categorical")
#: Who gave a score.
SOURCES = ("api", "human", "evaluator", "sdk")

SCORE_COLUMNS = (
    "project",
    "trace_id",
    "id",
    "span_id",
    "session_id",
    "name",
    "data_type",
    "value",
    "string_value",
    "source",
    "comment",
    "author",
    "metadata",
    "evaluator",
    "run_id",
    "experiment_id",
    "created_ns",
)


@dataclass(slots=True)
class Score:
    """One judgement; at least one of ``trace_id`` and ``session_id`` says what it is on (``span_id``
    narrows a trace's score to one span)."""

    project: str
    name: str
    trace_id: str = ""
    span_id: str = ""
    session_id: str = ""
    data_type: str = "numeric"
    value: float | None = None
    string_value: str = ""
    source: str = "api"
    comment: str = ""
    author: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    #: The evaluator that gave the score (its name), the id of that evaluation's run (its own trace when
    #: it was traced) and the experiment the score was given in; "" when none.
    evaluator: str = ""
    run_id: str = ""
    experiment_id: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_ns: int = field(default_factory=time.time_ns)

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a score needs a name")
        if not (self.trace_id or self.session_id):
            raise ValueError("a score needs the trace or the session it is on")
        if self.data_type not in DATA_TYPES:
            raise ValueError(f"data_type must be one of {', '.join(DATA_TYPES)}, not {self.data_type!r}")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {self.source!r}")
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError("a score's value must be a finite number")
        if self.data_type == "categorical" and not self.string_value:
            raise ValueError("a categorical score needs its category (string_value)")
        if self.data_type != "categorical" and self.value is None:
            raise ValueError(f"a {self.data_type} score needs a value")
        if self.data_type == "boolean" and self.value not in (0.0, 1.0):
            raise ValueError("a boolean score's value is 1 (true) or 0 (false)")

    def as_row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, column) for column in SCORE_COLUMNS)


def save_scores(store: Store, scores: Iterable[Score]) -> int:
    """Store ``scores`` (replacing any stored with the same project, trace and id); returns how many."""
    rows = [score.as_row() for score in scores]
    if rows:
        now = time.time_ns()
        store.client().insert(
            "scores", [(*row, now) for row in rows], column_names=[*SCORE_COLUMNS, "updated_ns"]
        )
    return len(rows)


def read_scores(
    store: Store,
    project: str,
    *,
    trace_id: str | None = None,
    span_id: str | None = None,
    session_id: str | None = None,
    name: str | None = None,
    evaluator: str | None = None,
    experiment_id: str | None = None,
    limit: int = 100,
) -> list[Score]:
    """The project's scores matching every filter given, newest first."""
    filters: Mapping[str, str | None] = {
        "trace_id": trace_id,
        "span_id": span_id,
        "session_id": session_id,
        "name": name,
        "evaluator": evaluator,
        "experiment_id": experiment_id,
    }
    params: dict[str, Any] = {"project": project, "limit": limit}
    where = ["project = {project:String}"]
    for column, wanted in filters.items():
        if wanted is not None:
            where.append(f"{column} = {{{column}:String}}")
            params[column] = wanted
    rows = store.query_dicts(
        f"SELECT {', '.join(SCORE_COLUMNS)} FROM scores FINAL WHERE {' AND '.join(where)} "
        "ORDER BY created_ns DESC, id LIMIT {limit:UInt32}",
        params,
    )
    return [Score(**{**row, "metadata": dict(row["metadata"])}) for row in rows]


def trace_of_span(store: Store, project: str, span_id: str) -> str | None:
    """The trace holding ``span_id`` in ``project``, if the store has it."""
    rows = store.query(
        "SELECT trace_id FROM spans PREWHERE project = {project:String} WHERE span_id = {span_id:String} "
        "LIMIT 1",
        {"project": project, "span_id": span_id},
    )
    return rows[0][0] if rows else None
