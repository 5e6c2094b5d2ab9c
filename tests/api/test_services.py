"""A trace that crosses services, through the REST API: the trace document names each span's service, the
hops between services (how each crossed, and when) and each service's share; the trace list names the
services; a span read alone carries its hop."""

from __future__ import annotations

import pytest

from otlp_builders import new_trace_id
from service_traces import MS, three_service_requests

PROTOBUF = "application/x-protobuf"


@pytest.fixture
def trace_id(server):
    trace_id = new_trace_id()
    for body in three_service_requests(trace_id).values():  # one request per service, as three SDKs send
        assert server.post_otlp(body, PROTOBUF).status_code == 200
    return trace_id


@pytest.mark.parametrize("payloads", ["true", "false"])
def test_the_trace_document_lists_the_hops_between_three_services(server, trace_id, payloads):
    trace = server.get(f"/api/v1/traces/{trace_id}", payloads=payloads).json()

    by_name = {span["name"]: span for span in trace["spans"]}
    assert [span["service"] for span in trace["spans"]] == ["gateway", "gateway", "worker", "worker", "tools"]
    hops = [(hop["from_service"], hop["to_service"], hop["via"], hop["crossing_ns"]) for hop in trace["hops"]]
    assert hops == [("gateway", "worker", "queue", 40 * MS), ("worker", "tools", "http", 2 * MS)]
    assert trace["hops"][0]["span_id"] == by_name["run/answer"]["span_id"]
    assert trace["hops"][0]["parent_span_id"] == by_name["apply_async/answer"]["span_id"]
    assert by_name["run/answer"]["hop"] == trace["hops"][0]
    assert by_name["POST /price"]["hop"] == trace["hops"][1]
    assert by_name["POST"]["hop"] is None and by_name["POST /ask"]["hop"] is None
    assert trace["services"] == [
        {"name": "gateway", "span_count": 2, "cost": "0", "busy_ns": 400 * MS},
        {"name": "worker", "span_count": 2, "cost": "0", "busy_ns": 300 * MS},
        {"name": "tools", "span_count": 1, "cost": "0.05", "busy_ns": 90 * MS},
    ]


def test_the_trace_list_names_the_services_and_a_span_carries_its_hop(server, trace_id):
    row = server.get("/api/v1/traces").json()["traces"][0]
    served = next(
        span
        for span in server.get(f"/api/v1/traces/{trace_id}").json()["spans"]
        if span["name"] == "POST /price"
    )

    assert row["trace_id"] == trace_id and row["services"] == ["gateway", "tools", "worker"]
    assert row["service"] == "gateway"
    alone = server.get(f"/api/v1/traces/{trace_id}/spans/{served['span_id']}").json()
    assert alone["hop"] == served["hop"] and alone["hop"]["via"] == "http"
