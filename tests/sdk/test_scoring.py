"""``tokentrail.score``: the current span when nothing is named, else the trace, span or session named;
the value's type gives the score's, and a refusal (a score that does not fit its config) is raised."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

import tokentrail
from conftest import LiveServer
from sdk.conftest import NO_INSTRUMENTATION
from tokentrail.sdk.api import ApiError, request


@pytest.fixture
def provider(server: LiveServer) -> Iterator[TracerProvider]:
    provider = TracerProvider()
    tokentrail.init(server.url, tracer_provider=provider, instrument=NO_INSTRUMENTATION)  # type: ignore[arg-type]
    try:
        yield provider
    finally:
        tokentrail.shutdown(timeout=1)


def test_with_nothing_named_the_current_span_is_scored(server: LiveServer, provider: TracerProvider) -> None:
    with provider.get_tracer("app").start_as_current_span("answer") as span:
        stored = tokentrail.score("helpful", 0.9, comment="cited the page", metadata={"by": "rubric"})
    context = span.get_span_context()

    (score,) = server.get("/api/v1/scores", span_id=f"{context.span_id:016x}").json()["scores"]

    assert score == stored
    assert (score["trace_id"], score["source"], score["data_type"], score["value"]) == (
        f"{context.trace_id:032x}",
        "sdk",
        "numeric",
        0.9,
    )
    assert (score["comment"], score["metadata"]) == ("cited the page", {"by": "rubric"})


def test_the_value_type_gives_the_data_type_and_named_targets_win(
    server: LiveServer, provider: TracerProvider
) -> None:
    with provider.get_tracer("app").start_as_current_span("answer"):
        tokentrail.score("resolved", True, session_id="chat-7")
        tokentrail.score("tone", "polite", trace_id="a1" * 16)
        tokentrail.score("correct", 1, trace_id="a1" * 16, data_type="boolean", id="c1")
        tokentrail.score("correct", 0, trace_id="a1" * 16, data_type="boolean", id="c1")

    scores = {s["name"]: s for s in server.get("/api/v1/scores").json()["scores"]}

    assert (scores["resolved"]["session_id"], scores["resolved"]["trace_id"]) == ("chat-7", "")
    assert (scores["resolved"]["data_type"], scores["resolved"]["value"]) == ("boolean", 1.0)
    assert (scores["tone"]["data_type"], scores["tone"]["string_value"]) == ("categorical", "polite")
    assert (scores["correct"]["id"], scores["correct"]["value"]) == ("c1", 0.0)


def test_a_score_that_does_not_fit_its_config_is_raised(server: LiveServer, provider: TracerProvider) -> None:
    request("POST", "/api/v1/score-configs", json={"name": "helpful", "min": 0, "max": 1})

    with pytest.raises(ApiError, match=r"outside its config's range 0\.\.1") as refused:
        tokentrail.score("helpful", 7, trace_id="a1" * 16)
    assert refused.value.status == 400


def test_nothing_to_score_is_a_value_error(provider: TracerProvider) -> None:
    with pytest.raises(ValueError, match="no span is current"):
        tokentrail.score("helpful", 1)
