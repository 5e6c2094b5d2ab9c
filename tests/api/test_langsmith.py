"""The LangSmith runs API on a live server, driven by raw requests: ``/info`` advertises multipart within the
body limit and zstd; a post already stored answers 409 (a batch with anything new 202, and a patch after its
post is not a duplicate); a body over the limit answers 413 with Retry-After; a patch before its post, or
with its post stored by another server, merges into one finished span, and an unfinished run shows until
then; zstd and gzip bodies read as plain ones; a malformed part is refused naming it, beside good runs it
rejects its run alone; an attachment becomes a media row on the run's span; stored parts are redacted;
``POST /feedback`` is a score on the run."""

from __future__ import annotations

import gzip
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import zstandard

from conftest import LiveServer, start_server
from tokentrail.store.database import Store
from tokentrail.store.langsmith_runs import RunPart, read_run_parts, save_run_parts
from tokentrail.store.media import read_media

BOUNDARY = "b0undary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def run(run_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(run_id),
        "name": "step",
        "run_type": "chain",
        "start_time": "2026-12-05T13:00:00",
        **fields,
    }


def multipart(*parts: tuple[str, bytes, str]) -> bytes:
    body = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n'.encode()
        + f"Content-Type: {kind}\r\n\r\n".encode()
        + data
        + b"\r\n"
        for name, data, kind in parts
    )
    return body + f"--{BOUNDARY}--\r\n".encode()


def send(server: LiveServer, path: str, body: bytes, method: str = "POST", **headers: str) -> httpx.Response:
    headers.setdefault("content-type", "application/json")
    return httpx.request(method, server.url + path, content=body, headers=headers, timeout=30)


def span_of(server: LiveServer, run_id: uuid.UUID) -> dict[str, Any]:
    tree = server.get(f"/api/v1/traces/{run_id.hex}").json()
    (span,) = tree["spans"]
    return span


def test_info_advertises_multipart_within_the_body_limit_and_zstd(server: LiveServer) -> None:
    info = httpx.get(server.url + "/info").json()
    assert tuple(int(part) for part in info["version"].split(".")) >= (0, 8, 10)  # feedback in multipart
    assert info["batch_ingest_config"]["use_multipart_endpoint"] is True
    assert info["batch_ingest_config"]["size_limit_bytes"] == server.settings.max_body_bytes
    assert info["instance_flags"]["zstd_compression_enabled"] is True


def test_a_post_already_stored_is_409_but_a_batch_with_a_new_run_or_a_patch_is_taken(
    server: LiveServer,
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    assert send(server, "/runs", orjson.dumps(run(first))).status_code == 202
    assert send(server, "/runs", orjson.dumps(run(first))).status_code == 409
    mixed = orjson.dumps({"post": [run(first), run(second)]})
    assert send(server, "/runs/batch", mixed).status_code == 202
    patch = orjson.dumps({"end_time": "2026-12-05T13:00:02"})
    assert send(server, f"/runs/{first}", patch, method="PATCH").status_code == 202


def test_a_body_over_the_limit_is_413_with_retry_after(store: Store, tmp_path: Path) -> None:
    for small in start_server(store, tmp_path, max_body_bytes=1000):
        answer = send(
            small, "/runs/batch", orjson.dumps({"post": [run(uuid.uuid4(), inputs={"x": "y" * 2000})]})
        )
        assert answer.status_code == 413 and int(answer.headers["retry-after"]) > 0
        bomb = zstandard.ZstdCompressor().compress(b" " * 5000)
        answer = send(
            small, "/runs/multipart", bomb, **{"content-type": MULTIPART, "content-encoding": "zstd"}
        )
        assert answer.status_code == 413 and "retry-after" in answer.headers


def test_an_unfinished_run_shows_and_its_patch_finishes_it_in_either_order(server: LiveServer) -> None:
    posted_first, patched_first = uuid.uuid4(), uuid.uuid4()
    send(server, "/runs", orjson.dumps(run(posted_first, inputs={"q": 1})))
    unfinished = span_of(server, posted_first)
    assert unfinished["end_ns"] == unfinished["start_ns"] and unfinished["status"] == "unset"

    end = {"end_time": "2026-12-05T13:00:02", "outputs": {"a": 2}}
    send(server, f"/runs/{posted_first}", orjson.dumps(end), method="PATCH")
    send(server, f"/runs/{patched_first}", orjson.dumps(end), method="PATCH")  # waits for its post
    send(server, "/runs", orjson.dumps(run(patched_first, inputs={"q": 1})))

    for run_id in (posted_first, patched_first):
        span = span_of(server, run_id)
        assert span["status"] == "ok" and span["end_ns"] - span["start_ns"] == 2_000_000_000
        assert '"q":1' in span["input"] and '"a":2' in span["output"]


def test_a_patch_merges_with_a_post_another_server_stored(server: LiveServer) -> None:
    run_id = uuid.uuid4()
    save_run_parts(
        server.store, "default", [RunPart(str(run_id), "post", run_id.hex, run(run_id, name="elsewhere"))]
    )
    send(
        server,
        "/runs/batch",
        orjson.dumps({"patch": [{"id": str(run_id), "end_time": "2026-12-05T13:00:01"}]}),
    )
    span = span_of(server, run_id)
    assert span["name"] == "elsewhere" and span["status"] == "ok"


@pytest.mark.parametrize("encoding", ["zstd", "gzip"])
def test_compressed_multipart_bodies_read_as_plain_ones(server: LiveServer, encoding: str) -> None:
    run_id = uuid.uuid4()
    body = multipart(
        (f"post.{run_id}", orjson.dumps(run(run_id)), "application/json"),
        (f"post.{run_id}.outputs", b'{"answer": 42}', "application/json"),
    )
    packed = zstandard.ZstdCompressor().compress(body) if encoding == "zstd" else gzip.compress(body)
    answer = send(
        server, "/runs/multipart", packed, **{"content-type": MULTIPART, "content-encoding": encoding}
    )
    assert answer.status_code == 202, answer.text
    assert '"answer":42' in span_of(server, run_id)["output"]


def test_a_malformed_part_is_refused_by_name_and_beside_good_runs_rejects_its_own(server: LiveServer) -> None:
    good, bad = uuid.uuid4(), uuid.uuid4()
    broken = (f"post.{bad}.inputs", b"{nope", "application/json")
    alone = send(server, "/runs/multipart", multipart(broken), **{"content-type": MULTIPART})
    assert alone.status_code == 400 and f"post.{bad}.inputs" in alone.json()["error"]["message"]

    mixed = multipart((f"post.{good}", orjson.dumps(run(good)), "application/json"), broken)
    answer = send(server, "/runs/multipart", mixed, **{"content-type": MULTIPART})
    assert answer.status_code == 202 and answer.json()["accepted"] == 1
    assert f"post.{bad}.inputs" in answer.json()["rejected"][0]
    assert span_of(server, good)["name"] == "step"


def test_an_attachment_is_a_media_row_on_the_runs_span(server: LiveServer) -> None:
    run_id, png = uuid.uuid4(), b"\x89PNG" + bytes(range(256))
    body = multipart(
        (f"post.{run_id}", orjson.dumps(run(run_id)), "application/json"),
        (f"attachment.{run_id}.chart", png, f"image/png; length={len(png)}"),
    )
    assert send(server, "/runs/multipart", body, **{"content-type": MULTIPART}).status_code == 202
    ((media_id,),) = server.store.query("SELECT id FROM media WHERE project = 'default'")
    media = read_media(server.store, "default", media_id)
    assert media is not None
    assert (media.span_id, media.trace_id, media.field) == (run_id.bytes[:8].hex(), run_id.hex, "chart")
    assert (media.content_type, media.data) == ("image/png", png)


def test_stored_run_parts_are_redacted(server: LiveServer) -> None:
    run_id, secret = uuid.uuid4(), "sk-proj-" + "A1b2C3d4" * 4
    send(server, "/runs", orjson.dumps(run(run_id, inputs={"key": secret})))
    (part,) = read_run_parts(server.store, "default", [str(run_id)])[str(run_id)].values()
    assert secret not in orjson.dumps(part.run).decode() and "inputs" in part.run
    assert secret not in span_of(server, run_id)["input"]


def test_feedback_is_a_score_on_the_run(server: LiveServer) -> None:
    run_id = uuid.uuid4()
    send(server, "/runs", orjson.dumps(run(run_id)))
    server.settle()
    feedback = {"id": str(uuid.uuid4()), "run_id": str(run_id), "key": "tone", "value": "polite"}
    assert send(server, "/feedback", orjson.dumps(feedback)).status_code == 202
    (score,) = server.get("/api/v1/scores", trace_id=run_id.hex).json()["scores"]
    assert (score["name"], score["data_type"], score["string_value"]) == ("tone", "categorical", "polite")
    assert score["span_id"] == run_id.bytes[:8].hex()


def test_feedback_beside_its_run_finds_the_runs_trace_and_a_bad_one_is_rejected_alone(
    server: LiveServer,
) -> None:
    trace, child = uuid.uuid4(), uuid.uuid4()
    good = {"run_id": str(child), "key": "helpful", "score": 1}  # no trace_id: found from the run beside it
    body = multipart(
        (
            f"post.{child}",
            orjson.dumps(run(child, trace_id=str(trace), parent_run_id=str(trace))),
            "application/json",
        ),
        (f"feedback.{uuid.uuid4()}", orjson.dumps(good), "application/json"),
        (f"feedback.{uuid.uuid4()}", orjson.dumps({"run_id": str(child)}), "application/json"),
    )
    answer = send(server, "/runs/multipart", body, **{"content-type": MULTIPART})
    assert answer.status_code == 202 and "needs a key" in answer.json()["rejected"][0]
    (score,) = server.get("/api/v1/scores", trace_id=trace.hex).json()["scores"]
    assert (score["name"], score["data_type"], score["span_id"]) == (
        "helpful",
        "numeric",
        child.bytes[:8].hex(),
    )
