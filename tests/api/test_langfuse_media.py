"""Langfuse's media upload as its SDK does it, and the file read back: announced with its SHA-256
(``POST /api/public/media``), sent to a signed link with no API key, reported (``PATCH``), described
(``GET /api/public/media/{id}``) and read through ``GET /api/v1/media/{id}`` as an attachment. A link that
is unsigned, altered, expired or for another method is refused; bytes that do not match the announced
SHA-256, and files over the size limit, are refused; the same bytes announced again need no upload."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.api.test_langfuse_scores import project_key

from conftest import ADMIN_KEY, basic, bearer, start_server

HTML = b"<html><script>alert(document.cookie)</script></html>"
TRACE = "c3" * 16


def sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


JSON_TYPE = {"content-type": "application/json"}


def announcement(data: bytes, content_type="text/html", **fields):
    return {
        "traceId": TRACE,
        "observationId": "d4" * 8,
        "contentType": content_type,
        "contentLength": len(data),
        "sha256Hash": sha256(data),
        "field": "input",
        **fields,
    }


def announce(server, data: bytes, content_type="text/html", headers=None, **fields):
    body = announcement(data, content_type, **fields)
    return httpx.post(f"{server.url}/api/public/media", json=body, headers=headers or {})


def upload(url: str, data: bytes, content_type="text/html", checksum=None):
    headers = {"content-type": content_type, "x-amz-checksum-sha256": checksum or sha256(data)}
    return httpx.put(url, content=data, headers=headers)


def test_a_file_announced_uploaded_and_reported_reads_back_exactly_as_an_attachment(secured_server):
    key = project_key(secured_server)
    announced = announce(secured_server, HTML, headers=basic(key))
    assert announced.status_code == 200, announced.text
    media_id, url = announced.json()["mediaId"], announced.json()["uploadUrl"]

    assert upload(url, HTML).status_code == 200
    reported = httpx.patch(
        f"{secured_server.url}/api/public/media/{media_id}",
        json={"uploadedAt": "2026-01-01T00:00:00Z", "uploadHttpStatus": 200, "uploadTimeMs": 3},
        headers=basic(key),
    )
    read = httpx.get(
        f"{secured_server.url}/api/v1/media/{media_id}", params={"project": "shop"}, headers=bearer(ADMIN_KEY)
    )

    assert media_id == base64.urlsafe_b64encode(hashlib.sha256(HTML).digest()).decode()[:22]
    assert reported.status_code == 204
    assert read.content == HTML
    assert read.headers["content-type"].startswith("text/html")
    assert read.headers["content-disposition"] == f'attachment; filename="{media_id}"'
    assert read.headers["x-content-type-options"] == "nosniff"
    stored = secured_server.app.state.store.query(
        "SELECT trace_id, span_id, field FROM media FINAL WHERE project = 'shop'"
    )
    assert stored == [(TRACE, "d4" * 8, "input")]


def test_the_description_links_to_the_bytes_with_no_key_needed(secured_server):
    key = project_key(secured_server)
    announced = announce(secured_server, HTML, headers=basic(key)).json()
    upload(announced["uploadUrl"], HTML)

    described = httpx.get(f"{secured_server.url}/api/public/media/{announced['mediaId']}", headers=basic(key))

    assert described.status_code == 200
    body = described.json()
    assert (body["contentType"], body["contentLength"]) == ("text/html", len(HTML))
    assert body["uploadedAt"].endswith("Z") and body["urlExpiry"].endswith("Z")
    assert httpx.get(body["url"]).content == HTML
    assert httpx.put(body["url"], content=HTML).status_code == 403  # a download link uploads nothing


def test_the_same_bytes_announced_again_need_no_upload_in_that_project_only(secured_server):
    key, other = project_key(secured_server), project_key(secured_server, "warehouse")
    upload(announce(secured_server, HTML, headers=basic(key)).json()["uploadUrl"], HTML)

    again = announce(secured_server, HTML, headers=basic(key)).json()
    elsewhere = announce(secured_server, HTML, headers=basic(other)).json()

    assert again["uploadUrl"] is None
    assert elsewhere["uploadUrl"]
    other_read = httpx.get(f"{secured_server.url}/api/v1/media/{again['mediaId']}", headers=bearer(other))
    assert other_read.status_code in (403, 404)  # an ingest key reads nothing, and nothing of shop


@pytest.mark.parametrize(
    "change",
    ["no signature", "altered signature", "other project", "later expiry", "other file"],
)
def test_an_upload_link_that_is_not_the_one_given_is_refused(secured_server, change):
    key = project_key(secured_server)
    url = announce(secured_server, HTML, headers=basic(key)).json()["uploadUrl"]
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    path = parts.path
    if change == "no signature":
        del query["signature"]
    elif change == "altered signature":
        query["signature"] = query["signature"][:-1] + ("0" if query["signature"][-1] != "0" else "1")
    elif change == "other project":
        query["project"] = "warehouse"
    elif change == "later expiry":
        query["expires"] = str(int(query["expires"]) + 1)
    else:
        path = path.rsplit("/", 1)[0] + "/" + "x" * 22

    answer = httpx.put(f"{secured_server.url}{path}", params=query, content=HTML)

    assert answer.status_code == (401 if change == "no signature" else 403), answer.text
    assert (
        httpx.get(
            f"{secured_server.url}/api/v1/media/{url.split('/')[-1].split('?')[0]}",
            params={"project": "shop"},
            headers=bearer(ADMIN_KEY),
        ).status_code
        == 404
    )


def test_an_expired_link_is_refused(store, tmp_path):
    from tokentrail.access.signed_urls import sign

    for server in start_server(store, tmp_path):
        announced = announce(server, HTML).json()
        signed = sign(server.app.state.access.secret, "PUT", "default", announced["mediaId"], lifetime_s=-1)
        url = announced["uploadUrl"].split("?")[0] + "?" + signed.query()
        answer = upload(url, HTML)
        assert (answer.status_code, answer.json()["error"]["message"]) == (403, "this link has expired")


def test_bytes_that_are_not_the_announced_ones_are_refused(server):
    url = announce(server, HTML).json()["uploadUrl"]

    other_bytes = upload(url, HTML + b" ", checksum=sha256(HTML))
    wrong_checksum = upload(url, HTML, checksum=sha256(b"else"))
    wrong_type = upload(url, HTML, content_type="image/png")

    assert [answer.status_code for answer in (other_bytes, wrong_checksum, wrong_type)] == [400, 400, 400]
    assert "SHA-256" in other_bytes.json()["message"]
    assert upload(url, HTML).status_code == 200


def test_a_file_over_the_size_limit_is_refused_when_announced_and_when_sent(store, tmp_path):
    for server in start_server(store, tmp_path, max_media_bytes=16):
        assert announce(server, HTML).status_code == 413
        small = b"0123456789"
        url = announce(server, small, content_type="text/plain").json()["uploadUrl"]
        # Announced small, sent large: the link stops reading at the limit.
        assert upload(url, small * 4, content_type="text/plain", checksum=sha256(small)).status_code == 413


def test_media_of_dataset_items_and_bad_hashes_are_refused_in_langfuses_shape(server):
    dataset = announce(server, HTML, datasetId="ds", datasetItemId="item", traceId=None)
    bad_hashes = [announce(server, HTML, sha256Hash=value) for value in ("not-a-digest", "é" * 44)]
    # A lone surrogate, as JSON may escape it (found by the API fuzzer): no UTF-8 client would send it.
    surrogate = json.dumps({**announcement(HTML), "sha256Hash": "\ud831\udddc:"})
    bad_hashes.append(httpx.post(f"{server.url}/api/public/media", content=surrogate, headers=JSON_TYPE))

    assert dataset.status_code == 400 and "dataset" in dataset.json()["message"]
    for bad_hash in bad_hashes:
        assert bad_hash.status_code == 400 and "sha256Hash" in bad_hash.json()["message"]


def test_a_file_not_uploaded_is_not_found(server):
    media_id = announce(server, HTML).json()["mediaId"]

    assert httpx.get(f"{server.url}/api/public/media/{media_id}").status_code == 404
    assert httpx.get(f"{server.url}/api/v1/media/{media_id}").status_code == 404
    assert (
        httpx.patch(
            f"{server.url}/api/public/media/{'z' * 22}",
            json={"uploadedAt": "2026-01-01T00:00:00Z", "uploadHttpStatus": 200},
        ).status_code
        == 404
    )
