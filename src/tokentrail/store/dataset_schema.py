"""The DDL of datasets and experiments (migration 15): kept beside the stores that read them so the
schema's list of migrations stays short.

Every table is a ReplacingMergeTree keyed so that writing a row again with its id replaces it; a dataset
is deleted by a version with ``deleted_ns`` set. Experiment runs are trace-scoped (each is the trace of one
call of the app function) and expire and are purged with their trace.
"""

from __future__ import annotations

__all__ = ["DATASET_TABLES"]

DATASET_TABLES = (
    """
    CREATE TABLE IF NOT EXISTS datasets (
        project LowCardinality(String),
        id String,
        name String,
        description String,
        created_ns Int64,
        deleted_ns Int64,
        updated_ns Int64
    )
    ENGINE = ReplacingMergeTree(updated_ns)
    ORDER BY (project, id)
    """,
    """
    CREATE TABLE IF NOT EXISTS dataset_items (
        project LowCardinality(String),
        dataset_id String,
        id String,
        input String,
        expected_output String,
        metadata Map(String, String),
        source_trace_id String,
        source_span_id String,
        created_ns Int64,
        updated_ns Int64
    )
    ENGINE = ReplacingMergeTree(updated_ns)
    ORDER BY (project, dataset_id, id)
    """,
    """
    CREATE TABLE IF NOT EXISTS experiments (
        project LowCardinality(String),
        id String,
        name String,
        dataset_id String,
        metadata Map(String, String),
        created_ns Int64,
        updated_ns Int64
    )
    ENGINE = ReplacingMergeTree(updated_ns)
    ORDER BY (project, id)
    """,
    """
    CREATE TABLE IF NOT EXISTS experiment_runs (
        project LowCardinality(String),
        experiment_id String,
        item_id String,
        trace_id String,
        output String,
        error String,
        started_ns Int64,
        ended_ns Int64,
        updated_ns Int64
    )
    ENGINE = ReplacingMergeTree(updated_ns)
    ORDER BY (project, experiment_id, item_id)
    """,
)
