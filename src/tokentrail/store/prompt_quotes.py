"""What re-attributing prompts to the documents they quote reads and writes: the retrievals of the traces an
insert touched, the LLM calls that may quote them, and a call's new sources as a new version of its row
(the replacement duplicate marks use: the row copied with a later ``ingested_ns``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

from tokentrail.store.database import Store
from tokentrail.store.sql import one_of

__all__ = ["QuotingCall", "Retrieval", "SourcesUpdate", "quoting_calls", "retrievals", "write_sources"]


class Retrieval(NamedTuple):
    trace_id: str
    span_id: str
    name: str
    start_ns: int
    output: str


class QuotingCall(NamedTuple):
    """An LLM call whose prompt may quote a retrieval, with what attributing it needs and its sources now."""

    trace_id: str
    span_id: str
    model: str
    input: str
    reported: int
    sources: dict[str, int]
    history: int
    method: str


class SourcesUpdate(NamedTuple):
    trace_id: str
    span_id: str
    sources: dict[str, int]
    history: int
    method: str


def retrievals(store: Store, project: str, touched: Mapping[str, Collection[str]]) -> list[Retrieval]:
    """The retrieval spans holding documents of the ``touched`` traces (trace id -> ids of its spans just
    inserted) whose new spans include an LLM call or a retrieval: a batch of other spans reads nothing."""
    params: dict[str, Any] = {
        "project": project,
        "keys": [(trace_id, span_id) for trace_id, spans in touched.items() for span_id in spans],
    }
    in_touched = f"project = {{project:String}} AND {one_of('trace_id', touched, params)}"
    rows = store.query(
        f"SELECT trace_id, span_id, name, start_ns, output FROM spans FINAL PREWHERE {in_touched} "
        "WHERE kind = 'retrieval' AND output != '' AND trace_id IN ("
        f"  SELECT trace_id FROM spans PREWHERE {in_touched} "
        "  WHERE (trace_id, span_id) IN {keys:Array(Tuple(String, String))} "
        "  AND kind IN ('llm', 'retrieval'))",
        params,
    )
    return [Retrieval(*row) for row in rows]


def quoting_calls(
    store: Store, project: str, new_calls: Mapping[str, Collection[str]], since: Mapping[str, int]
) -> list[QuotingCall]:
    """The LLM calls with captured prompts that are new (trace id -> span ids) or started at or after
    ``since`` (trace id -> the start of a retrieval new to the trace)."""
    params: dict[str, Any] = {
        "project": project,
        "keys": [(trace_id, span_id) for trace_id, spans in new_calls.items() for span_id in spans],
        "since": list(since.items()),
    }
    traces = {*new_calls, *since}
    rows = store.query(
        "SELECT trace_id, span_id, if(response_model != '', response_model, request_model), input, "
        "usage['input'], prompt_sources, prompt_history, prompt_method FROM spans FINAL "
        f"PREWHERE project = {{project:String}} AND {one_of('trace_id', traces, params, 'traces')} "
        "WHERE kind = 'llm' AND input != '' AND ((trace_id, span_id) IN {keys:Array(Tuple(String, String))} "
        "OR arrayExists(after -> after.1 = trace_id AND start_ns >= after.2, "
        "{since:Array(Tuple(String, Int64))}))",
        params,
    )
    return [
        QuotingCall(trace_id, span_id, model, text, int(reported), dict(sources), int(history), method)
        for trace_id, span_id, model, text, reported, sources, history, method in rows
    ]


def write_sources(store: Store, project: str, updates: Sequence[SourcesUpdate]) -> None:
    """Give each call in ``updates`` its new prompt sources, as a new version of its stored row."""
    if not updates:
        return
    store.command(
        "INSERT INTO spans SELECT s.* REPLACE (u.sources AS prompt_sources, u.history AS prompt_history, "
        "u.method AS prompt_method, s.ingested_ns + 1 AS ingested_ns) "
        "FROM spans AS s FINAL INNER JOIN ("
        "  SELECT tupleElement(update, 1) AS trace_id, tupleElement(update, 2) AS span_id, "
        "  mapFromArrays(tupleElement(update, 3), tupleElement(update, 4)) AS sources, "
        "  tupleElement(update, 5) AS history, tupleElement(update, 6) AS method FROM (SELECT arrayJoin("
        "  {updates:Array(Tuple(String, String, Array(String), Array(UInt64), UInt64, String))}) AS update)"
        ") AS u ON s.trace_id = u.trace_id AND s.span_id = u.span_id "
        "WHERE s.project = {project:String} AND s.trace_id IN {ids:Array(String)}",
        {
            "project": project,
            # A map does not bind as a parameter: its keys and values travel as two arrays.
            "updates": [
                (trace_id, span_id, list(sources), list(sources.values()), history, method)
                for trace_id, span_id, sources, history, method in updates
            ],
            "ids": sorted({update.trace_id for update in updates}),
        },
    )
