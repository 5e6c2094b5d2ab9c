"""The OTLP/gRPC receiver end to end: the OpenTelemetry SDK's gRPC exporter and a raw gRPC channel against
a live server on loopback, read back through the REST API and the store."""

from __future__ import annotations

import gzip
import socket
from decimal import Decimal

import grpc
import httpx
import pytest
from fastapi.testclient import TestClient
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.exporter import Compression
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

from conftest import ADMIN_KEY, start_server
from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span
from prices import MTOK, per_mtok
from scrape import scrape, value
from tokentrail.api import create_app
from tokentrail.api.otlp_grpc import EXPORT_METHOD
from tokentrail.config import Settings

PROTOBUF = "application/x-protobuf"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _grpc_server(store, tmp_path, **settings):
    """A live server with its gRPC receiver on a free port; yields it and the gRPC target."""
    port = _free_port()
    for live in start_server(store, tmp_path, grpc_port=port, **settings):
        yield live, f"127.0.0.1:{port}"


@pytest.fixture
def grpc_server(store, tmp_path):
    yield from _grpc_server(store, tmp_path)


def _export(target: str, body: bytes, **call) -> ExportTraceServiceResponse:
    """One ``Export`` call with ``body`` as the request's bytes, as an exporter sends it."""
    with grpc.insecure_channel(target) as channel:
        export = channel.unary_unary(EXPORT_METHOD)  # no serializers: bytes out, bytes back
        return ExportTraceServiceResponse.FromString(export(body, timeout=30, **call))


def _refusal(target: str, body: bytes, **call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as refused:
        _export(target, body, **call)
    return refused.value


def _sdk_provider(target: str, service: str = "checkout", **exporter) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"http://{target}", insecure=True, **exporter))
    )
    return provider


def _llm_call(provider: TracerProvider) -> str:
    """A root span with one priced LLM call under it, sent through ``provider``; returns the trace id."""
    tracer = provider.get_tracer("shop")
    root = tracer.start_span("answer-question", start_time=NOW_NS, attributes={"session.id": "s-1"})
    llm = tracer.start_span(
        "chat gpt-4o",
        context=trace.set_span_in_context(root),
        start_time=NOW_NS + 1_000_000,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 12_000,
            "gen_ai.usage.output_tokens": 3_000,
        },
    )
    llm.end(end_time=NOW_NS + 900_000_000)
    root.end(end_time=NOW_NS + 1_000_000_000)
    provider.shutdown()
    return format(root.get_span_context().trace_id, "032x")


def _expected_cost() -> Decimal:
    prices = per_mtok("gpt-4o", "openai", NOW_NS)
    return (12_000 * prices["input_mtok"] + 3_000 * prices["output_mtok"]) / MTOK


def test_sdk_grpc_exporter_spans_come_back_as_a_priced_tree(grpc_server):
    live, target = grpc_server

    trace_id = _llm_call(_sdk_provider(target))

    tree = live.get(f"/api/v1/traces/{trace_id}").json()
    assert tree["span_count"] == 2
    root, llm = tree["spans"]
    assert root["name"] == "answer-question"
    assert root["child_span_ids"] == [llm["span_id"]]
    assert llm["kind"] == "llm"
    assert llm["usage"] == {"input": 12_000, "output": 3_000}
    assert Decimal(tree["cost"]) == _expected_cost()
    assert root["session_id"] == "s-1"


def test_gzip_exports_are_inflated_and_stored(grpc_server):
    live, target = grpc_server

    trace_id = _llm_call(_sdk_provider(target, compression=Compression.Gzip))

    assert Decimal(live.get(f"/api/v1/traces/{trace_id}").json()["cost"]) == _expected_cost()


def test_the_project_comes_from_the_call_metadata(grpc_server):
    live, target = grpc_server

    trace_id = _llm_call(_sdk_provider(target, headers={"x-tokentrail-project": "shop"}))

    assert live.get(f"/api/v1/traces/{trace_id}", project="shop").json()["span_count"] == 2
    assert live.get(f"/api/v1/traces/{trace_id}").status_code == 404


def test_a_bad_project_name_is_an_invalid_argument(grpc_server):
    _, target = grpc_server
    body = protobuf_request([span("step", new_trace_id())])

    refused = _refusal(target, body, metadata=[("x-tokentrail-project", "../etc")])

    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "project name '../etc'" in refused.details()


@pytest.fixture
def secured_grpc(store, tmp_path):
    """A server with keys enforced: an ingest key and a read key of project "shop"."""
    for live, target in _grpc_server(store, tmp_path, admin_key=ADMIN_KEY):
        access = live.app.state.access
        access.create_project("shop")
        keys = {
            right: access.create_key(right, project="shop", rights=[right])[0] for right in ("ingest", "read")
        }
        yield live, target, keys


def _bearer(key: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {key}")]


def test_with_keys_a_calls_spans_go_to_its_keys_project(secured_grpc):
    live, target, keys = secured_grpc
    provider = _sdk_provider(target, headers={"authorization": f"Bearer {keys['ingest']}"})

    trace_id = _llm_call(provider)

    read = {"authorization": f"Bearer {keys['read']}"}
    live.settle()
    found = httpx.get(f"{live.url}/api/v1/traces/{trace_id}", params={"project": "shop"}, headers=read)
    assert found.json()["span_count"] == 2


#: Metadata that must not send to project "shop", from the keys of ``secured_grpc``.
_NOT_SHOPS_INGEST = {
    "no key": (lambda keys: [], grpc.StatusCode.UNAUTHENTICATED),
    "unknown key": (lambda keys: _bearer("tt_0000000000000000_" + "x" * 43), grpc.StatusCode.UNAUTHENTICATED),
    "read-only key": (lambda keys: _bearer(keys["read"]), grpc.StatusCode.PERMISSION_DENIED),
    "another project": (
        lambda keys: [*_bearer(keys["ingest"]), ("x-tokentrail-project", "default")],
        grpc.StatusCode.PERMISSION_DENIED,
    ),
}


@pytest.mark.parametrize("case", sorted(_NOT_SHOPS_INGEST))
def test_with_keys_a_call_without_an_ingest_key_for_its_project_is_refused(secured_grpc, case):
    live, target, keys = secured_grpc
    metadata, code = _NOT_SHOPS_INGEST[case]

    refused = _refusal(target, protobuf_request([span("step", new_trace_id())]), metadata=metadata(keys))

    assert refused.code() == code
    assert live.get("/healthz").json()["written_spans"] == 0


def test_a_revoked_key_is_refused(secured_grpc):
    live, target, keys = secured_grpc
    access = live.app.state.access
    (record,) = [key for key in access.keys("shop") if key.name == "ingest"]
    access.revoke_key(record.id)

    refused = _refusal(
        target, protobuf_request([span("step", new_trace_id())]), metadata=_bearer(keys["ingest"])
    )

    assert refused.code() == grpc.StatusCode.UNAUTHENTICATED


def test_spans_the_stages_reject_are_a_partial_success_and_the_rest_is_stored(grpc_server):
    live, target = grpc_server
    trace_id = new_trace_id()
    good = span("good", trace_id)
    bad = span("bad", trace_id, span_id="00" * 8)  # a zero span id is rejected at decoding

    answer = _export(target, protobuf_request([good, bad]))

    assert answer.partial_success.rejected_spans == 1
    assert "span_id must be 8 non-zero bytes" in answer.partial_success.error_message
    spans = live.get(f"/api/v1/traces/{trace_id}").json()["spans"]
    assert [item["name"] for item in spans] == ["good"]


def test_a_malformed_body_is_an_invalid_argument_with_the_message_http_gives(grpc_server):
    live, target = grpc_server
    body = b"\xff\xff\xff not protobuf"

    refused = _refusal(target, body)

    http = live.post_otlp(body, PROTOBUF)
    assert http.status_code == 400
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.details() == status_pb2.Status.FromString(http.content).message
    assert refused.details().startswith("body is not a valid protobuf ExportTraceServiceRequest")


@pytest.mark.parametrize("compression", [None, grpc.Compression.Gzip])
def test_a_request_over_the_size_limit_is_resource_exhausted_even_when_gzip_shrinks_it(
    store, tmp_path, compression
):
    # 200 spans of one repeated value: about 100 KB, which gzip sends in a few KB.
    items = [span("step", "ab" * 16, attributes={"input.value": "x" * 400}) for _ in range(200)]
    body = protobuf_request(items)
    limit = 50_000
    assert len(gzip.compress(body)) < limit < len(body)
    for live, target in _grpc_server(store, tmp_path, max_body_bytes=limit):
        refused = _refusal(target, body, compression=compression)

        assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert live.get("/healthz").json()["written_spans"] == 0
        small = protobuf_request(items[:50])
        assert _export(target, small, compression=compression).partial_success.rejected_spans == 0


def test_overload_is_unavailable_with_retry_info(store, tmp_path):
    # Nothing reaches the store for a minute, so the writer holds the first request's 5 spans and has room
    # for no more.
    for live, target in _grpc_server(store, tmp_path, flush_interval_ms=60_000, max_pending_spans=5):
        first = protobuf_request([span(f"s{i}", new_trace_id()) for i in range(5)])
        second = protobuf_request([span(f"t{i}", new_trace_id()) for i in range(5)])
        _export(target, first)

        refused = _refusal(target, second)

        assert refused.code() == grpc.StatusCode.UNAVAILABLE
        assert "spans are waiting to be written" in refused.details()
        status = rpc_status.from_call(refused)
        assert status is not None and status.code == code_pb2.UNAVAILABLE
        (detail,) = status.details
        retry = error_details_pb2.RetryInfo()
        assert detail.Unpack(retry)
        assert retry.retry_delay.seconds == 2
        http = live.post_otlp(second, PROTOBUF)
        assert http.status_code == 503 and http.headers["retry-after"] == "2"  # the same answer over HTTP


def test_an_acknowledged_export_is_in_the_store_after_the_server_stops(store, tmp_path):
    # Nothing is inserted before the server stops: the acknowledged spans are in the write-ahead log only.
    tracer = TracerProvider().get_tracer("shop")  # no processor: the spans are handed to the exporter here
    spans = []
    for index in range(3):
        item = tracer.start_span(f"step-{index}", start_time=NOW_NS)
        item.end(end_time=NOW_NS + 1_000)
        spans.append(item)
    for live, target in _grpc_server(store, tmp_path, flush_interval_ms=600_000):
        exporter = OTLPSpanExporter(endpoint=f"http://{target}", insecure=True)
        assert exporter.export(spans) == SpanExportResult.SUCCESS
        exporter.shutdown()
        assert live.app.state.writer.written == 0

    names = store.query("SELECT name FROM spans FINAL ORDER BY name")
    assert [name for (name,) in names] == ["step-0", "step-1", "step-2"]


def test_a_grpc_port_in_use_stops_the_start_with_a_message_naming_it(store, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(data_dir=tmp_path, grpc_port=port, ingest_processes=0)

        refused = pytest.raises(RuntimeError, match=f"cannot listen for OTLP/gRPC on 127.0.0.1:{port}")
        with refused, TestClient(create_app(settings, store=store)):
            pass


def test_grpc_answers_and_spans_are_counted_in_the_metrics(grpc_server):
    live, target = grpc_server
    _export(target, protobuf_request([span("counted", new_trace_id())]))
    _refusal(target, b"\xff\xff not protobuf")

    samples = scrape(live.url)

    responses = "tokentrail_responses_total"
    assert value(samples, responses, transport="grpc", route="Export", status="OK") == 1
    assert value(samples, responses, transport="grpc", route="Export", status="INVALID_ARGUMENT") == 1
    assert value(samples, "tokentrail_spans_accepted_total", project="default") == 1
    assert value(samples, "tokentrail_ingest_requests_refused_total", reason="malformed") == 1
