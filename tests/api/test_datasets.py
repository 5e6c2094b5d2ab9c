"""``/api/v1/datasets``: datasets and their items given, replaced by id, paged, made from stored traces
(a root span's or a chosen span's payloads) and uploaded as JSON Lines or CSV, where a bad line is refused
by its number and nothing of the file is stored."""

from __future__ import annotations

import json

import httpx
import pytest

from conftest import start_server
from otlp_builders import new_trace_id, protobuf_request, span


def _create(server, name="qa", **params):
    response = httpx.post(f"{server.url}/api/v1/datasets", json={"name": name}, params=params, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _post(server, path, **options):
    return httpx.post(f"{server.url}/api/v1/datasets{path}", timeout=30, **options)


def test_items_are_added_replaced_by_id_and_paged_oldest_first(server):
    dataset = _create(server)
    added = _post(server, f"/{dataset}/items", json={"items": [{"input": {"q": n}} for n in range(5)]})
    first_id = added.json()["items"][0]["id"]
    _post(
        server,
        f"/{dataset}/items",
        json={"items": [{"id": first_id, "input": {"q": 0}, "expected_output": "zero"}]},
    )

    page = server.get(f"/api/v1/datasets/{dataset}", limit=3).json()
    last = server.get(f"/api/v1/datasets/{dataset}", limit=3, offset=3).json()

    assert added.status_code == 201
    assert page["item_count"] == 5 and page["next_offset"] == 3 and last["next_offset"] is None
    assert [item["input"] for item in page["items"] + last["items"]] == [{"q": n} for n in range(5)]
    assert (page["items"][0]["id"], page["items"][0]["expected_output"]) == (first_id, "zero")


def test_a_name_is_taken_once_per_project_and_a_deleted_dataset_is_gone(server):
    dataset = _create(server)
    taken = httpx.post(f"{server.url}/api/v1/datasets", json={"name": "qa"}, timeout=30)
    _create(server, project="other")

    deleted = httpx.delete(f"{server.url}/api/v1/datasets/{dataset}", timeout=30)

    assert taken.status_code == 409
    assert deleted.json() == {"deleted": dataset}
    assert server.get("/api/v1/datasets").json() == {"datasets": []}
    assert server.get(f"/api/v1/datasets/{dataset}").status_code == 404
    assert [d["name"] for d in server.get("/api/v1/datasets", project="other").json()["datasets"]] == ["qa"]


def test_items_from_traces_take_the_root_spans_or_the_chosen_spans_payloads(server):
    trace_id = new_trace_id()
    llm = {
        "gen_ai.request.model": "gpt-4o-mini",
        "tokentrail.input": '{"q": "inner"}',
        "tokentrail.output": "in",
    }
    spans = [
        span(
            "answer",
            trace_id,
            "a1" * 8,
            attributes={"tokentrail.input": '{"q": "2+2"}', "tokentrail.output": '"4"'},
        ),
        span("llm", trace_id, "b2" * 8, "a1" * 8, attributes=llm),
    ]
    server.post_otlp(protobuf_request(spans), "application/x-protobuf")
    server.settle()
    dataset = _create(server)

    made = _post(
        server,
        f"/{dataset}/items/from-traces",
        json={"traces": [{"trace_id": trace_id}, {"trace_id": trace_id, "span_id": "b2" * 8}]},
    )
    missing = _post(server, f"/{dataset}/items/from-traces", json={"traces": [{"trace_id": "f" * 32}]})

    assert made.status_code == 201, made.text
    root, inner = made.json()["items"]
    assert (root["input"], root["expected_output"], root["source_span_id"]) == ({"q": "2+2"}, "4", "a1" * 8)
    assert root["metadata"] == {"trace_name": "answer", "model": "gpt-4o-mini"}
    assert (inner["input"], inner["expected_output"], inner["source_trace_id"]) == (
        {"q": "inner"},
        "in",
        trace_id,
    )
    assert missing.status_code == 404 and "f" * 32 in missing.text
    assert server.get(f"/api/v1/datasets/{dataset}").json()["item_count"] == 2


JSONL = "\n".join(
    [
        json.dumps(
            {"input": {"q": "capital of France"}, "expected_output": "Paris", "metadata": {"level": 1}}
        ),
        "",
        json.dumps({"input": "plain text"}),
    ]
)
CSV = 'input,expected_output,metadata\n"{""q"": ""2+2""}",4,"{""topic"": ""math""}"\nhello,,\n'


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (
            JSONL,
            "application/x-ndjson",
            [({"q": "capital of France"}, "Paris", {"level": "1"}), ("plain text", None, {})],
        ),
        (CSV, "text/csv", [({"q": "2+2"}, 4, {"topic": "math"}), ("hello", None, {})]),
    ],
)
def test_an_uploaded_file_adds_its_items(server, content, content_type, expected):
    dataset = _create(server)

    uploaded = _post(server, f"/{dataset}/upload", content=content, headers={"content-type": content_type})

    assert uploaded.status_code == 201, uploaded.text
    items = server.get(f"/api/v1/datasets/{dataset}").json()["items"]
    assert [(i["input"], i["expected_output"], i["metadata"]) for i in items] == expected


@pytest.mark.parametrize(
    ("content", "file_format", "message"),
    [
        (JSONL + "\n{not json", "jsonl", "line 4: not JSON"),
        (JSONL + '\n{"expected_output": 1}', "jsonl", "line 4: an item needs an input"),
        (JSONL + '\n{"input": 1, "answer": 2}', "jsonl", "line 4: unknown key(s) answer"),
        ("[1, 2]", "jsonl", "line 1: not a JSON object"),
        (CSV + "x,y,not-an-object\n", "csv", "line 4: metadata must be a JSON object"),
        (CSV + "a,b,{},extra\n", "csv", "line 4: more cells than the header has columns"),
        ("", "jsonl", "line 1: the file holds no item"),
    ],
)
def test_a_bad_line_is_refused_by_its_number_and_nothing_is_stored(server, content, file_format, message):
    dataset = _create(server)

    refused = _post(server, f"/{dataset}/upload", content=content, params={"format": file_format})

    assert refused.status_code == 400
    assert message in refused.json()["error"]["message"]
    assert server.get(f"/api/v1/datasets/{dataset}").json()["items"] == []


def test_a_file_over_the_body_limit_is_refused_whole(store, tmp_path):
    for small in start_server(store, tmp_path, max_body_bytes=1000):
        dataset = _create(small)
        line = json.dumps({"input": "x" * 100}) + "\n"

        refused = _post(small, f"/{dataset}/upload", content=line * 20)

        assert refused.status_code == 413
        assert small.get(f"/api/v1/datasets/{dataset}").json()["items"] == []
