"""One handle on the ClickHouse store, embedded (chDB) or a server, through ``clickhouse-connect``.

Reads use one client per thread (a client's session state is not shared between threads); writes go
through :meth:`Store.insert_json_rows`, which only the writer's thread calls.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError
from clickhouse_connect.driver.query import QueryResult

from tokentrail.errors import StoreUnavailable
from tokentrail.store.cluster import check_cluster_name, render
from tokentrail.store.schema import MIGRATIONS

__all__ = ["DATA_ERROR_CODES", "EMBEDDED_SETTINGS", "MIGRATIONS_TABLE", "RowsRefused", "Store"]

#: Where the applied migrations are recorded. Replacing by version: servers that start at once and
#: apply the same migration record it once (its statements may run twice, so each can).
MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, description String, "
    "applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree ORDER BY version"
)

#: ClickHouse error codes that mean an insert's data was refused, so the same rows would be refused
#: again: parse errors (6, 26, 27, 32, 33, 38, 41, 72, 130, 563), values a column cannot hold (53, 69,
#: 70, 117, 128, 131, 321, 349, 407). Anything else (a network error, too many parts, memory) passes.
DATA_ERROR_CODES = frozenset(
    {6, 26, 27, 32, 33, 38, 41, 53, 69, 70, 72, 117, 128, 130, 131, 321, 349, 407, 563}
)
#: Settings of every embedded (chDB) session: ClickHouse logs each query, its processors and its views
#: into system tables when they are configured, which would grow beside the spans without end (thousands
#: of queries an hour). chDB configures none of them (no query, part, metric, trace or text log; see
#: docs/operations.md); these keep the per-query ones empty should a chDB build or config add them.
EMBEDDED_SETTINGS = {
    "log_queries": 0,
    "log_query_threads": 0,
    "log_query_views": 0,
    "log_processors_profiles": 0,
}
_CODE = re.compile(r"Code: (\d+)\.")
_DEFAULT_MAX_QUERY_SIZE = 262_144


class RowsRefused(Exception):
    """The store refused the rows of an insert as data: inserting them again would fail again."""


class Store:
    """A ClickHouse database holding tokentrail's tables, created and migrated on open; with ``cluster``,
    on every node of that ClickHouse cluster (see tokentrail.store.cluster)."""

    def __init__(self, url: str, database: str = "tokentrail", *, cluster: str | None = None) -> None:
        if not database.replace("_", "").isalnum():
            raise ValueError(f"database name must be letters, digits and '_': {database!r}")
        self.url = url
        self.database = database
        self.cluster = None if cluster is None else check_cluster_name(cluster)
        self._local = threading.local()
        self._clients: list[Client] = []
        self._clients_lock = threading.Lock()
        scheme = urlparse(url).scheme
        if scheme == "chdb":
            if cluster is not None:
                raise ValueError("a ClickHouse cluster needs a server store URL (http:// or https://)")
            # chdb://DIR, relative or absolute: always handed on as one absolute directory.
            directory = Path(_chdb_path(url)).expanduser().resolve()
            directory.mkdir(parents=True, exist_ok=True)
            self.url = f"chdb://{directory}"
        elif scheme not in ("http", "https"):
            raise ValueError(f"store URL must start with chdb://, http:// or https://, got {url!r}")
        bootstrap = self._new_client(database=None)
        # On a cluster every DDL statement waits for all nodes: a start with nothing to create runs none.
        if not bootstrap.command(f"EXISTS DATABASE {database}"):
            self._apply(bootstrap, f"CREATE DATABASE IF NOT EXISTS {database}")
        self.migrate()

    @property
    def embedded(self) -> bool:
        return self.url.startswith("chdb:")

    @property
    def directory(self) -> Path | None:
        """The embedded store's data directory; None for a server."""
        return Path(_chdb_path(self.url)) if self.embedded else None

    def client(self) -> Client:
        """This thread's client, opened on first use."""
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            client = self._new_client(database=self.database)
            self._local.client = client
        return client

    def migrate(self) -> list[int]:
        """Apply the migrations this database has not seen; returns the versions applied now."""
        client = self.client()
        if not client.command("EXISTS TABLE schema_migrations"):
            self._apply(client, MIGRATIONS_TABLE)
        done = {row[0] for row in client.query("SELECT version FROM schema_migrations").result_rows}
        applied = []
        for migration in MIGRATIONS:
            if migration.version in done:
                continue
            for statement in migration.statements:
                self._apply(client, statement)
            client.insert(
                "schema_migrations",
                [(migration.version, migration.description)],
                column_names=["version", "description"],
            )
            applied.append(migration.version)
        return applied

    def _apply(self, client: Client, statement: str) -> None:
        for rendered in render(statement, cluster=self.cluster, database=self.database):
            client.command(rendered)

    def schema_version(self) -> int:
        rows = self.client().query("SELECT max(version) FROM schema_migrations").result_rows
        return int(rows[0][0])

    def insert_json_rows(self, table: str, columns: Sequence[str], rows: Sequence[bytes]) -> None:
        """Insert ``JSONCompactEachRow`` lines durably.

        Raises :class:`RowsRefused` when the store refused the data itself, :class:`StoreUnavailable`
        when it failed otherwise (and the same insert may succeed later).
        """
        try:
            self.client().raw_insert(
                table, list(columns), insert_block=b"\n".join(rows), fmt="JSONCompactEachRow"
            )
        except ClickHouseError as exc:
            if _error_code(exc) in DATA_ERROR_CODES:
                raise RowsRefused(str(exc)) from exc
            raise StoreUnavailable(f"the store refused a write: {exc}") from exc

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._query(sql, parameters).result_rows]

    def query_dicts(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        result = self._query(sql, parameters)
        names = result.column_names
        return [dict(zip(names, row, strict=True)) for row in result.result_rows]

    def query_columns(self, sql: str, parameters: dict[str, Any] | None = None) -> list[Sequence[Any]]:
        """The result as one sequence per column: much cheaper than rows for many short ones."""
        result = self._query(sql, parameters)
        return list(result.result_columns) if result.row_count else [[] for _ in result.column_names]

    def command(
        self, sql: str, parameters: dict[str, Any] | None = None, settings: dict[str, Any] | None = None
    ) -> None:
        """Run a statement that returns nothing (an ``INSERT ... SELECT``, an ``ALTER``), however long its
        text, with ``settings`` for this statement."""
        parameters = parameters or {}
        settings = {**(_size_settings(sql, parameters) or {}), **(settings or {})}
        self.client().command(sql, parameters=parameters, settings=settings or None)

    def _query(self, sql: str, parameters: dict[str, Any] | None) -> QueryResult:
        parameters = parameters or {}
        return self.client().query(sql, parameters=parameters, settings=_size_settings(sql, parameters))

    def close(self) -> None:
        with self._clients_lock:
            for client in self._clients:
                client.close()
            self._clients.clear()
        self._local = threading.local()

    def _new_client(self, *, database: str | None) -> Client:
        if self.embedded:
            client = clickhouse_connect.get_client(
                dsn=self.url, database=database, settings=EMBEDDED_SETTINGS
            )
        else:
            client = clickhouse_connect.get_client(
                dsn=self.url, database=database, autogenerate_session_id=False
            )
        with self._clients_lock:
            self._clients.append(client)
        return client


def _size_settings(sql: str, parameters: dict[str, Any]) -> dict[str, int] | None:
    """ClickHouse refuses to parse a statement over ``max_query_size`` (256 KiB by default): a long list of
    ids written into one gets the limit it needs."""
    size = len(sql) + sum(len(str(value)) for value in parameters.values())
    return {"max_query_size": 2 * size} if size > _DEFAULT_MAX_QUERY_SIZE // 2 else None


def _error_code(exc: ClickHouseError) -> int | None:
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        return code
    found = _CODE.search(str(exc))  # a server's error read over HTTP carries the code in its text
    return int(found[1]) if found else None


def _chdb_path(url: str) -> str:
    parsed = urlparse(url)
    if not (parsed.netloc + parsed.path).strip("/"):
        raise ValueError(f"chdb store URL needs a data directory, e.g. chdb:///var/lib/tokentrail: {url!r}")
    return parsed.netloc + parsed.path
