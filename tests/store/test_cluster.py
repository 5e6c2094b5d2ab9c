"""The schema's cluster form: every migration renders to DDL that ClickHouse parses, with a replicated
local table and a Distributed table of the same name as today's for each table, and a single server
still gets the statements exactly as written."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tokentrail.api import create_app
from tokentrail.config import Settings
from tokentrail.store.cluster import SHARD_KEYS, local_table, render
from tokentrail.store.database import MIGRATIONS_TABLE, Store
from tokentrail.store.schema import MIGRATIONS

CLUSTER = "tokentrail-cluster"
SCHEMA = [
    "CREATE DATABASE IF NOT EXISTS tokentrail",
    MIGRATIONS_TABLE,
    *(statement for migration in MIGRATIONS for statement in migration.statements),
]
#: The statements that define tables (the rest fill them).
DDL = [statement for statement in SCHEMA if not statement.lstrip().startswith("INSERT")]
TABLES = [
    found[1] for statement in SCHEMA if (found := re.match(r"\s*CREATE TABLE IF NOT EXISTS (\w+)", statement))
]


def on_cluster(statement: str) -> tuple[str, ...]:
    return render(statement, cluster=CLUSTER, database="tokentrail")


def test_one_server_gets_every_statement_as_written():
    for statement in SCHEMA:
        assert render(statement, cluster=None, database="tokentrail") == (statement,)


def test_the_embedded_engine_parses_every_cluster_statement(store: Store):
    rendered = [sql for statement in SCHEMA for sql in on_cluster(statement)]
    # formatQuery parses without executing: ON CLUSTER and the replicated engines need a real cluster.
    for sql in rendered:
        assert store.query("SELECT formatQuery({sql:String})", {"sql": sql})[0][0].startswith(
            ("CREATE", "ALTER", "INSERT")
        ), sql
    engines = {name for sql in rendered for name in re.findall(r"ENGINE = (\w+)", sql)}
    known = {row[0] for row in store.query("SELECT name FROM system.table_engines")}
    assert engines == {"ReplicatedReplacingMergeTree", "Distributed"}
    assert engines <= known


def test_every_table_definition_runs_on_every_node():
    for statement in DDL:
        for sql in on_cluster(statement):
            assert f"ON CLUSTER `{CLUSTER}`" in sql, sql


@pytest.mark.parametrize("table", TABLES)
def test_each_table_is_replicated_under_a_distributed_table_the_queries_name(table):
    (create,) = [statement for statement in SCHEMA if f"EXISTS {table} (" in statement]
    local, distributed = on_cluster(create)
    version = re.search(r"ENGINE = ReplacingMergeTree(\(\w+\))?", create)
    assert version is not None
    args = f", {version[1][1:-1]}" if version[1] else ""

    assert local.startswith(f"CREATE TABLE IF NOT EXISTS {table}_local ON CLUSTER")
    assert (
        f"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{{shard}}/tokentrail/{table}_local', "
        f"'{{replica}}'{args})"
    ) in local
    assert distributed == (
        f"CREATE TABLE IF NOT EXISTS {table} ON CLUSTER `{CLUSTER}` AS {table}_local "
        f"ENGINE = Distributed('{CLUSTER}', tokentrail, {table}_local, {SHARD_KEYS[table]})"
    )


def test_a_trace_is_on_one_shard():
    assert SHARD_KEYS["spans"] == "cityHash64(project, trace_id)"


def test_a_column_is_added_to_the_shards_before_the_distributed_table():
    alter = "ALTER TABLE spans ADD COLUMN IF NOT EXISTS response_id String AFTER duplicate_reason"

    assert on_cluster(alter) == (
        f"ALTER TABLE {local_table('spans')} ON CLUSTER `{CLUSTER}` "
        "ADD COLUMN IF NOT EXISTS response_id String AFTER duplicate_reason",
        f"ALTER TABLE spans ON CLUSTER `{CLUSTER}` "
        "ADD COLUMN IF NOT EXISTS response_id String AFTER duplicate_reason",
    )


def test_every_migration_statement_can_run_twice():
    # Servers that start at once may both apply a migration: each statement must be a no-op the second time.
    for statement in SCHEMA:
        assert re.match(
            r"\s*(CREATE (DATABASE|TABLE) IF NOT EXISTS|ALTER TABLE \w+ ADD COLUMN IF NOT EXISTS)", statement
        ) or _fills_a_replacing_table(statement)


def _fills_a_replacing_table(statement: str) -> bool:
    """An insert into a table whose rows replace equal-keyed rows of an equal or lower version: a second
    run writes the same rows again, and they replace the first run's."""
    found = re.match(r"\s*INSERT INTO (\w+) ", statement)
    if found is None:
        return False
    (create,) = [other for other in SCHEMA if f"EXISTS {found[1]} (" in other]
    return "ENGINE = ReplacingMergeTree(" in create


def test_a_data_migration_runs_once_through_the_distributed_tables():
    inserts = [statement for statement in SCHEMA if statement.lstrip().startswith("INSERT")]

    assert inserts
    for statement in inserts:
        assert on_cluster(statement) == (statement,)


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        ("DROP TABLE spans", "no cluster form"),
        ("CREATE TABLE IF NOT EXISTS notes (a String) ENGINE = MergeTree ORDER BY a", "shard key"),
        ("CREATE TABLE IF NOT EXISTS spans (a String) ENGINE = Memory", "no MergeTree"),
    ],
)
def test_a_statement_without_a_cluster_form_is_refused(statement, words):
    with pytest.raises(ValueError, match=words):
        on_cluster(statement)


@pytest.mark.parametrize("name", ["", "a b", "c`; DROP TABLE spans", "-x"])
def test_cluster_names_are_checked(name):
    with pytest.raises(ValueError, match="cluster name"):
        render("CREATE DATABASE IF NOT EXISTS tokentrail", cluster=name, database="tokentrail")


def test_the_cluster_setting_reaches_the_store(tmp_path):
    settings = Settings(data_dir=tmp_path, clickhouse_cluster="main")

    # Refused before any data directory is opened: the embedded store has no cluster.
    with pytest.raises(ValueError, match="cluster needs a server"), TestClient(create_app(settings)):
        pass
