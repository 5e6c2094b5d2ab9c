"""The store's schema, as an ordered list of versioned migrations applied at start.

A migration is never edited once released: a change is a new entry at the end. The applied versions are
recorded in ``schema_migrations``, so starting twice, or many servers at once, applies each step once.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokentrail.store.dataset_schema import DATASET_TABLES
from tokentrail.store.evaluator_tables import EVALUATOR_TABLES
from tokentrail.store.summaries import BACKFILL

__all__ = ["MIGRATIONS", "Migration"]


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "spans table",
        (
            """
            CREATE TABLE IF NOT EXISTS spans (
                project LowCardinality(String),
                trace_id String,
                span_id String,
                parent_span_id String,
                name String,
                service LowCardinality(String),
                scope LowCardinality(String),
                start_ns Int64,
                end_ns Int64,
                kind LowCardinality(String),
                status LowCardinality(String),
                error_type String,
                error_message String,
                error_stack String,
                provider LowCardinality(String),
                request_model LowCardinality(String),
                response_model LowCardinality(String),
                usage Map(LowCardinality(String), UInt64),
                usage_source Map(LowCardinality(String), LowCardinality(String)),
                cost Map(LowCardinality(String), Decimal(38, 18)),
                cost_total Decimal(38, 18),
                cost_origin LowCardinality(String),
                unpriced_reason LowCardinality(String),
                price_source LowCardinality(String),
                session_id String,
                user_id String,
                trace_name String,
                tags Array(String),
                metadata Map(String, String),
                input String,
                output String,
                attributes Map(String, String),
                resource Map(String, String),
                events String,
                ingested_ns Int64,
                INDEX start_idx start_ns TYPE minmax GRANULARITY 1,
                INDEX session_idx session_id TYPE bloom_filter GRANULARITY 4
            )
            ENGINE = ReplacingMergeTree(ingested_ns)
            ORDER BY (project, trace_id, span_id)
            """,
        ),
    ),
    Migration(
        2,
        "spans.duplicate_of: one LLM call reported by two instrumentation layers counts once",
        (
            "ALTER TABLE spans ADD COLUMN IF NOT EXISTS duplicate_of String AFTER ingested_ns",
            "ALTER TABLE spans ADD COLUMN IF NOT EXISTS duplicate_reason String AFTER duplicate_of",
        ),
    ),
    Migration(
        3,
        "spans.response_id (one provider response, one call), spans.usage_parser (usage from payloads)",
        (
            "ALTER TABLE spans ADD COLUMN IF NOT EXISTS response_id String AFTER duplicate_reason",
            "ALTER TABLE spans ADD COLUMN IF NOT EXISTS usage_parser LowCardinality(String) "
            "AFTER response_id",
        ),
    ),
    Migration(
        4,
        "price_rules: prices the user sets per project (model rules, per-call rules)",
        (
            """
            CREATE TABLE IF NOT EXISTS price_rules (
                project String,
                id String,
                kind LowCardinality(String),
                match String,
                provider String,
                effective_from_ns Int64,
                prices Map(String, Decimal(38, 18)),
                note String,
                source LowCardinality(String),
                deleted UInt8,
                updated_ns Int64
            )
            ENGINE = ReplacingMergeTree(updated_ns)
            ORDER BY (project, id)
            """,
        ),
    ),
    Migration(
        5,
        "spans.tool_name, spans.billing_tier: what pricing matches a call rule by and the tier it was "
        "billed at, as semconv reads them; rows stored before read them from their attributes",
        (
            # Rows written before this migration have neither column: ClickHouse computes the DEFAULT from
            # the row's attributes when it reads them (and writes it when it merges their parts), the
            # attribute names pricing read then; no mutation rewrites the table. New rows always carry both.
            "ALTER TABLE spans ADD COLUMN IF NOT EXISTS tool_name LowCardinality(String) DEFAULT multiIf("
            "attributes['gen_ai.tool.name'] != '', attributes['gen_ai.tool.name'], "
            "attributes['tool.name'] != '', attributes['tool.name'], "
            "attributes['ai.toolCall.name'] != '', attributes['ai.toolCall.name'], "
            "attributes['traceloop.entity.name']) AFTER usage_parser",
            "ALTER TABLE spans ADD COLUMN IF NOT EXISTS billing_tier LowCardinality(String) DEFAULT multiIf("
            "lower(attributes['tokentrail.batch']) = 'true', 'batch', "
            "lower(attributes['openai.response.service_tier']) = 'flex', 'flex', "
            "lower(attributes['openai.request.service_tier']) = 'flex', 'flex', '') AFTER tool_name",
        ),
    ),
    Migration(
        6,
        "trace_summaries: each trace's totals and facts, kept up to date, for trace and session lists",
        (
            """
            CREATE TABLE IF NOT EXISTS trace_summaries (
                project LowCardinality(String),
                trace_id String,
                version Int128,
                t_start Int64,
                t_end Int64,
                t_duration Int64,
                t_spans UInt64,
                t_cost Decimal(76, 18),
                t_usage Map(LowCardinality(String), UInt64),
                t_cost_by_type Map(LowCardinality(String), Decimal(76, 18)),
                t_errors UInt64,
                t_unpriced UInt64,
                t_roots UInt64,
                t_name String,
                t_session String,
                t_user String,
                t_service LowCardinality(String),
                t_models Array(LowCardinality(String)),
                t_services Array(LowCardinality(String)),
                t_tags Array(String)
            )
            ENGINE = ReplacingMergeTree(version)
            ORDER BY (project, trace_id)
            """,
            # The traces stored before it, summarized as refreshes summarize them (store/summaries.py).
            BACKFILL,
        ),
    ),
    Migration(
        7,
        "projects and api_keys: who may send and read what (keys are kept as HMACs, never in clear)",
        (
            """
            CREATE TABLE IF NOT EXISTS projects (
                name String,
                description String,
                created_ns Int64,
                archived_ns Int64,
                updated_ns Int64
            )
            ENGINE = ReplacingMergeTree(updated_ns)
            ORDER BY name
            """,
            """
            CREATE TABLE IF NOT EXISTS api_keys (
                id String,
                name String,
                project String,
                admin UInt8,
                rights Array(LowCardinality(String)),
                digest String,
                created_ns Int64,
                revoked_ns Int64,
                updated_ns Int64
            )
            ENGINE = ReplacingMergeTree(updated_ns)
            ORDER BY id
            """,
        ),
    ),
    Migration(
        8,
        "retention: how many days each project keeps its rows, for the tables' TTLs (store/retention.py)",
        (
            """
            CREATE TABLE IF NOT EXISTS retention (
                project String,
                days UInt32,
                updated_ns Int64
            )
            ENGINE = ReplacingMergeTree(updated_ns)
            ORDER BY project
            """,
        ),
    ),
    Migration(
        9,
        "scores (quality judgements on traces, spans and sessions), langsmith_runs (run parts kept "
        "until a run's post and patch are merged) and media (files an SDK attached to a span)",
        (
            """
            CREATE TABLE IF NOT EXISTS scores (
                project LowCardinality(String),
                trace_id String,
                id String,
                span_id String,
                session_id String,
                name String,
                data_type LowCardinality(String),
                value Nullable(Float64),
                string_value String,
                source LowCardinality(String),
                comment String,
                author String,
                metadata Map(String, String),
                created_ns Int64,
                updated_ns Int64
            )
            ENGINE = ReplacingMergeTree(updated_ns)
            ORDER BY (project, trace_id, id)
            """,
            """
            CREATE TABLE IF NOT EXISTS langsmith_runs (
                project LowCardinality(String),
                run_id String,
                op LowCardinality(String),
                trace_id String,
                body String,
                received_ns Int64
            )
            ENGINE = ReplacingMergeTree(received_ns)
            ORDER BY (project, run_id, op)
            """,
            """
            CREATE TABLE IF NOT EXISTS media (
                project LowCardinality(String),
                id String,
                trace_id String,
                span_id String,
                field String,
                content_type LowCardinality(String),
                content_length UInt64,
                sha256 String,
                data String,
                created_ns Int64,
                uploaded_ns Int64,
                updated_ns Int64
            )
            ENGINE = ReplacingMergeTree(updated_ns)
            ORDER BY (project, id)
            """,
        ),
    ),
    Migration(
        10,
        "spans.prompt_sources, prompt_history, prompt_method: what filled an LLM call's prompt, by source "
        "(tokentrail.pricing.prompt), computed at ingest and stored with the span",
        (
            "ALTER TABLE spans ADD COLUMN IF NOT EXISTS prompt_sources Map(LowCardinality(String), UInt64) "
            "AFTER billing_tier",
            "ALTER TABLE spans ADD COLUMN IF NOT EXISTS prompt_history UInt64 AFTER prompt_sources",
            "ALTER TABLE spans ADD COLUMN IF NOT EXISTS prompt_method LowCardinality(String) "
            "AFTER prompt_history",
        ),
    ),
    Migration(
        11,
        "budgets (spend limits per project, tag, user or service and day or month), budget_alerts (one "
        "row per budget, period and threshold crossed) and webhook_deliveries (each attempt to send one)",
        (
            """
            CREATE TABLE IF NOT EXISTS budgets (
                project LowCardinality(String),
                id String,
                name String,
                scope_kind LowCardinality(String),
                scope_value String,
                period LowCardinality(String),
                amount Decimal(38, 18),
                thresholds Array(Decimal(38, 18)),
                webhook_url String,
                webhook_secret String,
                enabled UInt8,
                created_ns Int64,
                deleted_ns Int64,
                updated_ns Int64
            )
            ENGINE = ReplacingMergeTree(updated_ns)
            ORDER BY (project, id)
            """,
            """
            CREATE TABLE IF NOT EXISTS budget_alerts (
                project LowCardinality(String),
                budget_id String,
                id String,
                period_start_ns Int64,
                period_end_ns Int64,
                kind LowCardinality(String),
                threshold Decimal(38, 18),
                amount Decimal(38, 18),
                spend Decimal(38, 18),
                projected Nullable(Decimal(38, 18)),
                fired_ns Int64,
                state LowCardinality(String),
                attempts UInt32,
                next_attempt_ns Int64,
                updated_ns Int64
            )
            ENGINE = ReplacingMergeTree(updated_ns)
            ORDER BY (project, budget_id, id)
            """,
            """
            CREATE TABLE IF NOT EXISTS webhook_deliveries (
                project LowCardinality(String),
                budget_id String,
                alert_id String,
                attempt UInt32,
                at_ns Int64,
                status_code UInt16,
                error String,
                next_retry_ns Int64
            )
            ENGINE = ReplacingMergeTree(at_ns)
            ORDER BY (project, budget_id, alert_id, attempt)
            """,
        ),
    ),
    Migration(
        12,
        "scores.evaluator, run_id, experiment_id: the evaluator that gave a score, its run (the trace of "
        "the evaluation, when it was traced) and the experiment it was given in",
        (
            "ALTER TABLE scores ADD COLUMN IF NOT EXISTS evaluator String AFTER metadata",
            "ALTER TABLE scores ADD COLUMN IF NOT EXISTS run_id String AFTER evaluator",
            "ALTER TABLE scores ADD COLUMN IF NOT EXISTS experiment_id String AFTER run_id",
        ),
    ),
    Migration(
        13,
        "score_configs: the definitions scores of a name must fit (numeric within a range, boolean, or one "
        "of some categories), offered by the annotate form",
        (
            """
            CREATE TABLE IF NOT EXISTS score_configs (
                project LowCardinality(String),
                name String,
                data_type LowCardinality(String),
                min Nullable(Float64),
                max Nullable(Float64),
                categories Array(String),
                description String,
                archived UInt8,
                updated_ns Int64
            )
            ENGINE = ReplacingMergeTree(updated_ns)
            ORDER BY (project, name)
            """,
        ),
    ),
    Migration(
        14,
        "evaluators (LLM-as-judge definitions), their runs (one per trace judged) and each one's online "
        "watermark and pause",
        EVALUATOR_TABLES,
    ),
    Migration(
        15,
        "datasets, dataset_items, experiments and experiment_runs: items to run an app on, and each run's "
        "output, error and trace (tokentrail.store.dataset_schema)",
        DATASET_TABLES,
    ),
)
