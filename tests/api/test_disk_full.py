"""Below TOKENTRAIL_MIN_FREE_DISK_MB of free space ingest answers 503 with Retry-After, and reads go on."""

from __future__ import annotations

import contextlib

import httpx
from google.rpc import status_pb2

from conftest import start_server
from otlp_builders import json_request, new_trace_id, protobuf_request, span
from scrape import scrape, value

#: More free space than any disk has: every ingest request finds the disk "full".
PETABYTE_MB = 10**9


def test_ingest_is_refused_with_retry_after_and_reads_go_on(store, tmp_path):
    stored = new_trace_id()
    with contextlib.closing(start_server(store, tmp_path / "roomy")) as servers:
        roomy = next(servers)
        assert roomy.post_otlp(json_request([span("kept", stored)]), "application/json").status_code == 200
        roomy.settle()

    with contextlib.closing(start_server(store, tmp_path / "full", min_free_disk_mb=PETABYTE_MB)) as servers:
        full = next(servers)
        refused = new_trace_id()
        response = full.post_otlp(protobuf_request([span("refused", refused)]), "application/x-protobuf")

        assert response.status_code == 503
        assert int(response.headers["retry-after"]) > 0
        status = status_pb2.Status.FromString(response.content)
        assert status.code == 14  # UNAVAILABLE: OTLP exporters retry it
        assert "TOKENTRAIL_MIN_FREE_DISK_MB" in status.message
        # Reads go on: what was stored before is served, what was refused is not there.
        assert [s["name"] for s in full.get(f"/api/v1/traces/{stored}").json()["spans"]] == ["kept"]
        assert full.get(f"/api/v1/traces/{refused}").status_code == 404
        assert httpx.get(full.url + "/healthz", timeout=30).json()["pending_spans"] == 0
        assert value(scrape(full.url), "tokentrail_ingest_requests_refused_total", reason="disk") == 1
