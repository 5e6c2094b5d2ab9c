"""Erasure: every row of a trace, a session's traces or a user's traces, gone from the store, the
write-ahead log and the quarantine (the right to be forgotten).

A purge first flushes the writer, so the spans it accepted before are in the store and the log segments
holding them deleted. It then picks the traces by any row version that ever named the session or user
(read without ``FINAL``), and deletes them whole, by trace id: a session's child spans that carry no
session id go with their trace, and a session purge takes the session's own scores too. Each table of
:data:`~tokentrail.store.retention.TRACE_TABLES` (spans, summaries, scores, run parts, media, evaluator
runs) is rewritten by an ``ALTER TABLE ... DELETE`` mutation, which writes new parts without the rows
(every version of them), waited for on every replica (``mutations_sync = 2``); ClickHouse removes the
replaced parts from disk after ``old_parts_lifetime`` (8 minutes by default). Last, the quarantine file is
rewritten without those traces' rows.

A purge erases what was accepted before it; it blocks nothing. A span of a purged trace that arrives
later is stored like any other, so stop the sender first and purge again if some were in flight.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clickhouse_connect.driver.exceptions import ClickHouseError

from tokentrail.errors import StoreUnavailable
from tokentrail.store.cluster import alter_rows
from tokentrail.store.database import Store
from tokentrail.store.retention import TRACE_TABLES
from tokentrail.store.sql import one_of
from tokentrail.store.writer import SpanWriter

__all__ = ["SELECTORS", "Erased", "purge"]

#: What a purge can name, each with the span column that holds it.
SELECTORS = {"trace": "trace_id", "session": "session_id", "user": "user_id"}

#: Longest a purge waits for the writer to insert what it accepted before.
FLUSH_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Erased:
    """What a purge erased: traces and spans from the store, rows from the quarantine."""

    traces: int
    spans: int
    quarantined_rows: int


def purge(store: Store, writer: SpanWriter, project: str, selector: str, value: str) -> Erased:
    """Erase every trace of ``project`` whose spans' ``selector`` (one of :data:`SELECTORS`) is ``value``."""
    if not writer.flush(FLUSH_TIMEOUT_S):
        raise StoreUnavailable("the writer has not inserted what it accepted yet; purge again shortly")
    try:
        trace_ids = _traces(store, project, SELECTORS[selector], value)
        spans = _erase(store, project, trace_ids) if trace_ids else 0
        if selector == "session":  # the session's own scores, on no trace
            _erase_session_scores(store, project, value)
    except ClickHouseError as exc:
        raise StoreUnavailable(f"the store failed to erase: {exc}") from exc
    # A trace named by id is looked for in the quarantine even when the store has none of it.
    quarantined = writer.quarantine.remove(project, [value] if selector == "trace" else trace_ids)
    return Erased(len(trace_ids), spans, quarantined)


def _traces(store: Store, project: str, column: str, value: str) -> list[str]:
    # Every row version: a session id an older version of a span carried is erased too.
    rows = store.query(
        f"SELECT DISTINCT trace_id FROM spans PREWHERE project = {{project:String}} "
        f"WHERE {column} = {{value:String}}",
        {"project": project, "value": value},
    )
    return [row[0] for row in rows]


def _erase_session_scores(store: Store, project: str, session_id: str) -> None:
    delete = alter_rows(
        "scores",
        "DELETE WHERE project = {project:String} AND session_id = {session:String}",
        cluster=store.cluster,
    )
    store.command(delete, {"project": project, "session": session_id}, settings={"mutations_sync": 2})


def _erase(store: Store, project: str, trace_ids: list[str]) -> int:
    """Delete the traces' rows from every table; returns how many distinct spans they held."""
    params: dict[str, Any] = {"project": project}
    where = f"project = {{project:String}} AND {one_of('trace_id', trace_ids, params)}"
    spans = store.query(f"SELECT uniqExact(trace_id, span_id) FROM spans PREWHERE {where}", params)[0][0]
    for table in TRACE_TABLES:
        delete = alter_rows(table, f"DELETE WHERE {where}", cluster=store.cluster)
        store.command(delete, params, settings={"mutations_sync": 2})
    return int(spans)
