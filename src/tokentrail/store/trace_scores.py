"""Scores in trace lists: filter traces by a score (``helpful>=0.8``, ``tone=polite``), sort them by one
(``score:helpful``), and show each trace's scores as badges.

A trace's score of a name is read from every score of that name on the trace or any of its spans (the
latest version of each, ``FINAL``): its value is their mean (a boolean's mean is the share of true), its
categories all of theirs. A numeric or boolean condition holds for a trace whose mean meets it; a
category condition for a trace with a score in that category. A session's own scores (on no trace) are
in no trace's list.

Filters narrow the traces' summaries by trace id before they are merged (a key condition, see
:mod:`tokentrail.store.sql`), through the scores of the name, grouped per trace; ``scores`` is ordered by
(project, trace id, id), so the badges of a page are a key lookup.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from tokentrail.store.database import Store
from tokentrail.store.sql import InvalidQuery

__all__ = [
    "SCORE_SORT_PREFIX",
    "ScoreBadge",
    "ScoreCondition",
    "score_badges",
    "score_filter",
    "score_sort",
]

#: A trace list sorted by a score: ``score:<name>``.
SCORE_SORT_PREFIX = "score:"

#: Comparison operators, as SQL has them.
_OPERATORS = (">=", "<=", "!=", ">", "<", "=")
_CONDITION = re.compile(r"(?P<name>[^<>=!]+)(?P<op>>=|<=|!=|>|<|=)(?P<value>.+)")
#: Words a boolean score's condition may use for its values.
_BOOLEANS = {"true": 1.0, "false": 0.0}


@dataclass(frozen=True, slots=True)
class ScoreCondition:
    """A condition on a trace's score of ``name``: its mean ``op`` ``value``, (``category``) a score in
    that category, or (op ``has``) any score of that name."""

    name: str
    op: str
    value: float | None = None
    category: str | None = None

    @classmethod
    def parse(cls, text: str) -> ScoreCondition:
        """``helpful>=0.8``, ``correct=true``, ``tone=polite``, or a bare ``helpful`` (scored with it at all);
        anything else is an :class:`InvalidQuery`."""
        found = _CONDITION.fullmatch(text.strip())
        if found is None and text.strip() and not set(text) & set("<>=!"):
            return cls(text.strip(), "has")
        if found is None:
            raise InvalidQuery(
                f"score: {text!r} is not <name><op><value> with op one of {' '.join(_OPERATORS)}"
            )
        name, op, raw = found["name"].strip(), found["op"], found["value"].strip()
        number = _BOOLEANS.get(raw.lower())
        if number is None:
            try:
                number = float(raw)
            except ValueError:
                number = None
        if number is not None and math.isfinite(number):
            return cls(name, op, value=number)
        if op != "=":
            raise InvalidQuery(f"score: {text!r} compares a category; only = applies to one")
        return cls(name, op, category=raw)


class ScoreBadge(TypedDict):
    """One name's scores on a trace, as a list shows them."""

    name: str
    data_type: str
    #: The mean of the numeric or boolean scores (None for categories).
    value: float | None
    #: The categories given, in order.
    categories: list[str]
    count: int


def _scored_traces(params: dict[str, Any], index: int, name: str, having: str) -> str:
    params[f"score_name_{index}"] = name
    return (
        f"trace_id IN (SELECT trace_id FROM scores FINAL PREWHERE project = {{project:String}} "
        f"WHERE trace_id != '' AND name = {{score_name_{index}:String}} GROUP BY trace_id HAVING {having})"
    )


def score_filter(conditions: Sequence[ScoreCondition], params: dict[str, Any]) -> str:
    """``AND`` conditions on ``trace_id`` alone: the traces meeting every score condition (or "")."""
    parts = []
    for index, condition in enumerate(conditions):
        if condition.op == "has":
            having = "count() > 0"
        elif condition.category is not None:
            params[f"score_category_{index}"] = condition.category
            having = f"has(groupArray(string_value), {{score_category_{index}:String}})"
        else:
            params[f"score_value_{index}"] = condition.value
            having = f"avg(value) {condition.op} {{score_value_{index}:Float64}}"
        parts.append(" AND " + _scored_traces(params, index, condition.name, having))
    return "".join(parts)


def score_sort(name: str, descending: bool, params: dict[str, Any]) -> tuple[str, str]:
    """A ``LEFT JOIN`` onto a list's traces adding ``score_value``, the mean of their scores of ``name``,
    and the sort column over it: never null, traces without such a score last in either direction."""
    params["sort_score_name"] = name
    join = (
        " LEFT JOIN (SELECT trace_id, avg(value) AS score_value, 1 AS scored FROM scores FINAL "
        "PREWHERE project = {project:String} WHERE trace_id != '' AND name = {sort_score_name:String} "
        "AND value IS NOT NULL GROUP BY trace_id) AS by_score USING trace_id"
    )
    missing = "-inf" if descending else "inf"
    return join, f"if(scored = 1, score_value, {missing})"


def score_badges(store: Store, project: str, trace_ids: Sequence[str]) -> dict[str, list[ScoreBadge]]:
    """The scores of each of ``trace_ids`` by name (name order), every given id present."""
    badges: dict[str, list[ScoreBadge]] = {trace_id: [] for trace_id in trace_ids}
    if not trace_ids:
        return badges
    rows = store.query(
        "SELECT trace_id, name, any(data_type), avg(value), "
        "groupArrayIf(string_value, data_type = 'categorical'), count() FROM scores FINAL "
        "PREWHERE project = {project:String} AND trace_id IN {ids:Array(String)} "
        "GROUP BY trace_id, name ORDER BY trace_id, name",
        {"project": project, "ids": list(trace_ids)},
    )
    for trace_id, name, data_type, mean, categories, count in rows:
        value = None if data_type == "categorical" or mean is None or math.isnan(mean) else float(mean)
        badges[trace_id].append(
            ScoreBadge(name=name, data_type=data_type, value=value, categories=list(categories), count=count)
        )
    return badges
