"""LangSmith runs as spans: a post and a patch merge in either order (a later field wins, an absent one keeps
the other's, metadata merges key by key); ids are the SDK's own OTel mapping (trace UUID, first 8 bytes of
the run UUID), the parent and trace found from ``dotted_order`` when not given; an unfinished run ends
where it starts with its status unset; an error makes an error span; a malformed run is rejected alone."""

from __future__ import annotations

import uuid

import orjson
import pytest

from tokentrail.errors import BadRequest
from tokentrail.ingest.langsmith_runs import decode_runs, merge_runs, run_ids, span_id_of, to_raw_span
from tokentrail.limits import RequestLimits
from tokentrail.semconv import normalize

TRACE = uuid.UUID("01a2464c-dbc5-76ce-aa35-2ae53e877ecf")
CHILD = uuid.UUID("01a2464c-dbd4-72c0-bc79-b1e4c898f7b4")
STAMP = "20261205T130000000000Z"

POST = {
    "id": str(CHILD),
    "name": "gpt_call",
    "run_type": "llm",
    "start_time": "2026-12-05T13:00:00.000001+00:00",
    "dotted_order": f"{STAMP}{TRACE}.{STAMP}{CHILD}",
    "inputs": {"question": "Where?"},
    "extra": {"metadata": {"ls_provider": "openai", "ls_model_name": "gpt-4o-mini", "thread_id": "t-1"}},
    "tags": ["a", "b"],
}
PATCH = {
    "id": str(CHILD),
    "end_time": "2026-12-05T13:00:01.5",
    "outputs": {"content": "Here.", "usage_metadata": {"input_tokens": 10, "output_tokens": 4}},
    "extra": {"metadata": {"revision": "r2"}},
}


def test_post_and_patch_merge_the_same_in_either_order() -> None:
    assert merge_runs(POST, PATCH) == merge_runs(PATCH, POST)
    merged = merge_runs(POST, PATCH)
    assert merged["inputs"] == POST["inputs"] and merged["outputs"] == PATCH["outputs"]
    assert merged["extra"]["metadata"] == {**POST["extra"]["metadata"], "revision": "r2"}


def test_a_later_field_wins_and_a_null_one_keeps_the_earlier() -> None:
    assert merge_runs({"name": "a", "error": "x"}, {"name": "b", "error": None}) == {
        "name": "b",
        "error": "x",
    }


def test_ids_follow_the_sdks_otel_mapping_and_the_dotted_order() -> None:
    assert run_ids(POST) == (CHILD, TRACE, TRACE)
    span = to_raw_span(merge_runs(POST, PATCH))
    assert (span.trace_id, span.span_id, span.parent_span_id) == (
        TRACE.hex,
        CHILD.bytes[:8].hex(),
        span_id_of(TRACE),
    )
    assert span.end_ns - span.start_ns == 1_499_999_000
    assert span.status_code == 1


def test_a_run_without_trace_or_dotted_order_is_its_own_root() -> None:
    run = {"id": str(TRACE), "start_time": "2026-12-05T13:00:00"}
    assert run_ids(run) == (TRACE, TRACE, None)


def test_an_unfinished_run_ends_where_it_starts_with_status_unset() -> None:
    span = to_raw_span(POST)
    assert span.end_ns == span.start_ns and span.status_code == 0


def test_a_run_with_an_error_is_an_error_span() -> None:
    span = to_raw_span(merge_runs(POST, PATCH, {"error": "RuntimeError('boom')"}))
    assert (span.status_code, span.status_message) == (2, "RuntimeError('boom')")


def test_the_langsmith_convention_reads_kind_model_usage_session_and_payloads() -> None:
    span = normalize(to_raw_span(merge_runs(POST, PATCH)), project="p")
    assert (span.kind, span.provider, span.request_model) == ("llm", "openai", "gpt-4o-mini")
    assert span.usage == {"input": 10, "output": 4}
    assert span.session_id == "t-1" and span.tags == ["a", "b"]
    assert "Where?" in span.input and "Here." in span.output


def test_usage_and_stated_cost_in_the_metadata_are_read_too() -> None:
    usage = {
        "input_tokens": 7,
        "output_tokens": 3,
        "input_token_details": {"cache_read": 2},
        "total_cost": 0.01,
    }
    run = merge_runs(POST, {"extra": {"metadata": {"usage_metadata": usage}}})
    span = normalize(to_raw_span(run), project="p")
    assert span.usage == {"input": 7, "output": 3, "cache_read": 2}
    assert str(span.reported_cost["total"]) == "0.01"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"id": "nope"}, "not a UUID"),
        ({"start_time": 17}, "ISO 8601"),
        ({"start_time": "yesterday"}, "ISO 8601"),
        ({"dotted_order": "garbage"}, "not a UUID"),
    ],
)
def test_a_malformed_run_is_a_bad_request_naming_its_field(change: dict[str, object], problem: str) -> None:
    with pytest.raises(BadRequest, match=problem):
        to_raw_span({**POST, **change})


def test_one_malformed_run_in_a_batch_is_rejected_alone() -> None:
    body = orjson.dumps([POST, {**POST, "id": str(TRACE), "start_time": None}])
    decoded = decode_runs(body, RequestLimits())
    assert [span.span_id for span in decoded.spans] == [CHILD.bytes[:8].hex()]
    assert len(decoded.rejected) == 1 and str(TRACE) in decoded.rejected[0]
