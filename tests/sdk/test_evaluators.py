"""Evaluators: a code evaluator's judgement as a score (number, bool, category, value with comment, or
none), registered by name or passed as a function; a name not registered is the server's evaluator."""

from __future__ import annotations

import pytest

from tokentrail.sdk.evaluators import CodeEvaluator, Judged, code_scores, evaluator, resolve, score_body


@pytest.mark.parametrize(
    ("judgement", "fields"),
    [
        (0.25, {"data_type": "numeric", "value": 0.25}),
        (3, {"data_type": "numeric", "value": 3.0}),
        (True, {"data_type": "boolean", "value": 1.0}),
        (False, {"data_type": "boolean", "value": 0.0}),
        ("polite", {"data_type": "categorical", "string_value": "polite"}),
        ({"value": 0.5, "comment": "half"}, {"data_type": "numeric", "value": 0.5, "comment": "half"}),
    ],
)
def test_a_judgement_is_a_score_from_the_evaluator_on_the_trace(judgement, fields):
    body = score_body("quality", judgement, "t" * 32, experiment_id="e1")

    assert body is not None
    assert {key: body[key] for key in fields} == fields
    assert (body["source"], body["evaluator"], body["trace_id"], body["experiment_id"]) == (
        "evaluator",
        "quality",
        "t" * 32,
        "e1",
    )
    assert len(body["run_id"]) == 32


def test_none_judges_nothing_and_another_type_is_refused():
    assert score_body("quality", None, "t" * 32) is None
    assert score_body("quality", {"value": None, "comment": "skipped"}, "t" * 32) is None
    with pytest.raises(TypeError, match="returned a list"):
        score_body("quality", [1], "t" * 32)


def test_registered_names_plain_functions_and_server_names_are_told_apart():
    @evaluator("short")
    def short(input, output, expected):
        return len(output) < 10

    def longer(input, output, expected):
        return len(output)

    code, server = resolve(["short", longer, "helpfulness"])

    assert [one.name for one in code] == ["short", "longer"]
    assert server == ["helpfulness"]
    assert isinstance(short, CodeEvaluator) and short("q", "ok", None) is True
    with pytest.raises(TypeError):
        resolve([42])  # type: ignore[list-item]


def test_a_failing_evaluator_is_reported_and_the_others_still_judge():
    def broken(input, output, expected):
        raise ZeroDivisionError("oops")

    scores, errors = code_scores(
        [CodeEvaluator("broken", broken), CodeEvaluator("same", lambda i, o, e: o == e)],
        Judged("t" * 32, "q", "a", "a"),
    )

    assert [(s["name"], s["value"]) for s in scores] == [("same", 1.0)]
    assert errors == {"broken": "ZeroDivisionError: oops"}
