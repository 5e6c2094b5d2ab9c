"""Evaluators: what judges an output. A code evaluator is a Python function ``(input, output, expected)``
returning a number, a bool, a category (str), ``{"value": ..., "comment": ...}`` or None (no judgement);
registered by name with ``@tokentrail.evaluator("name")`` or passed as is. A string names a registered
code evaluator, else an LLM-judge evaluator the server runs (``POST /api/v1/evaluators/{name}/run``).

Each judgement becomes a score (``source="evaluator"``, the evaluator's name, a run id of its own) on the
judged trace; one given in an experiment carries the experiment's id.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tokentrail.sdk.api import request

__all__ = [
    "CodeEvaluator",
    "Judged",
    "code_scores",
    "evaluator",
    "judge_scores",
    "resolve",
    "score_body",
]

_logger = logging.getLogger("tokentrail.sdk")

#: A code evaluator's function: (input, output, expected output) -> judgement.
EvaluatorFunction = Callable[[Any, Any, Any], Any]
#: Traces one call of a server evaluator judges (the API's limit).
_JUDGE_BATCH = 100
#: Waits for the server to store a judged trace before giving up on it (seconds, doubling).
_TRACE_WAITS = (0.25, 0.5, 1.0, 2.0, 4.0)
_NOT_STORED = "trace not found"


@dataclass(frozen=True)
class CodeEvaluator:
    """A named Python function that judges an output."""

    name: str
    function: EvaluatorFunction

    def __call__(self, input: Any, output: Any, expected: Any) -> Any:
        return self.function(input, output, expected)


_REGISTERED: dict[str, CodeEvaluator] = {}


def evaluator(name: str) -> Callable[[EvaluatorFunction], CodeEvaluator]:
    """Register the decorated function as the code evaluator ``name``."""

    def register(function: EvaluatorFunction) -> CodeEvaluator:
        registered = _REGISTERED[name] = CodeEvaluator(name, function)
        return registered

    return register


def resolve(
    evaluators: Iterable[CodeEvaluator | EvaluatorFunction | str],
) -> tuple[list[CodeEvaluator], list[str]]:
    """The code evaluators (a plain function named by itself) and the names of server evaluators."""
    code: list[CodeEvaluator] = []
    server: list[str] = []
    for given in evaluators:
        if isinstance(given, CodeEvaluator):
            code.append(given)
        elif isinstance(given, str):
            if given in _REGISTERED:
                code.append(_REGISTERED[given])
            else:
                server.append(given)
        elif callable(given):
            code.append(CodeEvaluator(getattr(given, "__name__", "evaluator"), given))
        else:
            raise TypeError(f"an evaluator is a function or a name, not {type(given).__name__}")
    return code, server


#: A judgement's Python type -> (score data type, the score's fields for the value).
_KINDS: tuple[tuple[type | tuple[type, ...], str, Callable[[Any], dict[str, Any]]], ...] = (
    (bool, "boolean", lambda value: {"value": 1.0 if value else 0.0}),
    ((int, float), "numeric", lambda value: {"value": float(value)}),
    (str, "categorical", lambda value: {"string_value": value}),
)


def score_body(
    name: str, judgement: Any, trace_id: str, *, experiment_id: str = "", run_id: str = ""
) -> dict[str, Any] | None:
    """The score (as ``POST /api/v1/scores`` takes it) for ``judgement``; None for no judgement."""
    comment = ""
    if isinstance(judgement, Mapping):
        comment, judgement = str(judgement.get("comment") or ""), judgement.get("value")
    if judgement is None:
        return None
    for kind, data_type, fields in _KINDS:
        if isinstance(judgement, kind):
            return {
                "name": name,
                "trace_id": trace_id,
                "data_type": data_type,
                **fields(judgement),
                "comment": comment,
                "source": "evaluator",
                "evaluator": name,
                "run_id": run_id or uuid.uuid4().hex,
                "experiment_id": experiment_id,
            }
    raise TypeError(f"evaluator {name!r} returned a {type(judgement).__name__}; return a number, bool or str")


@dataclass(frozen=True)
class Judged:
    """One trace to judge: its input, output and the expected output."""

    trace_id: str
    input: Any
    output: Any
    expected: Any = None


def code_scores(
    evaluators: Sequence[CodeEvaluator], judged: Judged, *, experiment_id: str = ""
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Each code evaluator's score of ``judged`` and the errors of those that failed, by name."""
    scores, errors = [], {}
    for one in evaluators:
        try:
            body = score_body(
                one.name,
                one(judged.input, judged.output, judged.expected),
                judged.trace_id,
                experiment_id=experiment_id,
            )
        except Exception as exc:  # an evaluator's bug judges nothing; the others still run
            _logger.warning(
                "tokentrail: evaluator %s failed on trace %s", one.name, judged.trace_id, exc_info=True
            )
            errors[one.name] = f"{type(exc).__name__}: {exc}"
            continue
        if body is not None:
            scores.append(body)
    return scores, errors


def judge_scores(
    name: str, judged: Sequence[Judged], *, experiment_id: str = ""
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The server evaluator ``name``'s scores of ``judged`` and its errors by trace id. A trace the server
    has not stored yet is asked again after a wait (its spans were just sent)."""
    pending = {one.trace_id: one for one in judged}
    scores: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for wait in (*_TRACE_WAITS, None):
        not_stored: dict[str, Judged] = {}
        batch = list(pending.values())
        for start in range(0, len(batch), _JUDGE_BATCH):
            body = {
                "traces": [
                    {"trace_id": one.trace_id, "expected": one.expected}
                    for one in batch[start : start + _JUDGE_BATCH]
                ],
                "experiment_id": experiment_id,
            }
            answer = request("POST", f"/api/v1/evaluators/{name}/run", json=body, timeout=300)
            scores += answer["scores"]
            for run in answer["runs"]:
                if run["error"] == _NOT_STORED and wait is not None:
                    not_stored[run["trace_id"]] = pending[run["trace_id"]]
                elif run["error"]:
                    errors[run["trace_id"]] = run["error"]
        if not not_stored or wait is None:
            break
        pending = not_stored
        time.sleep(wait)
    return scores, errors
