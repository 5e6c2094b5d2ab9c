"""LangSmith ingest bodies read into runs, feedback and attachments: a multipart body built by the SDK's own
encoder (``langsmith._internal._operations``) gives back every run with its split fields, the feedback and
the attachment's bytes exact; a malformed part rejects its run alone and names the part; the JSON batch
and the single-run bodies read the same runs."""

from __future__ import annotations

import uuid

import orjson
import pytest
from langsmith._internal._operations import (
    SerializedFeedbackOperation,
    encode_multipart_parts_and_context,
    serialize_run_dict,
    serialized_feedback_operation_to_multipart_parts_and_context,
    serialized_run_operation_to_multipart_parts_and_context,
)

from tokentrail.errors import BadRequest, UnsupportedMediaType
from tokentrail.ingest.langsmith_upload import parse_batch, parse_multipart, parse_run

BOUNDARY = "test-boundary-1234"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
RUN = uuid.UUID("01a2464c-dbc5-76ce-aa35-2ae53e877ecf")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def multipart(*parts_and_contexts: object) -> bytes:
    body = b""
    for parts in parts_and_contexts:
        for headers, data in encode_multipart_parts_and_context(parts, BOUNDARY):  # type: ignore[arg-type]
            body += headers + data + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def run_parts(op: str, run: dict[str, object]) -> object:
    parts, _ = serialized_run_operation_to_multipart_parts_and_context(serialize_run_dict(op, dict(run)))  # type: ignore[arg-type]
    return parts


RUN_DICT = {
    "id": RUN,
    "trace_id": RUN,
    "name": "step",
    "run_type": "chain",
    "start_time": "2026-12-05T13:00:00",
    "inputs": {"q": "hi"},
    "extra": {"metadata": {"thread_id": "t"}},
    "attachments": {"chart": ("image/png", PNG)},
}


def test_the_sdks_multipart_body_reads_back_whole() -> None:
    feedback = SerializedFeedbackOperation(
        id=uuid.uuid4(), trace_id=RUN, feedback=orjson.dumps({"run_id": str(RUN), "key": "k", "score": 1})
    )
    body = multipart(
        run_parts("post", RUN_DICT),
        run_parts(
            "patch", {"id": RUN, "trace_id": RUN, "outputs": {"a": 1}, "end_time": "2026-12-05T13:00:01"}
        ),
        serialized_feedback_operation_to_multipart_parts_and_context(feedback),
    )
    upload = parse_multipart(body, CONTENT_TYPE)
    post, patch = upload.runs[(str(RUN), "post")], upload.runs[(str(RUN), "patch")]
    assert post["inputs"] == {"q": "hi"} and post["extra"]["metadata"] == {"thread_id": "t"}
    assert patch["outputs"] == {"a": 1}
    assert [(item.name, item.content_type, item.data) for item in upload.attachments] == [
        ("chart", "image/png", PNG)
    ]
    assert upload.feedback[0]["key"] == "k" and not upload.rejected


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        (f"post.{RUN}.inputs", b"{not json", "not valid JSON"),
        (f"post.{RUN}.secrets", b"{}", "unknown run field"),
        (f"post.{RUN}", b"[1]", "must be a JSON object"),
        ("post.not-a-uuid", b"{}", "not a UUID"),
        (f"upsert.{RUN}", b"{}", "unknown part kind"),
    ],
)
def test_a_malformed_part_rejects_its_run_alone_naming_the_part(name: str, data: bytes, problem: str) -> None:
    other = uuid.uuid4()
    body = multipart(
        run_parts("post", {**RUN_DICT, "attachments": None}), run_parts("post", {**RUN_DICT, "id": other})
    )
    bad = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n'
            "Content-Type: application/json\r\n\r\n"
        ).encode()
        + data
        + b"\r\n"
    )
    upload = parse_multipart(bad + body, CONTENT_TYPE)
    assert (str(other), "post") in upload.runs
    assert len(upload.rejected) == 1 and name in upload.rejected[0] and problem in upload.rejected[0]


def test_a_body_that_is_not_multipart_is_refused() -> None:
    with pytest.raises(UnsupportedMediaType):
        parse_multipart(b"{}", "application/json")
    with pytest.raises(BadRequest, match="multipart"):
        parse_multipart(b"--other\r\ngarbage", CONTENT_TYPE)


def test_the_batch_and_single_run_bodies_read_the_same_runs() -> None:
    run = {"id": str(RUN), "name": "step", "start_time": "2026-12-05T13:00:00"}
    batch = parse_batch(
        orjson.dumps({"post": [run], "patch": [{"id": str(RUN), "end_time": "2026-12-05T13:00:01"}]})
    )
    assert set(batch.runs) == {(str(RUN), "post"), (str(RUN), "patch")}
    assert parse_run(orjson.dumps(run), "post").runs == {(str(RUN), "post"): run}
    patched = parse_run(orjson.dumps({"end_time": "2026-12-05T13:00:01"}), "patch", str(RUN))
    assert patched.runs[(str(RUN), "patch")]["id"] == str(RUN)


def test_a_batch_run_without_a_uuid_is_rejected_alone() -> None:
    upload = parse_batch(orjson.dumps({"post": [{"id": "x"}, {"id": str(RUN)}]}))
    assert list(upload.runs) == [(str(RUN), "post")] and "not a UUID" in upload.rejected[0]
