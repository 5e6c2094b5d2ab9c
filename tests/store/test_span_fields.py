"""A span's tool name and billing tier as columns: rows stored before migration 5 read them from their
attributes, as pricing did then, and re-pricing reads the columns."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal

import orjson
import pytest

from raw_spans import normalized
from tokentrail.model import Span, SpanKind
from tokentrail.pricing.reprice import RepriceJob, reprice
from tokentrail.pricing.rules import RuleBook, parse_rule
from tokentrail.store import database
from tokentrail.store.database import Store
from tokentrail.store.rows import SPAN_COLUMNS, encode_span
from tokentrail.store.schema import MIGRATIONS

#: Columns added by migration 5 and after: a release whose last migration was 4 wrote none of them.
NEW_COLUMNS = ("tool_name", "billing_tier", "prompt_sources", "prompt_history", "prompt_method")
START_NS = 1_767_225_600_000_000_000
_span_ids = itertools.count(1)

#: What old rows said, and the tool name and billing tier they must read as.
OLD_ROWS = [
    ({"gen_ai.tool.name": "get_weather"}, "get_weather", ""),
    ({"tool.name": "lookup"}, "lookup", ""),
    ({"ai.toolCall.name": "weather"}, "weather", ""),
    ({"traceloop.entity.name": "plan"}, "plan", ""),
    ({"tool.name": "inner", "gen_ai.tool.name": "outer"}, "outer", ""),  # pricing's old order
    ({"tokentrail.batch": "True"}, "", "batch"),
    ({"openai.response.service_tier": "flex"}, "", "flex"),
    ({"openai.request.service_tier": "FLEX"}, "", "flex"),
    ({"openai.response.service_tier": "default"}, "", ""),
    ({"tokentrail.batch": "false"}, "", ""),
    ({}, "", ""),
]


def _span(kind: SpanKind = SpanKind.TOOL, **fields: object) -> Span:
    span = Span("shop", "a" * 32, f"{next(_span_ids):016x}", "", "step", "svc", START_NS, START_NS + 1, kind)
    for name, value in fields.items():
        setattr(span, name, value)
    return span


def _old_row(span: Span) -> bytes:
    """``span`` as the writer encoded it before migration 5: without the new columns."""
    values = orjson.loads(encode_span(span, ingested_ns=1))
    return orjson.dumps(
        [value for column, value in zip(SPAN_COLUMNS, values, strict=True) if column not in NEW_COLUMNS]
    )


@pytest.fixture
def old_store(chdb_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A store made by a release whose last migration was 4."""
    monkeypatch.setattr(database, "MIGRATIONS", tuple(m for m in MIGRATIONS if m.version <= 4))
    opened = Store(chdb_url, "test_before_migration_5")
    monkeypatch.undo()
    yield opened
    opened.client().command(f"DROP DATABASE IF EXISTS {opened.database}")
    opened.close()


def _insert_old(store: Store, spans: list[Span]) -> None:
    columns = [column for column in SPAN_COLUMNS if column not in NEW_COLUMNS]
    store.insert_json_rows("spans", columns, [_old_row(span) for span in spans])


def _fields(store: Store) -> dict[str, tuple[str, str]]:
    rows = store.query("SELECT span_id, tool_name, billing_tier FROM spans FINAL")
    return {span_id: (tool, tier) for span_id, tool, tier in rows}


def test_rows_stored_before_migration_5_read_their_tool_name_and_tier_from_their_attributes(old_store):
    spans = [_span(attributes=attributes) for attributes, _, _ in OLD_ROWS]
    _insert_old(old_store, spans)

    assert 5 in old_store.migrate()
    expected = {span.span_id: (tool, tier) for span, (_, tool, tier) in zip(spans, OLD_ROWS, strict=True)}
    assert _fields(old_store) == expected
    old_store.client().command("OPTIMIZE TABLE spans FINAL")  # merged parts keep what was read
    assert _fields(old_store) == expected


@pytest.mark.parametrize(("attributes", "tool", "tier"), [row for row in OLD_ROWS if len(row[0]) == 1])
def test_the_backfill_reads_what_ingest_reads_now(attributes, tool, tier):
    span = normalized(attributes)
    assert (span.tool_name, span.billing_tier) == (tool, tier)


def _job() -> RepriceJob:
    return RepriceJob(project="shop", since_ns=START_NS)


CALL_RULE = {"id": "weather-api", "kind": "call", "match": "get_weather", "prices": {"call": "0.004"}}
MODEL_RULE = {
    "id": "mini",
    "match": "gpt-4o-mini",
    "provider": "openai",
    "prices": {"input": "1", "output": "2"},
}
#: 1,000,000 input tokens at $1/M and 100,000 output at $2/M.
LIST_PRICE = Decimal("1.2")


def _costs(store: Store) -> dict[str, tuple[Decimal, str]]:
    rows = store.query("SELECT span_id, cost_total, price_source FROM spans FINAL")
    return {span_id: (Decimal(total), source) for span_id, total, source in rows}


def _llm(**fields: object) -> Span:
    usage = {"input": 1_000_000, "output": 100_000}
    return _span(SpanKind.LLM, provider="openai", request_model="gpt-4o-mini", usage=usage, **fields)


def test_old_rows_are_repriced_by_the_tool_name_and_tier_their_attributes_said(old_store):
    tool = _span(attributes={"gen_ai.tool.name": "get_weather"})
    batch = _llm(attributes={"tokentrail.batch": "true"})
    _insert_old(old_store, [tool, batch])
    old_store.migrate()
    rules = RuleBook(tuple(parse_rule(rule) for rule in (CALL_RULE, MODEL_RULE)))

    job = reprice(old_store, _job(), rules)

    assert job.changed_spans == 2
    assert _costs(old_store) == {
        tool.span_id: (Decimal("0.004"), "rule:weather-api"),
        batch.span_id: (LIST_PRICE / 2, "rule:mini+batch(0.5)"),
    }


def test_repricing_reads_the_columns_not_the_attributes(store):
    # The columns say one thing, the raw attributes another: the columns are what semconv read.
    by_column = _span(tool_name="get_weather")
    by_attribute_only = _span(attributes={"gen_ai.tool.name": "get_weather"})
    flex = _llm(billing_tier="flex")
    said_batch_only = _llm(attributes={"tokentrail.batch": "true"})
    spans = [by_column, by_attribute_only, flex, said_batch_only]
    store.insert_json_rows("spans", SPAN_COLUMNS, [encode_span(span, ingested_ns=1) for span in spans])
    rules = RuleBook(tuple(parse_rule(rule) for rule in (CALL_RULE, MODEL_RULE)))

    reprice(store, _job(), rules)

    assert _costs(store) == {
        by_column.span_id: (Decimal("0.004"), "rule:weather-api"),
        by_attribute_only.span_id: (Decimal(0), ""),
        flex.span_id: (LIST_PRICE / 2, "rule:mini+batch(0.5)"),
        said_batch_only.span_id: (LIST_PRICE, "rule:mini"),
    }
