"""The tables of migration 14 (evaluators, their runs and online marks; see tokentrail.store.evaluators),
kept apart from tokentrail.store.schema only for its length. Released: never edited, like any migration."""

from __future__ import annotations

__all__ = ["EVALUATOR_TABLES"]

EVALUATOR_TABLES = (
    """
    CREATE TABLE IF NOT EXISTS evaluators (
        project LowCardinality(String),
        name String,
        provider LowCardinality(String),
        base_url String,
        model String,
        api_key String,
        api_key_env String,
        prompt String,
        score_name String,
        data_type LowCardinality(String),
        categories Array(String),
        filter_name String,
        filter_service String,
        filter_tag String,
        filter_model String,
        filter_has_error Nullable(UInt8),
        sample_rate Decimal(38, 18),
        daily_budget_usd Decimal(38, 18),
        enabled UInt8,
        quiet_s UInt32,
        created_ns Int64,
        deleted_ns Int64,
        updated_ns Int64
    )
    ENGINE = ReplacingMergeTree(updated_ns)
    ORDER BY (project, name)
    """,
    """
    CREATE TABLE IF NOT EXISTS evaluator_runs (
        project LowCardinality(String),
        evaluator String,
        trace_id String,
        span_id String,
        run_id String,
        score_id String,
        value Nullable(Float64),
        string_value String,
        cost Decimal(38, 18),
        error String,
        mode LowCardinality(String),
        created_ns Int64,
        updated_ns Int64
    )
    ENGINE = ReplacingMergeTree(updated_ns)
    ORDER BY (project, evaluator, trace_id, span_id)
    """,
    """
    CREATE TABLE IF NOT EXISTS evaluator_marks (
        project LowCardinality(String),
        evaluator String,
        watermark_ns Int64,
        paused_day String,
        paused_reason String,
        updated_ns Int64
    )
    ENGINE = ReplacingMergeTree(updated_ns)
    ORDER BY (project, evaluator)
    """,
)
