"""A judge's answer becomes a verdict of the evaluator's type, or an error: never a made-up score."""

from __future__ import annotations

import pytest

from tokentrail.evaluators.parse import JudgeReplyError, Verdict, answer_schema, verdict_of

CATEGORIES = ("good", "bad")


@pytest.mark.parametrize(
    ("text", "data_type", "expected"),
    [
        ('{"score": 0.8, "reasoning": "close"}', "numeric", Verdict(0.8, "", "close")),
        ('{"score": 3, "reasoning": ""}', "numeric", Verdict(3.0, "", "")),
        ('{"score": true, "reasoning": "yes"}', "boolean", Verdict(1.0, "", "yes")),
        ('{"score": 0, "reasoning": "no"}', "boolean", Verdict(0.0, "", "no")),
        ('{"label": "bad", "reasoning": "rude"}', "categorical", Verdict(None, "bad", "rude")),
        ('Sure! ```json\n{"score": 1, "reasoning": "ok"}\n```', "numeric", Verdict(1.0, "", "ok")),
    ],
)
def test_an_answer_of_the_type_is_read_into_a_verdict(text, data_type, expected):
    assert verdict_of(text, data_type, CATEGORIES) == expected


@pytest.mark.parametrize(
    ("text", "data_type", "problem"),
    [
        ("I think it is fine.", "numeric", "not a JSON object"),
        ('{"score": "high", "reasoning": ""}', "numeric", "not a number"),
        ('{"score": true, "reasoning": ""}', "numeric", "not a number"),
        ('{"score": 0.5, "reasoning": ""}', "boolean", "not true or false"),
        ('{"label": "great", "reasoning": ""}', "categorical", "not one of good, bad"),
        ('{"score": 1, "reasoning": 5}', "numeric", "reasoning is not text"),
        ('{"score": 1, "reasoning": "x"', "numeric", "not a JSON object"),
    ],
)
def test_an_answer_not_of_the_type_is_an_error(text, data_type, problem):
    with pytest.raises(JudgeReplyError, match=problem):
        verdict_of(text, data_type, CATEGORIES)


def test_the_schema_asks_for_a_label_among_the_categories_or_a_typed_score():
    assert answer_schema("categorical", CATEGORIES)["properties"]["label"] == {
        "type": "string",
        "enum": ["good", "bad"],
    }
    assert answer_schema("boolean", ())["properties"]["score"] == {"type": "boolean"}
    assert answer_schema("numeric", ())["required"] == ["score", "reasoning"]
