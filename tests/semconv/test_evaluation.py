"""The evaluation event read as the score it states: a value, a label or both, its explanation and the
response it judged; a failed evaluation, a nameless one or one stating nothing is no score."""

from __future__ import annotations

import pytest

from tokentrail.semconv.evaluation import Evaluation, evaluation_of


def _event(time_ns=5, **attributes):
    return {"name": "gen_ai.evaluation.result", "time_ns": time_ns, "attributes": attributes}


def test_an_event_states_its_evaluation():
    event = _event(
        **{
            "gen_ai.evaluation.name": "Relevance",
            "gen_ai.evaluation.score.value": 4,
            "gen_ai.evaluation.score.label": "relevant",
            "gen_ai.evaluation.explanation": "on topic",
            "gen_ai.response.id": "chatcmpl-1",
        }
    )

    assert evaluation_of(event) == Evaluation("Relevance", 4.0, "relevant", "on topic", "chatcmpl-1", 5)


@pytest.mark.parametrize(
    "event",
    [
        _event(**{"gen_ai.evaluation.score.value": 1.0}),
        _event(**{"gen_ai.evaluation.name": "x"}),
        _event(**{"gen_ai.evaluation.name": "x", "gen_ai.evaluation.score.value": True}),
        _event(
            **{"gen_ai.evaluation.name": "x", "gen_ai.evaluation.score.value": 1.0, "error.type": "timeout"}
        ),
        {"name": "exception", "time_ns": 1, "attributes": {"gen_ai.evaluation.name": "x"}},
        {"name": "gen_ai.evaluation.result", "attributes": "not a map"},
    ],
    ids=["nameless", "no value or label", "a bool is no value", "failed", "another event", "no attributes"],
)
def test_what_states_no_score_is_none(event):
    assert evaluation_of(event) is None
