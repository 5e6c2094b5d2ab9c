"""Langfuse scores mapped to tokentrail's: each data type and source by its table, the type inferred from
the value when not given, the score's own time kept, any JSON metadata kept as text, and a score that
cannot be one refused with the reason."""

from __future__ import annotations

import pytest

from tokentrail.ingest.langfuse_scores import LangfuseScore, to_score

TRACE = "e5" * 16


def mapped(default_source="sdk", **sent):
    return to_score(
        LangfuseScore.model_validate({"name": "n", **sent}),
        "shop",
        trace_id=TRACE,
        default_source=default_source,
    )


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ({"value": 0.3}, ("numeric", 0.3, "")),
        ({"value": 2, "dataType": "NUMERIC"}, ("numeric", 2.0, "")),
        ({"value": 1, "dataType": "BOOLEAN"}, ("boolean", 1.0, "")),
        ({"value": "good"}, ("categorical", None, "good")),
        ({"value": "bad", "dataType": "categorical"}, ("categorical", None, "bad")),
        ({"value": "fix this", "dataType": "CORRECTION"}, ("categorical", None, "fix this")),
    ],
)
def test_each_data_type_maps_to_a_value_or_a_category(sent, expected):
    score = mapped(**sent)

    assert (score.data_type, score.value, score.string_value) == expected


@pytest.mark.parametrize(
    ("source", "expected"), [(None, "sdk"), ("API", "api"), ("ANNOTATION", "human"), ("EVAL", "evaluator")]
)
def test_the_source_says_who_gave_the_score(source, expected):
    assert mapped(value=1, **({"source": source} if source else {})).source == expected


def test_the_score_keeps_its_time_ids_and_metadata_as_text():
    score = mapped(
        value=1,
        id="s-9",
        observationId="f6" * 8,
        timestamp="2026-03-04T05:06:07.123456",
        metadata={"who": "ana", "tags": ["a"], "n": 1},
    )

    assert (score.id, score.trace_id, score.span_id, score.project) == ("s-9", TRACE, "f6" * 8, "shop")
    assert score.created_ns == 1772600767123456000  # no zone given: UTC
    assert score.metadata == {"who": "ana", "tags": '["a"]', "n": "1"}


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        ({"value": "x", "dataType": "BOOLEAN"}, "must be a number"),
        ({"value": 0.4, "dataType": "BOOLEAN"}, "1 (true) or 0"),
        ({"value": 1, "dataType": "RANKING"}, "dataType must be one of"),
        ({"value": float("nan")}, "finite"),
    ],
)
def test_what_cannot_be_a_score_is_refused_with_the_reason(sent, reason):
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        mapped(**sent)
