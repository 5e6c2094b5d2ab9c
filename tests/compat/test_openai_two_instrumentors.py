"""Two instrumentations over one ``openai`` client at once: openai-v2 wraps ``Completions.create`` and
OpenInference wraps the client's ``request`` beneath it, so one call yields a GenAI span with an
OpenInference span inside. The trace must count the call once, as the inner span reports it."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from openinference.instrumentation.openai import OpenAIInstrumentor as OpenInferenceInstrumentor
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor as OpenAIV2Instrumentor
from tests.compat.conftest import Exported, by_name, trace_id_of
from tests.compat.expected import nonzero, openai_call, priced_facts, trace_row

from providers import openai_api as stand_in
from providers.openai_api import OpenAIAPI, Reply

openai_api = stand_in.openai_api  # the stand-in OpenAI API, as this module's fixture


@pytest.fixture
def two_layers(exported: Exported, monkeypatch: pytest.MonkeyPatch) -> Iterator[Exported]:
    for name in ("OTEL_SEMCONV_STABILITY_OPT_IN", "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"):
        monkeypatch.delenv(name, raising=False)
    openinference, v2 = OpenInferenceInstrumentor(), OpenAIV2Instrumentor()
    openinference.instrument(tracer_provider=exported.provider)
    v2.instrument(tracer_provider=exported.provider)
    try:
        yield exported
    finally:
        v2.uninstrument()
        openinference.uninstrument()


@pytest.mark.parametrize("stream", [False, True], ids=["completion", "stream"])
def test_one_call_seen_by_two_instrumentors_is_counted_once(
    two_layers: Exported, openai_api: OpenAIAPI, stream: bool
) -> None:
    openai_api.reply(
        Reply(
            text="One call, one cost.",
            model="gpt-4o-mini-2024-07-18",
            prompt_tokens=1200,
            completion_tokens=80,
            cached_tokens=1000,
        )
    )
    with two_layers.provider.get_tracer("app").start_as_current_span(
        "turn", attributes={"session.id": "s-two-layers", "user.id": "ana@example.com"}
    ) as turn:
        answer = openai_api.client().chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "How often is this call counted?"}],
            stream=stream,
            **({"stream_options": {"include_usage": True}} if stream else {}),
        )
        if stream:
            list(answer)

    assert len(openai_api.requests) == 1
    tree = two_layers.trace(trace_id_of(turn), spans=3)
    nodes = by_name(tree)
    root, outer, inner = nodes["turn"], nodes["chat gpt-4o-mini"], nodes["ChatCompletion"]
    assert (outer["parent_span_id"], inner["parent_span_id"]) == (root["span_id"], outer["span_id"])

    # The inner (OpenInference) span is closest to the provider and knows the cached part: it counts.
    one_call = openai_call(
        inner, model="gpt-4o-mini-2024-07-18", usage={"input": 1200, "output": 80, "cache_read": 1000}
    )
    assert priced_facts(inner) == one_call
    # The outer (GenAI) span keeps what it reported, for display, but is marked as the same call.
    assert priced_facts(outer) == {
        **openai_call(outer, model="gpt-4o-mini-2024-07-18", usage={"input": 1200, "output": 80}),
        "duplicate_of": inner["span_id"],
    }
    assert outer["duplicate_reason"]
    assert inner["duplicate_reason"] is None

    assert Decimal(tree["cost"]) == one_call["cost"]
    assert Decimal(root["subtree_cost"]["total"]) == one_call["cost"]
    assert Decimal(outer["subtree_cost"]["total"]) == one_call["cost"]
    row = trace_row(two_layers, tree["trace_id"])
    assert Decimal(row["cost"]) == one_call["cost"]
    assert nonzero(row["usage"]) == {"input": 1200, "output": 80, "cache_read": 1000}
    session = two_layers.server.get("/api/v1/sessions/s-two-layers").json()
    assert Decimal(session["cost"]) == one_call["cost"]
    by_model = two_layers.server.get("/api/v1/costs", group_by="model").json()
    assert Decimal(by_model["total"]) == one_call["cost"]
    assert sum(group["duplicate_span_count"] for group in by_model["groups"]) == 1
