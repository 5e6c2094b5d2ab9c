"""What a judge is asked to answer (a JSON schema per score type) and how its answer becomes a verdict.

A numeric or boolean judgement is ``{"score": ..., "reasoning": ...}``, a categorical one
``{"label": ..., "reasoning": ...}``. An answer that is not that object, or whose score is not of the type
(a label outside the categories, a boolean that is neither true nor false), is a :class:`JudgeReplyError`:
the run records it, and no score is made up.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["JudgeReplyError", "Verdict", "answer_schema", "verdict_of"]

#: Score type -> the JSON type of its ``score`` field.
_SCORE_TYPES = {"numeric": "number", "boolean": "boolean"}
#: A JSON object anywhere in a text (a model may wrap it in prose or a code fence).
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


class JudgeReplyError(ValueError):
    """The judge's answer is not a verdict of the evaluator's type."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """A parsed judgement: ``value`` (numeric or boolean as 1/0) or ``label`` (categorical), and why."""

    value: float | None
    label: str
    reasoning: str


def answer_schema(data_type: str, categories: tuple[str, ...]) -> dict[str, Any]:
    """The JSON schema of the answer for a score of ``data_type``."""
    if data_type == "categorical":
        field, spec = "label", {"type": "string", "enum": list(categories)}
    else:
        field, spec = "score", {"type": _SCORE_TYPES[data_type]}
    return {
        "type": "object",
        "properties": {field: spec, "reasoning": {"type": "string"}},
        "required": [field, "reasoning"],
        "additionalProperties": False,
    }


def verdict_of(text: str, data_type: str, categories: tuple[str, ...]) -> Verdict:
    """The verdict in a judge's answer ``text``, or :class:`JudgeReplyError` saying what is wrong."""
    answer = _object_in(text)
    reasoning = answer.get("reasoning", "")
    if not isinstance(reasoning, str):
        raise JudgeReplyError("the answer's reasoning is not text")
    if data_type == "categorical":
        label = answer.get("label")
        if label not in categories:
            raise JudgeReplyError(f"the answer's label {label!r} is not one of {', '.join(categories)}")
        return Verdict(None, str(label), reasoning)
    score = answer.get("score")
    if data_type == "boolean":
        if not isinstance(score, bool | int) or score not in (0, 1):
            raise JudgeReplyError(f"the answer's score {score!r} is not true or false")
        return Verdict(1.0 if score else 0.0, "", reasoning)
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise JudgeReplyError(f"the answer's score {score!r} is not a number")
    return Verdict(float(score), "", reasoning)


def _object_in(text: str) -> dict[str, Any]:
    found = _OBJECT.search(text)
    try:
        answer = json.loads(found[0]) if found else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise JudgeReplyError(f"the answer is not a JSON object: {text[:200]!r}")
    return answer
