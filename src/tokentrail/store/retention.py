"""Retention: how long each project's rows are kept, enforced by the store itself with table TTLs.

Every project keeps its rows for ``TOKENTRAIL_RETENTION_DAYS`` (0: forever) unless the ``retention`` table
(migration 8, one row version per change) gives it its own number of days, so every server sees the same
values. From them each table holding a project's rows (:data:`TRACE_TABLES`) gets one ClickHouse
``TTL ... DELETE WHERE project IN (...)`` rule per number of days, rewritten whenever a retention changes
and at every start: ClickHouse deletes expired rows in its own merges, whichever server wrote them, and
no server runs a deleting job of its own.

A row expires by a time of its own, as a TTL can only read its row: a span by its start, a trace's summary
by the trace's start (``t_start``, its first span), a score by its creation, a LangSmith run part by its
arrival, a media file by its creation. A trace thus leaves the lists as its first span
expires and its later spans follow within the trace's own duration. Expired rows go when ClickHouse next
merges their part with TTLs (``merge_with_ttl_timeout``, 4 hours by default); a changed retention
rewrites the existing parts in the background (``MATERIALIZE TTL``) so old parts that would rarely merge
expire too.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping

from clickhouse_connect.driver.exceptions import ClickHouseError

from tokentrail.config import MAX_RETENTION_DAYS
from tokentrail.errors import StoreUnavailable
from tokentrail.store.cluster import alter_rows, local_table
from tokentrail.store.database import Store

__all__ = [
    "TRACE_TABLES",
    "apply_retention",
    "retention_days",
    "save_retention",
    "stored_projects",
    "ttl",
]

#: The tables holding the rows of a project's traces, each with the column (Unix nanoseconds) its rows
#: expire by.
TRACE_TABLES = {
    "spans": "start_ns",
    "trace_summaries": "t_start",
    "scores": "created_ns",
    "langsmith_runs": "received_ns",
    "media": "created_ns",
    "evaluator_runs": "created_ns",
    "experiment_runs": "started_ns",
}

_DAY_S = 86_400


def retention_days(store: Store) -> dict[str, int]:
    """The projects given a retention of their own, each with its days (0: forever)."""
    rows = store.query("SELECT project, days FROM retention FINAL ORDER BY project")
    return {project: int(days) for project, days in rows}


def stored_projects(store: Store) -> list[str]:
    """The projects with traces in the store."""
    return [row[0] for row in store.query("SELECT DISTINCT project FROM trace_summaries ORDER BY project")]


def save_retention(store: Store, project: str, days: int) -> None:
    """Give ``project`` a retention of ``days`` (0: keep its rows forever), replacing any earlier one."""
    if not 0 <= days <= MAX_RETENTION_DAYS:
        raise ValueError(f"retention must be 0 to {MAX_RETENTION_DAYS} days, got {days}")
    store.client().insert(
        "retention", [(project, days, time.time_ns())], column_names=["project", "days", "updated_ns"]
    )


def ttl(time_column: str, per_project: Mapping[str, int], default_days: int) -> str | None:
    """The TTL rules of a table whose rows expire by ``time_column``; None when nothing expires.

    One rule per number of days, over the projects that keep their rows that long; the default's rule
    covers every project without a retention of its own.
    """
    projects_by_days: dict[int, list[str]] = defaultdict(list)
    for project, days in sorted(per_project.items()):
        projects_by_days[days].append(project)
    rules = [
        f"{_expiry(time_column, days)} DELETE WHERE project IN ({_literals(projects)})"
        for days, projects in sorted(projects_by_days.items())
        if days
    ]
    if default_days:
        others = f" WHERE project NOT IN ({_literals(sorted(per_project))})" if per_project else ""
        rules.append(f"{_expiry(time_column, default_days)} DELETE{others}")
    return ", ".join(rules) or None


def apply_retention(store: Store, default_days: int) -> list[str]:
    """Set every expiring table's TTL from the retentions stored now; returns the tables whose TTL changed.

    Changing a TTL only records it (cheap, so every start can do it); a table whose TTL did change then
    has its existing parts rewritten in the background, so rows already stored expire by the new rules.
    """
    per_project = retention_days(store)
    changed = []
    for table, time_column in TRACE_TABLES.items():
        defined = local_table(table) if store.cluster else table
        before = _definition(store, defined)
        rules = ttl(time_column, per_project, default_days)
        if rules is None and " TTL " not in before:
            continue  # nothing to remove: REMOVE TTL on a table without one is an error
        change = "REMOVE TTL" if rules is None else f"MODIFY TTL {rules}"
        _alter(store, table, change, {"materialize_ttl_after_modify": 0})
        if _definition(store, defined) != before:
            changed.append(table)
            if rules is not None:
                _alter(store, table, "MATERIALIZE TTL", {"mutations_sync": 0})
    return changed


def _expiry(time_column: str, days: int) -> str:
    # Seconds added before the conversion, which saturates at 2106: a DateTime plus an interval would wrap
    # around past it and expire a far-future row at once.
    return f"toDateTime(intDiv({time_column}, 1000000000) + {days * _DAY_S})"


def _literals(projects: list[str]) -> str:
    # Project names are letters, digits, '_', '.' and '-' (tokentrail.projects); escaped all the same,
    # as a TTL takes no query parameters.
    return ", ".join("'" + project.replace("\\", "\\\\").replace("'", "\\'") + "'" for project in projects)


def _definition(store: Store, table: str) -> str:
    rows = store.query(
        "SELECT create_table_query FROM system.tables WHERE database = {db:String} AND name = {table:String}",
        {"db": store.database, "table": table},
    )
    return str(rows[0][0])


def _alter(store: Store, table: str, change: str, settings: dict[str, int]) -> None:
    try:
        store.command(alter_rows(table, change, cluster=store.cluster), settings=settings)
    except ClickHouseError as exc:  # retryable: the retention is stored, the next change or start applies it
        raise StoreUnavailable(f"the store failed to change the TTL of {table}: {exc}") from exc
