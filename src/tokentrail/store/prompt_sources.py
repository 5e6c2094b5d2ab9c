"""Reads of what filled the prompts (``spans.prompt_sources``, written at ingest by
:mod:`tokentrail.pricing.prompt`): tokens and cost per source over a trace, a session or a time window, and
a session's calls one by one.

A source's cost is worked out here, at read time, from the call's prompt cost as it is priced now (so a
re-priced call's sources follow): the sum of its :data:`~tokentrail.pricing.prompt.PROMPT_COST_TYPES`
costs times the source's share of the call's prompt tokens, truncated to the store's 18 decimals. Only
counted LLM calls are read (not a second layer's copy of a call).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypedDict, cast

from tokentrail.money import sum_money
from tokentrail.pricing.prompt import PROMPT_COST_TYPES
from tokentrail.store.database import Store
from tokentrail.store.sql import MONEY_SUM_TYPE, CostFilter, started_in

__all__ = ["PromptCall", "PromptScope", "SourceRow", "prompt_calls", "source_rows"]

_PROMPT_COST = (
    f"arraySum(x -> CAST(x, '{MONEY_SUM_TYPE}'), "
    f"mapValues(mapFilter((k, v) -> k IN {PROMPT_COST_TYPES!r}, cost)))"
)
_ATTRIBUTED_CALLS = "kind = 'llm' AND duplicate_of = '' AND notEmpty(prompt_sources)"
_SESSION_TRACES = (
    "trace_id IN (SELECT trace_id FROM trace_summaries FINAL "
    "WHERE project = {project:String} AND t_session = {session_id:String})"
)


@dataclass(frozen=True, slots=True)
class PromptScope:
    """Which calls are read: one trace's, one session's, or those that started in a window."""

    trace_id: str | None = None
    session_id: str | None = None
    window: CostFilter | None = None

    def where(self, params: dict[str, Any]) -> str:
        conditions = ""
        if self.trace_id is not None:
            params["trace_id"] = self.trace_id
            conditions += " AND trace_id = {trace_id:String}"
        if self.session_id is not None:
            params["session_id"] = self.session_id
            conditions += f" AND {_SESSION_TRACES}"
        if self.window is not None:
            conditions += started_in(self.window, params)
        return conditions


class SourceRow(TypedDict):
    """One source over the scope: its tokens, their cost, the calls it fed, and how they were counted."""

    source: str
    tokens: int
    cost: Decimal
    calls: int
    methods: list[str]


def source_rows(store: Store, project: str, scope: PromptScope) -> tuple[list[SourceRow], Decimal]:
    """Every source's tokens and cost over the counted calls in ``scope`` (most tokens first), and the
    calls' prompt cost as priced (the sources' costs add up to it but for truncation dust)."""
    params: dict[str, Any] = {"project": project}
    calls = (
        f"SELECT prompt_sources, prompt_method, {_PROMPT_COST} AS prompt_cost, "
        "arraySum(mapValues(prompt_sources)) AS prompt_tokens FROM spans FINAL "
        f"WHERE project = {{project:String}} AND {_ATTRIBUTED_CALLS}{scope.where(params)}"
    )
    # One scan: each call's prompt cost is also summed once, on the row of its first source.
    rows = store.query_dicts(
        "SELECT source, sum(source_tokens) AS tokens, "
        f"sum(CAST(prompt_cost * source_tokens / prompt_tokens, '{MONEY_SUM_TYPE}')) AS cost, "
        "count() AS calls, arraySort(groupUniqArray(prompt_method)) AS methods, "
        "sumIf(prompt_cost, position = 1) AS first_source_of "
        f"FROM ({calls}) ARRAY JOIN mapKeys(prompt_sources) AS source, "
        "mapValues(prompt_sources) AS source_tokens, arrayEnumerate(mapKeys(prompt_sources)) AS position "
        "GROUP BY source ORDER BY tokens DESC, source",
        params,
    )
    total = sum_money(row.pop("first_source_of") for row in rows)
    return cast(list[SourceRow], rows), total


class PromptCall(TypedDict):
    """One counted LLM call with its prompt's sources, in the order the calls started."""

    trace_id: str
    span_id: str
    name: str
    model: str
    start_ns: int
    sources: dict[str, int]
    history: int
    method: str
    prompt_cost: Decimal


def prompt_calls(store: Store, project: str, scope: PromptScope, limit: int) -> list[PromptCall]:
    """The first ``limit`` counted calls in ``scope`` whose prompts were attributed, earliest first."""
    params: dict[str, Any] = {"project": project, "limit": limit}
    rows = store.query_dicts(
        "SELECT trace_id, span_id, name, if(response_model != '', response_model, request_model) AS model, "
        "start_ns, prompt_sources AS sources, prompt_history AS history, prompt_method AS method, "
        f"{_PROMPT_COST} AS prompt_cost FROM spans FINAL "
        f"WHERE project = {{project:String}} AND {_ATTRIBUTED_CALLS}{scope.where(params)} "
        "ORDER BY start_ns, span_id LIMIT {limit:UInt32}",
        params,
    )
    return cast(list[PromptCall], rows)
