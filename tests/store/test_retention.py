"""Per-project retention is the store's own TTL: old rows of a project with a retention go from every
table holding its traces, the same rows of other projects stay, and the TTL follows every change."""

from __future__ import annotations

import time
from pathlib import Path

from otlp_builders import new_trace_id
from tokentrail.ingest.duplicates import TraceSettler
from tokentrail.model import Span
from tokentrail.store import evaluators, experiments
from tokentrail.store.cluster import alter_rows
from tokentrail.store.database import Store
from tokentrail.store.experiments import ExperimentRun
from tokentrail.store.media import Media, save_media
from tokentrail.store.retention import TRACE_TABLES, apply_retention, retention_days, save_retention, ttl
from tokentrail.store.scores import Score, save_scores
from tokentrail.store.writer import SpanWriter

DAY_NS = 86_400 * 10**9
NOW = time.time_ns()


def _store_traces(store: Store, tmp_path: Path, *traces: tuple[str, int]) -> list[str]:
    """One two-span trace per (project, start), written and summarized as the server does, with a score,
    a LangSmith run part, a media file, an evaluator's run and an experiment run of the same age; their
    ids."""
    ids, spans = [], []
    for project, start_ns in traces:
        trace_id = new_trace_id()
        ids.append(trace_id)
        save_scores(store, [Score(project, "helpful", trace_id, value=1.0, created_ns=start_ns)])
        store.client().insert(
            "langsmith_runs",
            [(project, trace_id, "post", trace_id, "{}", start_ns)],
            column_names=["project", "run_id", "op", "trace_id", "body", "received_ns"],
        )
        save_media(store, Media(project, trace_id, "text/plain", 0, trace_id=trace_id, created_ns=start_ns))
        evaluators.save_runs(store, [{**dict.fromkeys(evaluators.RUN_COLUMNS, ""), "project": project,
                                      "trace_id": trace_id, "value": None, "cost": 0,
                                      "created_ns": start_ns}])  # fmt: skip
        experiments.save_runs(
            store, [ExperimentRun(project, "e", trace_id, trace_id, started_ns=start_ns, ended_ns=start_ns)]
        )
        spans += [
            Span(project, trace_id, "a" * 16, "", "root", "svc", start_ns, start_ns + 10**9),
            Span(project, trace_id, "b" * 16, "a" * 16, "child", "svc", start_ns + 1, start_ns + 2),
        ]
    writer = SpanWriter(store, tmp_path / "wal", resolve=TraceSettler(store))
    try:
        writer.write(spans, 30)
    finally:
        writer.close()
    return ids


def _expire_now(store: Store) -> None:
    """Have ClickHouse merge every part now, applying the TTLs as its merges do in time."""
    for table in TRACE_TABLES:
        store.command(f"OPTIMIZE TABLE {table} FINAL")


def _stored(store: Store) -> dict[str, set[str]]:
    """Each table's trace ids, every row version counted (no FINAL)."""
    return {table: {row[0] for row in store.query(f"SELECT trace_id FROM {table}")} for table in TRACE_TABLES}


def test_a_projects_old_traces_go_and_other_projects_identical_ones_stay(store, tmp_path):
    _old_a, new_a, old_b = _store_traces(
        store, tmp_path, ("a", NOW - 100 * DAY_NS), ("a", NOW - DAY_NS), ("b", NOW - 100 * DAY_NS)
    )
    save_retention(store, "a", 30)

    assert apply_retention(store, default_days=0) == list(TRACE_TABLES)
    _expire_now(store)

    for table, trace_ids in _stored(store).items():
        assert trace_ids == {new_a, old_b}, table
    assert store.query("SELECT count() FROM spans WHERE trace_id = {t:String}", {"t": new_a}) == [(2,)]


def test_the_default_retention_covers_projects_without_their_own(store, tmp_path):
    _old_a, old_b, old_c = _store_traces(
        store, tmp_path, ("a", NOW - 100 * DAY_NS), ("b", NOW - 100 * DAY_NS), ("c", NOW - 100 * DAY_NS)
    )
    save_retention(store, "b", 0)  # b keeps its spans forever, whatever the default
    save_retention(store, "c", 365)

    apply_retention(store, default_days=7)
    _expire_now(store)

    assert _stored(store) == {table: {old_b, old_c} for table in TRACE_TABLES}


def test_a_start_with_nothing_changed_changes_no_table(store):
    save_retention(store, "a", 30)
    assert apply_retention(store, default_days=10) == list(TRACE_TABLES)
    assert apply_retention(store, default_days=10) == []
    save_retention(store, "a", 31)
    assert apply_retention(store, default_days=10) == list(TRACE_TABLES)


def test_a_retention_set_back_to_forever_removes_the_ttl(store, tmp_path):
    save_retention(store, "a", 30)
    apply_retention(store, default_days=0)
    save_retention(store, "a", 0)

    assert apply_retention(store, default_days=0) == list(TRACE_TABLES)
    old = _store_traces(store, tmp_path, ("a", NOW - 100 * DAY_NS))
    _expire_now(store)

    assert retention_days(store) == {"a": 0}
    assert _stored(store) == {table: set(old) for table in TRACE_TABLES}
    assert apply_retention(store, default_days=0) == []  # no TTL left to remove


def test_times_outside_what_a_datetime_holds_expire_by_their_side(store, tmp_path):
    # A start in 1874 is long past, even a century on; one in 2255 is not due for 100 years: neither
    # wraps around.
    _in_1874, far_future = _store_traces(store, tmp_path, ("a", -3 * 10**18), ("a", 9 * 10**18))
    save_retention(store, "a", 36_500)
    apply_retention(store, default_days=0)
    _expire_now(store)

    assert _stored(store) == {table: {far_future} for table in TRACE_TABLES}


def test_one_rule_per_number_of_days():
    rules = ttl("start_ns", {"a": 30, "b": 30, "c": 0, "d": 7}, default_days=90)

    assert rules == (
        "toDateTime(intDiv(start_ns, 1000000000) + 604800) DELETE WHERE project IN ('d'), "
        "toDateTime(intDiv(start_ns, 1000000000) + 2592000) DELETE WHERE project IN ('a', 'b'), "
        "toDateTime(intDiv(start_ns, 1000000000) + 7776000) DELETE WHERE project NOT IN ('a', 'b', 'c', 'd')"
    )
    assert ttl("start_ns", {}, default_days=1) == "toDateTime(intDiv(start_ns, 1000000000) + 86400) DELETE"
    assert ttl("start_ns", {"a": 0}, default_days=0) is None


def test_on_a_cluster_the_ttl_and_deletes_go_to_every_nodes_local_table():
    assert alter_rows("spans", "REMOVE TTL", cluster=None) == "ALTER TABLE spans REMOVE TTL"
    assert (
        alter_rows("spans", "MATERIALIZE TTL", cluster="main")
        == "ALTER TABLE spans_local ON CLUSTER `main` MATERIALIZE TTL"
    )
