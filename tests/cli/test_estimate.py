"""``tokentrail estimate``: hosted offers' monthly bills for the rates observed on a server, or given."""

from __future__ import annotations

import json
import time
from decimal import Decimal

from typer.testing import CliRunner

from otlp_builders import NOW_NS, new_span_id, new_trace_id, protobuf_request, span
from tokentrail.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "240"}


def test_given_rates_need_no_server_and_print_every_offers_bill():
    result = runner.invoke(
        app,
        ["estimate", "--traces-per-day", "1000", "--spans-per-trace", "12", "--url", "http://127.0.0.1:1"],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    assert "1000 traces a day, 12 spans a trace (given)" in result.output
    assert "$49.00" in result.output  # LangSmith Plus: $39 + 20k traces at $0.50 per 1k
    assert "$52.20" in result.output  # Langfuse Core: $29 + 290k units at $8 per 100k
    assert "over its limit" in result.output  # Langfuse Hobby: 390k units over 50k
    assert "2026-12-05" in result.output
    assert "disk per span unknown" in result.output


def test_observed_rates_come_from_the_server_with_its_disk_per_span(server):
    now = time.time_ns() - 60 * 10**9
    spans = []
    for _ in range(3):
        trace_id, root = new_trace_id(), new_span_id()
        spans.append(span("turn", trace_id, root, start_ns=now))
        spans += [span("step", trace_id, parent=root, start_ns=now + i) for i in range(3)]
    spans.append(span("old", new_trace_id(), start_ns=NOW_NS))  # before the window
    assert server.post_otlp(protobuf_request(spans), "application/x-protobuf").status_code == 200
    server.settle()
    result = runner.invoke(app, ["estimate", "--url", server.url, "--since", "2d", "--json"], env=WIDE)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    observed = report["observed"]
    assert (observed["traces"], observed["spans"]) == (3, 12)
    assert report["spans_per_trace"] == "4"
    # Three traces in two days (the window ends when the server answered).
    assert report["traces_per_day"] == observed["traces_per_day"]
    assert abs(Decimal(report["traces_per_day"]) - Decimal("1.5")) < Decimal("0.001")
    plus = next(row for row in report["offers"] if row["plan"].startswith("Plus (1 seat, 14-day"))
    assert plus["monthly_bill"] == "39" and plus["as_of"] == "2026-12-05" and plus["source"]
    own = report["tokentrail"]
    per_million = own["compressed_bytes_per_million_spans"]
    assert per_million > 0
    spans_per_month = Decimal(own["spans_per_month"])
    assert spans_per_month == Decimal(report["traces_per_day"]) * 30 * 4
    assert own["disk_bytes_per_month"] == round(spans_per_month * per_million / 10**6)


def test_an_unreachable_server_is_explained_when_rates_must_be_observed():
    result = runner.invoke(app, ["estimate", "--url", "http://127.0.0.1:1"])
    assert result.exit_code == 2
    assert "cannot reach tokentrail" in result.output
