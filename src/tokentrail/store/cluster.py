"""The schema's DDL for a ClickHouse cluster: each statement written for one server becomes the
statements that apply it on every node of a cluster.

On a cluster, each table ``T`` of :mod:`tokentrail.store.schema` becomes two, so every query runs
unchanged (queries and inserts name ``T``):

- ``T_local`` on every node (``ON CLUSTER``), with the replicated form of the one-server engine
  (``ReplacingMergeTree(v)`` becomes ``ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/DB/T_local',
  '{replica}', v)``; ``{shard}`` and ``{replica}`` are each node's macros): one shard's rows;
- ``T``, a ``Distributed`` table over them: a read asks one replica of every shard, an insert sends
  each row to the shard its :data:`SHARD_KEYS` expression picks.

A span's shard is picked by its project and trace, so the copies of a re-sent span that
``ReplacingMergeTree`` collapses are on one shard, and so are all the spans of a trace: ``FINAL`` and
the per-trace subqueries are right shard by shard. See docs/scaling.md.
"""

from __future__ import annotations

import re

__all__ = ["SHARD_KEYS", "alter_rows", "check_cluster_name", "local_table", "render"]

#: How each table's rows are spread over shards: rows that replace one another hash alike.
SHARD_KEYS = {
    "spans": "cityHash64(project, trace_id)",
    "price_rules": "cityHash64(project, id)",
    # A trace's summary on its spans' shard: the shard that summarizes it holds all of them.
    "trace_summaries": "cityHash64(project, trace_id)",
    "projects": "cityHash64(name)",
    "api_keys": "cityHash64(id)",
    "retention": "cityHash64(project)",
    # A score beside its trace's spans; a session's score (no trace) by its id.
    "scores": "cityHash64(project, trace_id)",
    "langsmith_runs": "cityHash64(project, run_id)",
    "media": "cityHash64(project, id)",
    "budgets": "cityHash64(project, id)",
    # A budget's alerts and their deliveries beside one another: an alert's versions hash alike.
    "budget_alerts": "cityHash64(project, budget_id)",
    "webhook_deliveries": "cityHash64(project, budget_id)",
    "score_configs": "cityHash64(project, name)",
    "evaluators": "cityHash64(project, name)",
    # An evaluator's runs and its watermark beside one another.
    "evaluator_runs": "cityHash64(project, evaluator)",
    "evaluator_marks": "cityHash64(project, evaluator)",
    "datasets": "cityHash64(project, id)",
    # A dataset's items, an experiment's runs: together, so their versions hash alike.
    "dataset_items": "cityHash64(project, dataset_id)",
    "experiments": "cityHash64(project, id)",
    "experiment_runs": "cityHash64(project, experiment_id)",
    "schema_migrations": "version",
}

_CLUSTER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_CREATE_DATABASE = re.compile(r"\s*CREATE DATABASE IF NOT EXISTS (\w+)\s*")
_CREATE_TABLE = re.compile(r"\s*CREATE TABLE IF NOT EXISTS (\w+) (.*?)\s*", re.DOTALL)
_ALTER_TABLE = re.compile(r"\s*ALTER TABLE (\w+) (.*?)\s*", re.DOTALL)
_INSERT = re.compile(r"\s*INSERT INTO \w+ .*", re.DOTALL)
_ENGINE = re.compile(r"ENGINE = (\w*MergeTree)(?:\(([^)]*)\))?")


def check_cluster_name(name: str) -> str:
    """``name`` if it can name a cluster in ``remote_servers`` (letters, digits, ``_``, ``.``, ``-``)."""
    if not _CLUSTER_NAME.fullmatch(name):
        raise ValueError(f"a cluster name is letters, digits, '_', '.' and '-': {name!r}")
    return name


def local_table(table: str) -> str:
    """The name of the per-node table under the ``Distributed`` table ``table``."""
    return f"{table}_local"


def alter_rows(table: str, change: str, *, cluster: str | None) -> str:
    """``ALTER TABLE`` applying ``change`` to the rows or their TTL: on a cluster, to every node's local
    table (a ``Distributed`` table holds no rows and has no TTL)."""
    if cluster is None:
        return f"ALTER TABLE {table} {change}"
    return f"ALTER TABLE {local_table(table)} ON CLUSTER `{check_cluster_name(cluster)}` {change}"


def render(statement: str, *, cluster: str | None, database: str) -> tuple[str, ...]:
    """The statements that apply ``statement`` to ``database``: itself on one server (``cluster`` None),
    else its form for every node of ``cluster``.

    Knows the forms the migrations use (``CREATE DATABASE``/``CREATE TABLE IF NOT EXISTS`` with a
    ``MergeTree``-family engine, ``ALTER TABLE``, and ``INSERT INTO``, which runs once, as written, through
    the ``Distributed`` tables); any other raises ``ValueError``, so a migration the cluster form would get
    wrong fails its test instead of a cluster's start.
    """
    if cluster is None:
        return (statement,)
    on = f"ON CLUSTER `{check_cluster_name(cluster)}`"
    if found := _CREATE_DATABASE.fullmatch(statement):
        return (f"CREATE DATABASE IF NOT EXISTS {found[1]} {on}",)
    if found := _CREATE_TABLE.fullmatch(statement):
        table, body = found[1], found[2]
        if table not in SHARD_KEYS:
            raise ValueError(f"table {table!r} has no shard key in SHARD_KEYS")
        local = local_table(table)
        replicated = _ENGINE.sub(lambda engine: _replicated(engine, database, local), body, count=1)
        if replicated == body:
            raise ValueError(f"table {table!r}: no MergeTree-family engine to replicate")
        distributed = f"Distributed('{cluster}', {database}, {local}, {SHARD_KEYS[table]})"
        return (
            f"CREATE TABLE IF NOT EXISTS {local} {on} {replicated}",
            f"CREATE TABLE IF NOT EXISTS {table} {on} AS {local} ENGINE = {distributed}",
        )
    if found := _ALTER_TABLE.fullmatch(statement):
        table, change = found[1], found[2]
        # The local tables first: the Distributed table must never list a column the shards lack.
        return (f"ALTER TABLE {local_table(table)} {on} {change}", f"ALTER TABLE {table} {on} {change}")
    if _INSERT.fullmatch(statement):
        return (statement,)  # the Distributed tables read every shard and send each row to its own
    raise ValueError(f"no cluster form for: {statement.strip()[:80]}")


def _replicated(engine: re.Match[str], database: str, local: str) -> str:
    # Every replica of a shard shares one ZooKeeper/Keeper path; '{replica}' tells them apart.
    args = [f"'/clickhouse/tables/{{shard}}/{database}/{local}'", "'{replica}'"]
    if engine[2]:
        args.append(engine[2])
    return f"ENGINE = Replicated{engine[1]}({', '.join(args)})"
