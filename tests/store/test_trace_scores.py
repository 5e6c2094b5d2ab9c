"""Score conditions as the trace lists take them: a number (or true/false) after any comparison, a
category after ``=``, or a bare name (scored with it at all); anything else is refused with the form it
should have."""

from __future__ import annotations

import pytest

from tokentrail.store.sql import InvalidQuery
from tokentrail.store.trace_scores import ScoreCondition


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("helpful>=0.8", ScoreCondition("helpful", ">=", value=0.8)),
        (" helpful <= 1 ", ScoreCondition("helpful", "<=", value=1.0)),
        ("latency ok!=0", ScoreCondition("latency ok", "!=", value=0.0)),
        ("correct=TRUE", ScoreCondition("correct", "=", value=1.0)),
        ("correct<false", ScoreCondition("correct", "<", value=0.0)),
        ("tone=very polite", ScoreCondition("tone", "=", category="very polite")),
        ("tone=nan", ScoreCondition("tone", "=", category="nan")),
        (" helpful ", ScoreCondition("helpful", "has")),
    ],
)
def test_a_condition_reads_as_its_name_operator_and_value(text, condition):
    assert ScoreCondition.parse(text) == condition


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "<name><op><value>"),
        ("helpful>", "<name><op><value>"),
        (">=1", "<name><op><value>"),
        ("tone>rude", "only ="),
    ],
)
def test_what_is_no_condition_is_refused(text, reason):
    with pytest.raises(InvalidQuery, match=reason):
        ScoreCondition.parse(text)
