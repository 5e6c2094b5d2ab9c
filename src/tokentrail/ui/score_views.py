"""Scores on the pages: the trace list's score filters, a trace's and a session's scores, and the score
configs the annotate form offers (:mod:`tokentrail.ui.annotate` takes what it posts)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams

from tokentrail.store.database import Store
from tokentrail.store.score_configs import config_json, read_configs
from tokentrail.store.scores import Score, read_scores
from tokentrail.store.trace_scores import ScoreCondition

__all__ = ["score_conditions", "score_row", "session_scores", "span_scores", "trace_scores"]

#: Most scores a page lists for one trace or session.
MAX_LISTED = 500


def score_conditions(params: QueryParams) -> tuple[ScoreCondition, ...]:
    """The trace list's ``score`` filters (``helpful>=0.8``, repeatable; empty ones ignored)."""
    return tuple(ScoreCondition.parse(text) for text in params.getlist("score") if text.strip())


def score_row(score: Score) -> dict[str, Any]:
    """A score as a page lists it."""
    shown = score.string_value if score.data_type == "categorical" else f"{score.value:g}"
    if score.data_type == "boolean":
        shown = "true" if score.value else "false"
    return {**asdict(score), "shown": shown}


async def trace_scores(store: Store, project: str, trace_id: str, span_id: str) -> dict[str, Any]:
    """What the trace page shows of scores: the trace's own, its spans', the selected span's, and the
    project's score configs for the annotate form."""
    scores, configs = await asyncio.gather(
        run_in_threadpool(read_scores, store, project, trace_id=trace_id, limit=MAX_LISTED),
        run_in_threadpool(read_configs, store, project),
    )
    rows = [score_row(score) for score in scores]
    return {
        "trace_scores": [row for row in rows if not row["span_id"]],
        "spans_scores": [row for row in rows if row["span_id"]],
        "span_scores": [row for row in rows if row["span_id"] == span_id],
        "score_configs": [config_json(config) for config in configs],
    }


async def span_scores(store: Store, project: str, trace_id: str, span_id: str) -> list[dict[str, Any]]:
    """The scores on one span, for its detail panel."""
    scores = await run_in_threadpool(
        read_scores, store, project, trace_id=trace_id, span_id=span_id, limit=MAX_LISTED
    )
    return [score_row(score) for score in scores]


async def session_scores(store: Store, project: str, session_id: str) -> list[dict[str, Any]]:
    """A session's own scores (on the session, not on one of its traces)."""
    scores = await run_in_threadpool(
        read_scores, store, project, session_id=session_id, trace_id="", limit=MAX_LISTED
    )
    return [score_row(score) for score in scores]
