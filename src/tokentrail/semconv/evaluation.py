"""The GenAI semantic conventions' evaluation event, ``gen_ai.evaluation.result``: the result of judging
a GenAI operation's output, read as the score it states.

The event SHOULD be parented to the operation span it judges (a span event on it, with OTel's span API);
when the judge does not have that span, it SHOULD carry the ``gen_ai.response.id`` of the completion it
judged instead, and that response's span is the one judged. ``gen_ai.evaluation.name`` is required; a
numeric ``score.value`` and a ``score.label`` are each conditionally required, ``explanation`` is
recommended, and ``error.type`` says the evaluation itself failed (then there is no score to keep).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["EVALUATION_EVENT", "Evaluation", "evaluation_of"]

#: The event's name.
EVALUATION_EVENT = "gen_ai.evaluation.result"
_NAME = "gen_ai.evaluation.name"
_SCORE_VALUE = "gen_ai.evaluation.score.value"
_SCORE_LABEL = "gen_ai.evaluation.score.label"
_EXPLANATION = "gen_ai.evaluation.explanation"
_RESPONSE_ID = "gen_ai.response.id"
_ERROR_TYPE = "error.type"


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What one evaluation event states: the evaluation's name, its numeric value and/or label, why, and
    the response it judged when the event names one."""

    name: str
    value: float | None
    label: str
    explanation: str
    response_id: str
    time_ns: int


def evaluation_of(event: Mapping[str, Any]) -> Evaluation | None:
    """The evaluation a stored span event (``{"name", "time_ns", "attributes"}``) states, or None when it is
    no evaluation event, names no evaluation, failed (``error.type``) or states neither value nor label."""
    attributes = event.get("attributes")
    if event.get("name") != EVALUATION_EVENT or not isinstance(attributes, Mapping):
        return None
    name = _text(attributes.get(_NAME))
    value = _number(attributes.get(_SCORE_VALUE))
    label = _text(attributes.get(_SCORE_LABEL))
    if not name or attributes.get(_ERROR_TYPE) or (value is None and not label):
        return None
    time_ns = event.get("time_ns")
    return Evaluation(
        name=name,
        value=value,
        label=label,
        explanation=_text(attributes.get(_EXPLANATION)),
        response_id=_text(attributes.get(_RESPONSE_ID)),
        time_ns=time_ns if isinstance(time_ns, int) else 0,
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _number(value: object) -> float | None:
    # A bool is an int to Python, but a true/false attribute is no score value.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
