"""Slow spans: each span of the critical path beside the baseline of its name and service."""

from __future__ import annotations

from decimal import Decimal

from tokentrail.analysis.slow_spans import MIN_SAMPLES, judge_critical_path
from tokentrail.analysis.tree import build_tree
from tokentrail.store.baselines import DurationBaseline

MS = 1_000_000


def _s(span_id, parent="root", *, start, end, service="app"):
    return {
        "span_id": span_id,
        "parent_span_id": parent,
        "name": span_id,
        "service": service,
        "start_ns": start * MS,
        "end_ns": end * MS,
        "status": "ok",
        "cost_total": Decimal(0),
    }


# retrieve, then rerank (slow), then answer; "side" runs beside rerank and is not on the critical path.
TRACE = build_tree(
    "t",
    [
        _s("root", "", start=0, end=1400),
        _s("retrieve", start=0, end=100),
        _s("rerank", start=100, end=1180),
        _s("side", start=100, end=150),
        _s("answer", start=1180, end=1400),
    ],
)


def _verdicts(timings):
    return {timing.name: (timing.verdict, timing.times_p50) for timing in timings}


def test_a_span_over_its_p95_is_slow_with_its_multiple_of_the_p50():
    baselines = {
        ("rerank", "app"): DurationBaseline(412, 120 * MS, 300 * MS),
        ("retrieve", "app"): DurationBaseline(50, 90 * MS, 150 * MS),
        ("answer", "app"): DurationBaseline(MIN_SAMPLES, 200 * MS, 400 * MS),
        ("root", "app"): DurationBaseline(100, 1000 * MS, 2000 * MS),
    }
    timings = judge_critical_path(TRACE, baselines)
    assert [timing.name for timing in timings] == ["root", "retrieve", "rerank", "answer"]
    assert _verdicts(timings) == {
        "root": ("usual", Decimal("1.4")),
        "retrieve": ("usual", Decimal("1.1")),
        "rerank": ("slow", Decimal("9.0")),
        "answer": ("usual", Decimal("1.1")),
    }


def test_a_span_exactly_at_its_p95_is_not_slow():
    timings = judge_critical_path(TRACE, {("retrieve", "app"): DurationBaseline(30, 50 * MS, 100 * MS)})
    assert _verdicts(timings)["retrieve"] == ("usual", Decimal("2.0"))


def test_spans_with_too_few_or_no_baseline_samples_are_not_judged():
    baselines = {("rerank", "app"): DurationBaseline(MIN_SAMPLES - 1, 120 * MS, 300 * MS)}
    timings = judge_critical_path(TRACE, baselines)
    assert {verdict for verdict, _ in _verdicts(timings).values()} == {"too_few_samples"}
    assert all(timing.times_p50 is None for timing in timings)
    assert next(t for t in timings if t.name == "rerank").baseline == baselines[("rerank", "app")]


def test_the_baseline_is_per_service():
    baselines = {("rerank", "other-service"): DurationBaseline(500, 10 * MS, 20 * MS)}
    assert _verdicts(judge_critical_path(TRACE, baselines))["rerank"] == ("too_few_samples", None)


def test_a_zero_median_still_judges_against_the_p95_without_a_multiple():
    baselines = {("rerank", "app"): DurationBaseline(100, 0, 0)}
    assert _verdicts(judge_critical_path(TRACE, baselines))["rerank"] == ("slow", None)
