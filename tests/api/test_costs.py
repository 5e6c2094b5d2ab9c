"""``/api/v1/costs``: spend grouped six ways, with session and user resolved per trace."""

from __future__ import annotations

from decimal import Decimal

import pytest

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span
from prices import MTOK, per_mtok

PROTOBUF = "application/x-protobuf"
DAY = 86_400 * 10**9


def _llm(trace_id, parent, start_ns, model, tokens_in, tokens_out):
    return span(
        "chat",
        trace_id,
        parent=parent,
        start_ns=start_ns,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": model,
            "gen_ai.usage.input_tokens": tokens_in,
            "gen_ai.usage.output_tokens": tokens_out,
        },
    )


@pytest.fixture
def spend(server):
    """Two traces on two days: one session/user on the root only, LLM calls and a paid tool below it."""
    first, second = new_trace_id(), new_trace_id()
    root1 = span("turn", first, attributes={"session.id": "s-1", "user.id": "ana"})
    root2 = span("turn", second, start_ns=NOW_NS + DAY, attributes={"user.id": "bo"})
    spans = [
        root1,
        _llm(first, root1["span_id"], NOW_NS + 1, "gpt-4o-mini", 1000, 100),
        span(
            "search",
            first,
            parent=root1["span_id"],
            start_ns=NOW_NS + 2,
            attributes={"tool.cost_usd": "0.002"},
        ),
        root2,
        _llm(second, root2["span_id"], NOW_NS + DAY + 1, "gpt-4o", 2000, 50),
    ]
    server.post_otlp(protobuf_request(spans), PROTOBUF)
    mini, big = per_mtok("gpt-4o-mini", "openai", NOW_NS), per_mtok("gpt-4o", "openai", NOW_NS + DAY)
    return {
        "mini": (1000 * mini["input_mtok"] + 100 * mini["output_mtok"]) / MTOK,
        "big": (2000 * big["input_mtok"] + 50 * big["output_mtok"]) / MTOK,
        "tool": Decimal("0.002"),
    }


def _groups(server, group_by, **params):
    body = server.get("/api/v1/costs", group_by=group_by, **params).json()
    return {row["key"]: Decimal(row["cost"]) for row in body["groups"]}, Decimal(body["total"])


def test_costs_by_model_kind_service_and_day(server, spend):
    by_model, total = _groups(server, "model")
    assert by_model == {"gpt-4o": spend["big"], "gpt-4o-mini": spend["mini"], "": spend["tool"]}
    assert total == sum(spend.values())
    assert _groups(server, "kind")[0] == {"llm": spend["big"] + spend["mini"], "other": spend["tool"]}
    assert _groups(server, "service")[0] == {"test-app": total}
    assert _groups(server, "day")[0] == {
        "2026-01-01": spend["mini"] + spend["tool"],
        "2026-01-02": spend["big"],
    }


def test_session_and_user_totals_include_child_spans_without_the_ids(server, spend):
    assert _groups(server, "session")[0] == {"s-1": spend["mini"] + spend["tool"], "": spend["big"]}
    assert _groups(server, "user")[0] == {"ana": spend["mini"] + spend["tool"], "bo": spend["big"]}


def test_costs_over_a_time_range_and_by_origin(server, spend):
    by_model, _ = _groups(server, "model", start="2026-01-02T00:00:00Z")
    assert by_model == {"gpt-4o": spend["big"], "": 0}  # the root span: no model, no cost
    rows = server.get("/api/v1/costs", group_by="kind").json()["groups"]
    origins = {row["key"]: row["cost_by_origin"] for row in rows}
    assert set(origins["llm"]) == {"inferred"} and set(origins["other"]) == {"custom"}


def test_unknown_grouping_is_a_400(server):
    assert server.get("/api/v1/costs", group_by="planet").status_code == 400


def test_one_api_is_one_provider_in_cost_by_provider_whatever_the_instrumentation_calls_it(server):
    # The Gemini API as the OpenTelemetry google-genai instrumentation, OpenInference and pydantic-ai name it.
    trace_id = new_trace_id()
    spellings = [
        {"gen_ai.system": "gemini"},
        {"llm.provider": "google"},
        {"gen_ai.provider.name": "google"},
        {"gen_ai.provider.name": "gcp.gen_ai"},
    ]
    calls = [
        span(
            f"call {n}",
            trace_id,
            start_ns=NOW_NS + n,
            attributes={
                **spelling,
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gemini-2.5-flash",
                "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.output_tokens": 100,
            },
        )
        for n, spelling in enumerate(spellings)
    ]
    server.post_otlp(protobuf_request(calls), "application/x-protobuf")

    by_provider = server.get("/api/v1/costs", group_by="provider").json()
    day = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"}
    over_time = server.get("/api/v1/costs/timeseries", group_by="provider", **day).json()

    prices = per_mtok("gemini-2.5-flash", "google", NOW_NS)
    one_call = (1000 * prices["input_mtok"] + 100 * prices["output_mtok"]) / MTOK
    (group,) = by_provider["groups"]
    assert (group["key"], Decimal(group["cost"])) == ("gcp.gemini", 4 * one_call)
    assert over_time["keys"] == ["gcp.gemini"]
