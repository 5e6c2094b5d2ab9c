"""Scores from OpenTelemetry evaluation events (``gen_ai.evaluation.result``, see
:mod:`tokentrail.semconv.evaluation`), derived from the spans the store holds.

The events travel inside their span, so they are as durable as it is: the writer logs the span, inserts
it, and then has the traces it touched settled (:class:`tokentrail.ingest.duplicates.TraceSettler`), which
calls :func:`score_evaluations` before the write-ahead log lets the span go. A crash in between replays the
span and derives its scores again; each score's id is a function of the span it was on, the event's time
and the evaluation's name, so deriving again (or the span sent again) replaces the same score.

The score is on the span that carries the event, unless the event names a ``gen_ai.response.id`` that a
stored span of the project answered: then that span is the one judged, and the carrying span's trace is the
evaluation's run. Scores from events are not checked against score configs: the span is acknowledged
before they exist, and a score that does not fit would have nowhere to be refused.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

import orjson

from tokentrail.semconv.evaluation import EVALUATION_EVENT, Evaluation, evaluation_of
from tokentrail.store.database import Store
from tokentrail.store.scores import Score, save_scores
from tokentrail.store.sql import one_of

__all__ = ["score_evaluations"]

logger = logging.getLogger(__name__)


class _Carrier(NamedTuple):
    trace_id: str
    span_id: str
    evaluation: Evaluation


def score_evaluations(store: Store, project: str, touched: Mapping[str, Collection[str]]) -> int:
    """Save the scores the evaluation events of the ``touched`` spans (trace id -> span ids) state;
    returns how many."""
    carriers = _carriers(store, project, touched)
    if not carriers:
        return 0
    judged = _spans_answering(store, project, {c.evaluation.response_id for c in carriers} - {""})
    return save_scores(store, [_score(project, carrier, judged) for carrier in carriers])


def _carriers(store: Store, project: str, touched: Mapping[str, Collection[str]]) -> list[_Carrier]:
    params: dict[str, Any] = {"project": project, "event": EVALUATION_EVENT}
    traces = one_of("trace_id", touched.keys(), params, "traces")
    spans = one_of("span_id", {span for ids in touched.values() for span in ids}, params, "spans")
    rows = store.query(
        f"SELECT trace_id, span_id, events FROM spans PREWHERE project = {{project:String}} AND {traces} "
        f"AND {spans} WHERE position(events, {{event:String}}) > 0 LIMIT 1 BY trace_id, span_id",
        params,
    )
    carriers = []
    for trace_id, span_id, events in rows:
        try:
            decoded = orjson.loads(events)
        except orjson.JSONDecodeError:  # cut short by the payload limit: its events cannot be read
            logger.warning("the events of span %s of trace %s cannot be read", span_id, trace_id)
            continue
        for event in decoded if isinstance(decoded, list) else []:
            evaluation = evaluation_of(event) if isinstance(event, Mapping) else None
            if evaluation is not None:
                carriers.append(_Carrier(trace_id, span_id, evaluation))
    return carriers


def _spans_answering(store: Store, project: str, response_ids: Collection[str]) -> dict[str, tuple[str, str]]:
    """The (trace id, span id) of the stored span that answered each of ``response_ids``, where one did."""
    if not response_ids:
        return {}
    rows = store.query(
        "SELECT response_id, any(trace_id), any(span_id) FROM spans PREWHERE project = {project:String} "
        "WHERE response_id IN {responses:Array(String)} GROUP BY response_id",
        {"project": project, "responses": sorted(response_ids)},
    )
    return {response_id: (trace_id, span_id) for response_id, trace_id, span_id in rows}


def _score(project: str, carrier: _Carrier, judged: Mapping[str, tuple[str, str]]) -> Score:
    evaluation = carrier.evaluation
    trace_id, span_id = judged.get(evaluation.response_id, (carrier.trace_id, carrier.span_id))
    key = f"{carrier.trace_id}/{carrier.span_id}/{evaluation.time_ns}/{evaluation.name}"
    return Score(
        project=project,
        name=evaluation.name,
        trace_id=trace_id,
        span_id=span_id,
        data_type="numeric" if evaluation.value is not None else "categorical",
        value=evaluation.value,
        string_value=evaluation.label,
        source="evaluator",
        comment=evaluation.explanation,
        evaluator=evaluation.name,
        # Judged elsewhere: the trace that carried the event is the evaluation's own.
        run_id="" if trace_id == carrier.trace_id else carrier.trace_id,
        id=hashlib.sha256(key.encode()).hexdigest()[:32],
        created_ns=evaluation.time_ns,
    )
