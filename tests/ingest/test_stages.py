"""The chain's processors, decode to encode: each does its one job, and a span none can read is rejected
alone."""

from __future__ import annotations

import orjson
import pytest

from otlp_builders import new_trace_id, protobuf_request, span
from tokentrail.config import Settings
from tokentrail.errors import BadRequest, PermanentError, UnsupportedMediaType
from tokentrail.ingest import stages
from tokentrail.ingest.chain import Batch
from tokentrail.ingest.offload import run_processors
from tokentrail.ingest.otlp import PROTOBUF
from tokentrail.store.rows import SPAN_COLUMNS

_LLM = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.usage.input_tokens": 1000,
    "gen_ai.usage.output_tokens": 100,
}


def _run(body: bytes, settings: Settings | None = None, **batch: object) -> Batch:
    return run_processors(
        stages.processors(settings or Settings(), None), Batch(body=body, media_type=PROTOBUF, **batch)
    )


def _row(batch: Batch, name: str) -> dict[str, object]:
    rows = [dict(zip(SPAN_COLUMNS, orjson.loads(row), strict=True)) for row in batch.rows.values()]
    return next(row for row in rows if row["name"] == name)


def test_the_processors_turn_a_body_into_priced_rows_keyed_by_span():
    trace_id = new_trace_id()
    body = protobuf_request([span("turn", trace_id), span("chat", trace_id, attributes=_LLM)], service="shop")

    batch = _run(body)

    assert len(batch.rows) == 2
    assert {(project, trace) for project, trace, _ in batch.rows} == {("default", trace_id)}
    chat = _row(batch, "chat")
    assert chat["kind"] == "llm"
    assert chat["cost_origin"] == "inferred"
    assert chat["cost_total"] != "0"
    assert batch.body == b"" and batch.raw == [] and batch.spans == []  # only rows cross back
    assert batch.rejected == [] and batch.warnings == []


def test_the_batch_project_wins_over_the_service_mapping():
    body = protobuf_request([span("turn", new_trace_id())], service="shop")
    settings = Settings(projects={"shop": "retail"})

    assert {key[0] for key in _run(body, settings).rows} == {"retail"}
    assert {key[0] for key in _run(body, settings, project="team-a").rows} == {"team-a"}


def test_a_span_no_stage_can_read_is_rejected_alone(monkeypatch):
    real = stages.normalize

    def fragile(raw, **kwargs):
        if raw.name == "poison":
            raise RecursionError("maximum recursion depth exceeded")
        return real(raw, **kwargs)

    monkeypatch.setattr(stages, "normalize", fragile)
    trace_id = new_trace_id()

    batch = _run(protobuf_request([span("fine", trace_id), span("poison", trace_id)]))

    assert len(batch.rows) == 1
    assert len(batch.rejected) == 1
    assert "'poison': could not be read (RecursionError" in batch.rejected[0]


def test_a_span_pricing_cannot_read_is_rejected_alone(monkeypatch):
    real = stages.price_span

    def fragile(span, **kwargs):
        if span.name == "poison":
            raise ValueError("no such price")
        real(span, **kwargs)

    monkeypatch.setattr(stages, "price_span", fragile)
    trace_id = new_trace_id()

    batch = _run(protobuf_request([span("fine", trace_id, attributes=_LLM), span("poison", trace_id)]))

    assert len(batch.rows) == 1 and _row(batch, "fine")["kind"] == "llm"
    assert "'poison': could not be read (ValueError('no such price')" in batch.rejected[0]


def test_impossible_usage_is_taken_off_with_a_warning_and_the_span_kept():
    trace_id = new_trace_id()
    huge = {**_LLM, "gen_ai.usage.input_tokens": 10**15}

    batch = _run(protobuf_request([span("chat", trace_id, attributes=huge)]))

    assert len(batch.rows) == 1
    assert len(batch.warnings) == 1 and "input" in batch.warnings[0]
    assert _row(batch, "chat")["unpriced_reason"] == "invalid_usage"


def test_a_body_that_can_never_be_read_is_a_permanent_error():
    with pytest.raises(BadRequest) as raised:
        _run(b"\xff\xff not protobuf")
    assert isinstance(raised.value, PermanentError)
    with pytest.raises(UnsupportedMediaType):
        run_processors(stages.processors(Settings(), None), Batch(body=b"{}", media_type="text/csv"))
