"""Run by tests/store/test_system_logs.py in a process of its own (chDB opens one data directory per
process): ``ingest DIR`` stores spans in many inserts and runs thousands of queries, as a server does;
``account DIR`` (a restart) runs more, then reports where the directory's bytes are, as JSON;
``configured DIR CONFIG tokentrail|default`` opens chDB with a config that turns the query log on, to
prove tokentrail's session settings keep it empty."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import clickhouse_connect

from tokentrail.model import Span
from tokentrail.store.database import EMBEDDED_SETTINGS, Store
from tokentrail.store.writer import SpanWriter

SPANS_PER_INSERT = 1_000
INSERTS = 20
QUERIES = 3_000


def run_queries(store: Store, count: int) -> None:
    for number in range(count):
        store.query("SELECT count() FROM spans WHERE trace_id = {t:String}", {"t": f"{number:032x}"})
    store.command("SYSTEM FLUSH LOGS")  # whatever a system log holds in memory goes to disk now


def ingest(directory: Path) -> None:
    store = Store(f"chdb://{directory / 'chdb'}")
    writer = SpanWriter(store, directory / "wal")
    for insert in range(INSERTS):
        spans = [
            Span("p", f"{insert:016x}{i // 10:016x}", f"{i + 1:016x}", "", f"call {i}", "svc", 1_000, 2_000)
            for i in range(SPANS_PER_INSERT)
        ]
        writer.write(spans)  # each a separate insert: parts to merge, as in a long-running server
    run_queries(store, QUERIES)
    writer.close()
    store.close()


def account(directory: Path) -> dict[str, object]:
    store = Store(f"chdb://{directory / 'chdb'}")
    run_queries(store, QUERIES)
    system_tables = store.query(
        "SELECT name, engine, ifNull(total_bytes, 0) FROM system.tables "
        "WHERE database = 'system' AND engine NOT LIKE 'System%'"
    )
    parts_bytes = store.query("SELECT sum(bytes_on_disk) FROM system.parts")[0][0]  # active and old parts
    spans = store.query("SELECT count() FROM spans FINAL")[0][0]
    session = store.query("SELECT getSetting('log_queries'), getSetting('log_processors_profiles')")[0]
    store.close()
    on_disk = sum(
        (Path(root) / name).stat().st_size for root, _, names in os.walk(directory / "chdb") for name in names
    )
    return {
        "system_tables": [list(row) for row in system_tables],
        "parts_bytes": int(parts_bytes),
        "directory_bytes": on_disk,
        "spans": int(spans),
        "session_logs_queries": [bool(value) for value in session],
    }


def configured(directory: Path, config: Path, settings: dict[str, int]) -> int:
    """Rows in system.query_log after 500 queries of a session with ``settings``."""
    client = clickhouse_connect.get_client(
        interface="chdb", path=str(directory), chdb_options={"config-file": str(config)}, settings=settings
    )
    for number in range(500):
        client.query(f"SELECT {number}")
    client.command("SYSTEM FLUSH LOGS")
    return int(client.query("SELECT count() FROM system.query_log").result_rows[0][0])


if __name__ == "__main__":
    mode, directory = sys.argv[1], Path(sys.argv[2])
    if mode == "ingest":
        ingest(directory)
    elif mode == "account":
        print(json.dumps(account(directory)))
    else:  # configured: with tokentrail's session settings or chDB's own
        settings = EMBEDDED_SETTINGS if sys.argv[4] == "tokentrail" else {}
        print(json.dumps(configured(directory, Path(sys.argv[3]), settings)))
