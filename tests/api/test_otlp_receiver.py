"""The OTLP/HTTP receiver end to end: real exporters and hand-built payloads sent to a live server on
loopback, read back through the REST API."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal

import pytest
from google.rpc import status_pb2
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from otlp_builders import NOW_NS, json_request, new_trace_id, protobuf_request, span
from prices import MTOK, per_mtok

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


def _sdk_provider(url: str, service: str = "checkout") -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=url + "/v1/traces")))
    return provider


def test_opentelemetry_sdk_exporter_spans_come_back_as_a_priced_tree(server):
    provider = _sdk_provider(server.url)
    tracer = provider.get_tracer("shop")
    start = NOW_NS
    root = tracer.start_span(
        "answer-question", start_time=start, attributes={"session.id": "s-1", "user.id": "u-1"}
    )
    with trace.use_span(root, end_on_exit=False):
        llm = tracer.start_span(
            "chat o3-mini",
            start_time=start + 1_000_000,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "o3-mini",
                "gen_ai.usage.input_tokens": 12_000,
                "gen_ai.usage.cache_read.input_tokens": 10_000,
                "gen_ai.usage.output_tokens": 3_000,
                "gen_ai.usage.reasoning.output_tokens": 2_000,
            },
        )
        llm.end(end_time=start + 900_000_000)
        tool = tracer.start_span(
            "lookup",
            start_time=start + 901_000_000,
            attributes={"tool.name": "lookup", "tool.cost_usd": 0.002},
        )
        tool.set_status(Status(StatusCode.ERROR, "not found"))
        tool.end(end_time=start + 950_000_000)
    root.end(end_time=start + 1_000_000_000)
    provider.shutdown()
    trace_id = format(root.get_span_context().trace_id, "032x")

    tree = server.get(f"/api/v1/traces/{trace_id}").json()

    prices = per_mtok("o3-mini", "openai", start)
    # OpenAI counts cached tokens inside input and reasoning inside output.
    expected_llm = (
        (12_000 - 10_000) * prices["input_mtok"]
        + 10_000 * prices["cache_read_mtok"]
        + 3_000 * prices["output_mtok"]
    ) / MTOK
    assert tree["span_count"] == 3
    assert Decimal(tree["cost"]) == expected_llm + Decimal("0.002")
    root_node, llm_node, tool_node = tree["spans"]
    assert root_node["name"] == "answer-question"
    assert root_node["child_span_ids"] == [llm_node["span_id"], tool_node["span_id"]]
    assert llm_node["kind"] == "llm"
    assert llm_node["usage"] == {"cache_read": 10_000, "input": 12_000, "output": 3_000, "reasoning": 2_000}
    assert Decimal(llm_node["cost"]["total"]) == expected_llm
    assert llm_node["cost"]["origin"] == "inferred"
    assert Decimal(llm_node["cost"]["by_type"]["cache_read"]) == 10_000 * prices["cache_read_mtok"] / MTOK
    assert tool_node["cost"] == {
        "total": "0.002",
        "by_type": {"tool": "0.002"},
        "origin": "custom",
        "unpriced_reason": None,
        "price_source": "reported",
    }
    assert tool_node["status"] == "error" and tool_node["error"]["message"] == "not found"
    assert Decimal(root_node["subtree_cost"]["total"]) == Decimal(tree["cost"])
    assert root_node["subtree_duration_ns"] == 1_000_000_000


def test_hand_built_json_payload_with_hex_ids_and_string_ints_is_accepted(server):
    trace_id = new_trace_id()
    root = span("rag", trace_id, attributes={"openinference.span.kind": "CHAIN", "session.id": "s-json"})
    llm = span(
        "llm",
        trace_id,
        parent=root["span_id"],
        start_ns=NOW_NS + 1000,
        attributes={
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o-mini",
            "llm.provider": "openai",
            "llm.token_count.prompt": 1000,
            "llm.token_count.completion": 200,
        },
    )

    response = server.post_otlp(json_request([root, llm]), JSON)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(JSON)
    assert json.loads(response.content) == {}
    tree = server.get(f"/api/v1/traces/{trace_id}").json()
    prices = per_mtok("gpt-4o-mini", "openai", NOW_NS)
    expected = (1000 * prices["input_mtok"] + 200 * prices["output_mtok"]) / MTOK
    assert Decimal(tree["cost"]) == expected
    assert tree["spans"][1]["usage"] == {"input": 1000, "output": 200}


def test_gzip_protobuf_body_is_accepted_and_answered_in_protobuf(server):
    trace_id = new_trace_id()
    body = gzip.compress(protobuf_request([span("job", trace_id)]))

    response = server.post_otlp(body, PROTOBUF, **{"content-encoding": "gzip"})

    assert response.status_code == 200
    assert response.headers["content-type"] == PROTOBUF
    assert not ExportTraceServiceResponse.FromString(response.content).HasField("partial_success")
    assert server.get(f"/api/v1/traces/{trace_id}").status_code == 200


def test_truncated_protobuf_is_a_400_with_a_status_message(server):
    body = protobuf_request([span("job", new_trace_id(), attributes={"x": "y" * 100})])

    response = server.post_otlp(body[:-7], PROTOBUF)

    assert response.status_code == 400
    status = status_pb2.Status.FromString(response.content)
    assert "not a valid protobuf" in status.message


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", ""])
def test_unsupported_content_type_is_refused_with_the_accepted_types(server, content_type):
    response = server.post_otlp(b"{}", content_type)

    assert response.status_code == 415
    assert "application/x-protobuf" in response.json()["message"]


def test_invalid_json_is_a_400_naming_the_problem(server):
    response = server.post_otlp(b'{"resourceSpans": [', JSON)

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]


def test_span_with_wrong_length_ids_is_rejected_alone(server):
    trace_id = new_trace_id()
    good = span("good", trace_id)
    bad_trace = span("bad-trace-id", trace_id[:30])
    bad_span = span("bad-span-id", trace_id, span_id="abcd")

    response = server.post_otlp(json_request([good, bad_trace, bad_span]), JSON)

    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "2"
    assert "trace_id must be 16" in partial["errorMessage"]
    assert "span_id must be 8" in partial["errorMessage"]
    tree = server.get(f"/api/v1/traces/{trace_id}").json()
    assert [s["name"] for s in tree["spans"]] == ["good"]


def test_span_ending_before_it_starts_is_kept_with_zero_duration_and_a_warning(server):
    trace_id = new_trace_id()
    skewed = span("skewed", trace_id)
    skewed["end_ns"] = skewed["start_ns"] - 5_000_000

    response = server.post_otlp(protobuf_request([skewed]), PROTOBUF)

    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert partial.rejected_spans == 0
    assert "end_time is before start_time" in partial.error_message
    (node,) = server.get(f"/api/v1/traces/{trace_id}").json()["spans"]
    assert node["duration_ns"] == 0


def test_span_that_is_its_own_parent_becomes_a_root(server):
    trace_id = new_trace_id()
    loop = span("loop", trace_id, span_id="00000000000000aa", parent="00000000000000aa")
    child = span("child", trace_id, parent="00000000000000aa", start_ns=NOW_NS + 1)

    response = server.post_otlp(protobuf_request([loop, child]), PROTOBUF)

    assert "parent_span_id is the span itself" in (
        ExportTraceServiceResponse.FromString(response.content).partial_success.error_message
    )
    tree = server.get(f"/api/v1/traces/{trace_id}").json()
    assert tree["root_span_ids"] == ["00000000000000aa"]
    assert tree["spans"][1]["depth"] == 1


@pytest.mark.slow
def test_ten_thousand_deep_chain_is_stored_and_served_as_a_tree(server):
    trace_id = new_trace_id()
    chain = []
    parent = ""
    for depth in range(10_000):
        item = span(f"step-{depth}", trace_id, parent=parent, start_ns=NOW_NS + depth * 1000)
        chain.append(item)
        parent = item["span_id"]

    response = server.post_otlp(protobuf_request(chain), PROTOBUF)

    assert response.status_code == 200
    tree = server.get(f"/api/v1/traces/{trace_id}").json()
    assert tree["span_count"] == 10_000
    assert tree["spans"][-1]["depth"] == 9_999
    assert tree["spans"][0]["subtree_span_count"] == 10_000


@pytest.mark.slow
def test_fifty_megabyte_body_is_refused_with_413(server):
    response = server.post_otlp(b"\x0a" + b"x" * (50 * 1024 * 1024), PROTOBUF)

    assert response.status_code == 413
    assert "limit" in status_pb2.Status.FromString(response.content).message


def test_gzip_bomb_is_refused_with_413_once_inflated_past_the_limit(server):
    body = gzip.compress(b"\x00" * (server.settings.max_body_bytes + 1))

    response = server.post_otlp(body, PROTOBUF, **{"content-encoding": "gzip"})

    assert response.status_code == 413


def test_unknown_model_is_stored_unpriced_with_its_reason(server):
    trace_id = new_trace_id()
    llm = span(
        "chat",
        trace_id,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "acme-llm-9000",
            "gen_ai.usage.input_tokens": 10,
            "gen_ai.usage.output_tokens": 5,
        },
    )
    good = span("step", trace_id, start_ns=NOW_NS + 1, attributes={"tool.cost_usd": "0.01"})

    assert server.post_otlp(protobuf_request([llm, good]), PROTOBUF).status_code == 200

    tree = server.get(f"/api/v1/traces/{trace_id}").json()
    chat, step = tree["spans"]
    assert chat["cost"]["unpriced_reason"] == "unknown_model"
    assert chat["cost"]["total"] == "0" and chat["cost"]["by_type"] == {}
    assert step["cost"]["total"] == "0.01"
    listed = server.get("/api/v1/traces").json()["traces"][0]
    assert listed["unpriced_count"] == 1


def test_resent_spans_do_not_double_count(server):
    trace_id = new_trace_id()
    body = protobuf_request([span("paid", trace_id, attributes={"tool.cost_usd": 0.5})])

    for _ in range(3):
        assert server.post_otlp(body, PROTOBUF).status_code == 200

    (row,) = server.get("/api/v1/traces").json()["traces"]
    assert (row["span_count"], row["cost"]) == (1, "0.5")
    costs = server.get("/api/v1/costs", group_by="kind").json()
    assert costs["total"] == "0.5"


def test_project_header_places_spans_in_that_project_only(server):
    trace_id = new_trace_id()

    server.post_otlp(protobuf_request([span("a", trace_id)]), PROTOBUF, **{"x-tokentrail-project": "team-b"})

    assert server.get("/api/v1/traces").json()["traces"] == []
    (row,) = server.get("/api/v1/traces", project="team-b").json()["traces"]
    assert row["trace_id"] == trace_id


def test_invalid_project_header_is_a_400(server):
    response = server.post_otlp(
        protobuf_request([span("a", new_trace_id())]), PROTOBUF, **{"x-tokentrail-project": "../etc"}
    )

    assert response.status_code == 400


def test_service_name_mapping_picks_the_project(store, tmp_path):
    from conftest import start_server

    for live in start_server(store, tmp_path, projects={"checkout": "shop"}):
        trace_id = new_trace_id()
        live.post_otlp(protobuf_request([span("pay", trace_id)], service="checkout"), PROTOBUF)
        other = new_trace_id()
        live.post_otlp(protobuf_request([span("misc", other)], service="batch-job"), PROTOBUF)

        assert [t["trace_id"] for t in live.get("/api/v1/traces", project="shop").json()["traces"]] == [
            trace_id
        ]
        assert [t["trace_id"] for t in live.get("/api/v1/traces").json()["traces"]] == [other]


def test_openapi_describes_the_api(server):
    paths = server.get("/openapi.json").json()["paths"]

    assert {
        "/v1/traces",
        "/api/v1/traces",
        "/api/v1/traces/{trace_id}",
        "/api/v1/sessions",
        "/api/v1/costs",
    } <= set(paths)


@pytest.mark.parametrize("path", ["/api/public/otel/v1/traces", "/otel/v1/traces"])
def test_vendor_sdk_paths_receive_the_same_otlp(server, path):
    import httpx

    trace_id = new_trace_id()
    response = httpx.post(
        server.url + path,
        content=protobuf_request([span("vendor", trace_id)]),
        headers={"content-type": PROTOBUF, "authorization": "Basic cGstbGYtMTpzay1sZi0x"},
    )

    assert response.status_code == 200
    assert server.get(f"/api/v1/traces/{trace_id}").status_code == 200
