"""Per-trace summaries: one row per trace in ``trace_summaries`` holding the aggregates that trace and
session lists filter, sort and show, so a list reads one small row per trace instead of aggregating every
span of the project through ``FINAL``.

A summary is computed inside ClickHouse by the very aggregates a query over the spans uses
(:func:`tokentrail.store.sql.aggregates`), from the spans' latest rows, and written as a new version of
the trace's row (``ReplacingMergeTree(version)``). ``version`` is the sum of the trace's row versions
(``ingested_ns``): it grows with every span added and every row replaced, so of two refreshes of one trace
(two servers, a retry) the one that saw more wins, in whatever order they land and whatever the servers'
clocks say.

Whatever rewrites span rows refreshes the summaries of the traces it touched, after its last write:
the writer's batches once their duplicate marks are settled (:mod:`tokentrail.ingest.duplicates`), and
re-pricing (:func:`tokentrail.store.reprice.write_repriced`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from clickhouse_connect.driver.exceptions import ClickHouseError

from tokentrail.errors import StoreUnavailable
from tokentrail.store.sql import aggregates, one_of

if TYPE_CHECKING:  # the schema's migration 6 is BACKFILL, and the store imports the schema
    from tokentrail.store.database import Store

__all__ = ["BACKFILL", "SUMMARY_AGGREGATES", "any_summary_where", "refresh", "refresh_selected", "summarized"]

#: The aggregates a summary holds, each a column of ``trace_summaries`` under its name: all but the root
#: span's payloads, which only one session's page shows (read from its spans).
SUMMARY_AGGREGATES = (
    "t_start",
    "t_end",
    "t_duration",
    "t_spans",
    "t_cost",
    "t_usage",
    "t_cost_by_type",
    "t_errors",
    "t_unpriced",
    "t_roots",
    "t_name",
    "t_session",
    "t_user",
    "t_service",
    "t_models",
    "t_services",
    "t_tags",
)

# Each span's latest row counted once (FINAL), so a re-sent span adds nothing and a replaced row adds
# the nanoseconds it moved forward. Int128: a trace of any size sums without wrapping around.
_VERSION = "sum(toInt128(ingested_ns))"


def _summarize(span_where: str) -> str:
    """SQL writing a new summary of every trace with spans where ``span_where`` holds."""
    return (
        f"INSERT INTO trace_summaries (project, trace_id, version, {', '.join(SUMMARY_AGGREGATES)}) "
        f"SELECT project, trace_id, {_VERSION}, {aggregates(SUMMARY_AGGREGATES)} "
        f"FROM spans FINAL {span_where} GROUP BY project, trace_id"
    )


#: Summarizes every trace stored (migration 6, for the spans stored before it). Running it twice, or
#: alongside refreshes, changes nothing: an equal version replaces an equal row.
BACKFILL = _summarize("")


def refresh(store: Store, project: str, trace_ids: Sequence[str]) -> None:
    """Summarize the given traces of ``project`` again, from their spans as stored now."""
    if trace_ids:
        params: dict[str, Any] = {"project": project}
        _write(store, one_of("trace_id", trace_ids, params), params)


def refresh_selected(store: Store, project: str, select_ids: str, parameters: dict[str, Any]) -> None:
    """Summarize again the traces of ``project`` whose ids ``select_ids`` selects (SQL, with
    ``parameters``): ids that stay in ClickHouse, such as a scratch table's."""
    _write(store, f"trace_id IN ({select_ids})", {**parameters, "project": project})


def _write(store: Store, traces: str, parameters: dict[str, Any]) -> None:
    try:
        store.command(_summarize(f"PREWHERE project = {{project:String}} AND {traces}"), parameters)
    except ClickHouseError as exc:
        # Retryable, not logged and dropped: a summary left behind would hide a trace's latest spans from
        # every list until the trace changes again. The writer retries (it keeps the batch's traces and
        # its log); a re-pricing job fails, with its changed rows written but maybe not summarized.
        raise StoreUnavailable(f"the store failed to summarize traces: {exc}") from exc


def any_summary_where(condition: str) -> str:
    """A ``traces`` narrowing for :func:`summarized`: the traces with a summary, of any version, where
    ``condition`` holds. Read without ``FINAL``, so cheap, and a superset: the condition must be checked
    again on the latest summaries. Narrows a read by a selective condition (one session) to a few rows
    before ``FINAL`` merges them."""
    return (
        " AND trace_id IN (SELECT trace_id FROM trace_summaries "
        f"WHERE project = {{project:String}} AND {condition})"
    )


def summarized(names: Iterable[str], traces: str = "") -> str:
    """SQL reading the named aggregates from the latest summary of each trace of ``{project}``;
    ``traces`` (``AND`` a condition on ``trace_id`` alone, applied before ``FINAL``: see
    :mod:`tokentrail.store.sql`) narrows them. Conditions on the aggregates belong around it."""
    columns = ", ".join(dict.fromkeys(names))
    return (
        f"SELECT trace_id, {columns} FROM trace_summaries FINAL "
        f"PREWHERE project = {{project:String}} {traces}"
    )
