"""What a re-pricing job reads and writes: the spans in its scope, their pricing inputs chunk by chunk,
and a scratch table of re-priced rows that ClickHouse copies over the stored ones."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tokentrail.model import PRICED_BY_USAGE
from tokentrail.store import summaries
from tokentrail.store.database import Store
from tokentrail.store.rows import PRICED_COLUMNS, REPRICED_COLUMNS, ScannedSpan
from tokentrail.store.sql import COUNTED_COST

__all__ = [
    "KeyRange",
    "RepriceScope",
    "create_repriced_table",
    "drop_repriced_table",
    "reprice_scan",
    "reprice_scope",
    "write_repriced",
]


@dataclass(frozen=True, slots=True)
class RepriceScope:
    """The spans a re-pricing job may change: a project's spans that started in ``[since_ns, until_ns)``,
    except those whose ``price_source`` is ``keep_source`` (a cost the span reported itself), and with
    ``priced_only`` those that neither are priced by usage nor were priced before."""

    project: str
    since_ns: int
    until_ns: int | None
    keep_source: str
    #: Only LLM and embedding spans and those priced before: with no call rule, nothing else can change.
    priced_only: bool = False


#: A trace id range ``[low, high)`` of the table's order; None leaves that end open.
KeyRange = tuple[str | None, str | None]

# The columns of a ScannedSpan; two are computed.
_COMPUTED = {
    "attributes": "mapFilter((k, v) -> has({attributes:Array(String)}, k), attributes)",
    "duplicate": "duplicate_of != ''",
}
_SCANNED = ", ".join(_COMPUTED.get(field, field) for field in ScannedSpan._fields)

_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _reprice_where(scope: RepriceScope, keys: KeyRange, params: dict[str, Any]) -> str:
    params.update(project=scope.project, since_ns=scope.since_ns, keep_source=scope.keep_source)
    parts = ["project = {project:String}", "start_ns >= {since_ns:Int64}"]
    parts.append("price_source != {keep_source:String}")
    if scope.priced_only:
        params["usage_kinds"] = sorted(kind.value for kind in PRICED_BY_USAGE)
        parts.append("(kind IN {usage_kinds:Array(String)} OR price_source != '')")
    if scope.until_ns is not None:
        params["until_ns"] = scope.until_ns
        parts.append("start_ns < {until_ns:Int64}")
    return " AND ".join(parts + _key_range(keys, params))


def _key_range(keys: KeyRange, params: dict[str, Any], prefix: str = "") -> list[str]:
    low, high = keys
    parts = []
    if low is not None:
        params["key_low"] = low
        parts.append(f"{prefix}trace_id >= {{key_low:String}}")
    if high is not None:
        params["key_high"] = high
        parts.append(f"{prefix}trace_id < {{key_high:String}}")
    return parts


def reprice_scope(store: Store, scope: RepriceScope, samples: int) -> tuple[int, Decimal, list[str]]:
    """How many spans are in scope, what they cost (each counted once), and a sample of their trace ids
    (up to ``samples``) to split the table into chunks of about equal size."""
    params: dict[str, Any] = {}
    where = _reprice_where(scope, (None, None), params)
    rows = store.query(
        f"SELECT count(), {COUNTED_COST}, "
        f"groupArraySample({int(samples)}, 1)(trace_id) FROM spans FINAL WHERE {where}",
        params,
    )
    count, cost, sample = rows[0]
    return int(count), Decimal(cost), list(sample)


def reprice_scan(store: Store, scope: RepriceScope, keys: KeyRange, attributes: Iterable[str]) -> bytes:
    """The spans in scope whose trace id is in ``keys``, as ``JSONCompactEachRow`` lines of
    :class:`~tokentrail.store.rows.ScannedSpan` (decimals as strings); of the raw attributes only
    ``attributes``."""
    params: dict[str, Any] = {"attributes": list(attributes)}
    sql = f"SELECT {_SCANNED} FROM spans FINAL WHERE {_reprice_where(scope, keys, params)}"
    settings = {"output_format_json_quote_decimals": 1, "output_format_json_quote_64bit_integers": 0}
    raw = store.client().raw_query(sql, parameters=params, settings=settings, fmt="JSONCompactEachRow")
    return bytes(raw)


def create_repriced_table(store: Store, table: str) -> None:
    """A scratch table for one job's re-priced rows (:data:`~tokentrail.store.rows.REPRICED_COLUMNS`)."""
    store.client().command(
        f"CREATE TABLE IF NOT EXISTS {_table(table)} (trace_id String, span_id String, ingested_ns Int64, "
        "usage Map(LowCardinality(String), UInt64), "
        "usage_source Map(LowCardinality(String), LowCardinality(String)), "
        "cost Map(LowCardinality(String), Decimal(38, 18)), cost_total Decimal(38, 18), "
        "cost_origin LowCardinality(String), unpriced_reason LowCardinality(String), "
        "price_source LowCardinality(String)) ENGINE = Memory"
    )


def drop_repriced_table(store: Store, table: str) -> None:
    store.client().command(f"DROP TABLE IF EXISTS {_table(table)}")


def write_repriced(store: Store, table: str, project: str, keys: KeyRange, rows: list[bytes]) -> None:
    """Replace the re-priced spans of one trace id range (``rows``: ``JSONCompactEachRow`` lines of
    :data:`~tokentrail.store.rows.REPRICED_COLUMNS`), inside ClickHouse.

    The rows are uploaded into ``table``, then each span's stored row is copied with the new values
    and ``ingested_ns`` one nanosecond later, so the copy replaces it. Only the version that was priced
    is copied (same ``ingested_ns``): a span re-sent while the job ran was priced at ingest with the
    current rules, and it keeps its later ``ingested_ns``, so it still wins over the copy either way.
    Then the summaries of the traces whose rows were copied are refreshed.
    """
    client = store.client()
    name = _table(table)
    client.command(f"TRUNCATE TABLE {name}")
    if not rows:
        return
    client.raw_insert(name, list(REPRICED_COLUMNS), insert_block=b"\n".join(rows), fmt="JSONCompactEachRow")
    params: dict[str, Any] = {"project": project}
    replaced = ", ".join(f"n.{column} AS {column}" for column in PRICED_COLUMNS)
    # The IN reads only the key columns of the range first: the whole rows are read for the matches only.
    matched = f"(s.trace_id, s.span_id) IN (SELECT trace_id, span_id FROM {name})"
    where = " AND ".join(["s.project = {project:String}", *_key_range(keys, params, "s."), matched])
    client.command(
        f"INSERT INTO spans SELECT s.* REPLACE ({replaced}, s.ingested_ns + 1 AS ingested_ns) "
        f"FROM spans AS s INNER JOIN {name} AS n "
        "ON s.trace_id = n.trace_id AND s.span_id = n.span_id AND s.ingested_ns = n.ingested_ns "
        f"WHERE {where}",
        parameters=params,
    )
    summaries.refresh_selected(store, project, f"SELECT trace_id FROM {name}", {})


def _table(name: str) -> str:
    if not _TABLE_NAME.fullmatch(name):
        raise ValueError(f"not a scratch table name: {name!r}")
    return name
