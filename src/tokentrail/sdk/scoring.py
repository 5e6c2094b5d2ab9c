"""``tokentrail.score``: a judgement of quality on a trace, a span or a session, sent to the scores API
(``POST /api/v1/scores``) with the address and key ``init`` was given."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import trace as otel_trace

from tokentrail.sdk.api import request

__all__ = ["score"]

#: A value's Python type -> the score's data type and the field that holds it (bool before int: a bool is
#: an int to Python).
_KINDS: tuple[tuple[type, str, str], ...] = (
    (bool, "boolean", "value"),
    (str, "categorical", "string_value"),
    (int, "numeric", "value"),
    (float, "numeric", "value"),
)


def score(
    name: str,
    value: bool | int | float | str,
    *,
    trace_id: str | None = None,
    span_id: str | None = None,
    session_id: str | None = None,
    comment: str = "",
    data_type: str | None = None,
    id: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Score what is named (a trace, a span of it, a session), or the current span when nothing is.

    ``value`` is a bool (a boolean score), a str (a category) or a number; ``data_type`` overrides what
    the value's type implies (``"boolean"`` with 1 or 0). Give an ``id`` to replace the score later.
    Returns the score as stored; raises :class:`tokentrail.sdk.api.ApiError` when the server refuses it
    (one that does not fit its name's score config, say) and ValueError when there is nothing to score.
    """
    body: dict[str, Any] = {
        "name": name,
        "source": "sdk",
        "comment": comment,
        "metadata": dict(metadata or {}),
    }
    body.update(_value_fields(value, data_type))
    if trace_id is None and span_id is None and session_id is None:
        current = otel_trace.get_current_span().get_span_context()
        if not current.is_valid:
            raise ValueError("no trace, span or session given, and no span is current to score")
        trace_id, span_id = f"{current.trace_id:032x}", f"{current.span_id:016x}"
    targets = {"trace_id": trace_id, "span_id": span_id, "session_id": session_id, "id": id}
    body.update({field: given for field, given in targets.items() if given is not None})
    (stored,) = request("POST", "/api/v1/scores", json=[body])["scores"]
    return dict(stored)


def _value_fields(value: bool | int | float | str, data_type: str | None) -> dict[str, Any]:
    for kind, implied, field in _KINDS:
        if isinstance(value, kind):
            return {"data_type": data_type or implied, field: float(value) if field == "value" else value}
    raise TypeError(f"a score's value is a bool, a number or a str, not {type(value).__name__}")
