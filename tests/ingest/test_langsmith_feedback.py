"""LangSmith feedback as scores: ``key`` names it, a number is numeric, a boolean boolean, a ``value`` alone
categorical; the run's span id follows the SDK's OTel mapping; the trace is the feedback's, else found from
the run; who gave it follows ``feedback_source.type``; a feedback no score can hold is a bad request."""

from __future__ import annotations

import uuid

import pytest

from tokentrail.errors import BadRequest
from tokentrail.ingest.langsmith_feedback import feedback_score

RUN = uuid.UUID("01a2464c-dbc5-76ce-aa35-2ae53e877ecf")
TRACE = uuid.UUID("01a2464c-aaaa-76ce-aa35-2ae53e877ecf")


def nowhere(run_id: uuid.UUID) -> str | None:
    return None


def test_a_numeric_feedback_on_a_run_of_a_named_trace() -> None:
    feedback = {"key": "quality", "score": 0.5, "run_id": str(RUN), "trace_id": str(TRACE), "comment": "meh"}
    score = feedback_score("p", {**feedback, "feedback_source": {"type": "model"}}, nowhere)
    assert (score.name, score.data_type, score.value, score.comment) == ("quality", "numeric", 0.5, "meh")
    assert (score.span_id, score.trace_id, score.source) == (RUN.bytes[:8].hex(), TRACE.hex, "evaluator")


def test_booleans_and_categories_and_a_trace_found_from_the_span() -> None:
    found = {RUN: "f" * 32}.get
    boolean = feedback_score("p", {"key": "ok", "score": True, "run_id": str(RUN)}, found)
    category = feedback_score("p", {"key": "tone", "value": {"label": "kind"}, "run_id": str(RUN)}, found)
    assert (boolean.data_type, boolean.value, boolean.trace_id, boolean.source) == (
        "boolean",
        1.0,
        "f" * 32,
        "sdk",
    )
    assert (category.data_type, category.string_value) == ("categorical", '{"label":"kind"}')


@pytest.mark.parametrize(
    ("feedback", "problem"),
    [
        ({"score": 1, "run_id": str(RUN)}, "needs a key"),
        ({"key": "k", "score": 1, "run_id": "x"}, "not a UUID"),
        ({"key": "k", "score": 1, "run_id": str(RUN)}, "no run"),
        ({"key": "k", "score": "high", "run_id": str(RUN), "trace_id": str(TRACE)}, "could not convert"),
    ],
)
def test_a_feedback_no_score_can_hold_is_a_bad_request(feedback: dict[str, object], problem: str) -> None:
    with pytest.raises(BadRequest, match=problem):
        feedback_score("p", feedback, nowhere)
