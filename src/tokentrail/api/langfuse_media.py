"""Media from the Langfuse SDK: the images, audio and files it finds in a span's input, output or
metadata (base64 data URIs, ``LangfuseMedia``), which it replaces there with a reference
``@@@langfuseMedia:type=...|id=...|source=...@@@`` and uploads beside the span.

The SDK's three steps, as Langfuse answers them:

1. ``POST /api/public/media`` announces a file (type, length, SHA-256, trace, observation, field) and
   gets ``{mediaId, uploadUrl}``. The id is Langfuse's, derived from the SHA-256, so the SDK's reference
   names the file; an empty ``uploadUrl`` says the project already holds those bytes.
2. ``PUT <uploadUrl>`` sends the bytes with no API key, as to a presigned storage URL: the link is signed
   (:mod:`tokentrail.access.signed_urls`) and expires. The bytes must have the announced SHA-256.
3. ``PATCH /api/public/media/{mediaId}`` reports how the upload went.

``GET /api/public/media/{mediaId}`` answers the file's metadata and a signed download link.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from tokentrail.access.signed_urls import SignedUrl, check_signature, sign
from tokentrail.api.langfuse import ERRORS, LangfuseRoute, langfuse_project
from tokentrail.api.media import file_response, uploaded_media
from tokentrail.api.otlp import read_body
from tokentrail.errors import BadRequest, NotFound, PayloadTooLarge
from tokentrail.store.media import Media, read_media, save_media

__all__ = ["SIGNED_MEDIA_PATH", "langfuse_media_id", "router"]

router = APIRouter(tags=["langfuse"], route_class=LangfuseRoute, responses=ERRORS)

#: Where signed links point: the one path the API key check leaves to the route (see api/auth.py).
SIGNED_MEDIA_PATH = "/signed/media/"
#: How long an upload or download link works.
LINK_LIFETIME_S = 3600


class MediaAnnouncement(BaseModel):
    """``POST /api/public/media``'s body: the file the SDK is about to upload, and where it belongs."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    content_type: str = Field(alias="contentType", pattern=r"^[\w.+-]+/[\w.+-]+", max_length=200)
    content_length: int = Field(alias="contentLength", ge=0)
    sha256: str = Field(alias="sha256Hash", max_length=100)
    field: str = Field(max_length=100)
    trace_id: str | None = Field(default=None, alias="traceId", max_length=100)
    observation_id: str | None = Field(default=None, alias="observationId", max_length=100)
    dataset_id: str | None = Field(default=None, alias="datasetId")


class UploadReport(BaseModel):
    """``PATCH /api/public/media/{mediaId}``'s body: how the SDK's upload went."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    uploaded_at: datetime = Field(alias="uploadedAt")
    upload_http_status: int = Field(alias="uploadHttpStatus")


def langfuse_media_id(sha256: str) -> str:
    """The id Langfuse gives a file: the first 22 characters of its SHA-256 in URL-safe base64."""
    try:
        digest = base64.b64decode(sha256, validate=True)
    except ValueError:  # not base64 (binascii.Error), or not even ASCII
        digest = b""
    if len(digest) != hashlib.sha256().digest_size:
        raise BadRequest(f"sha256Hash must be a SHA-256 digest in base64, not {sha256!r}")
    return base64.urlsafe_b64encode(digest).decode()[:22]


@router.post("/api/public/media", summary="Announce a file of a span, get its upload link")
async def announce_media(request: Request, body: MediaAnnouncement) -> dict[str, Any]:
    """The file's id and a signed link to ``PUT`` its bytes to; no link if they are stored already."""
    if body.dataset_id is not None or not body.trace_id:
        raise BadRequest("tokentrail keeps media of traces only (traceId), not of dataset items")
    limit = request.app.state.settings.max_media_bytes
    if body.content_length > limit:
        raise PayloadTooLarge(f"the file is {body.content_length} bytes; the limit is {limit}")
    store, project = request.app.state.store, langfuse_project(request)
    media_id = langfuse_media_id(body.sha256)
    stored = await run_in_threadpool(read_media, store, project, media_id, with_data=False)
    if stored is not None and stored.uploaded:
        return {"mediaId": media_id, "uploadUrl": None}
    announced = Media(
        project=project,
        id=media_id,
        content_type=body.content_type,
        content_length=body.content_length,
        trace_id=body.trace_id,
        span_id=body.observation_id or "",
        field=body.field,
        sha256=body.sha256,
    )
    await run_in_threadpool(save_media, store, announced)
    return {"mediaId": media_id, "uploadUrl": _link(request, "PUT", project, media_id)[0]}


@router.patch("/api/public/media/{media_id}", summary="Report how a file's upload went", status_code=204)
async def report_upload(request: Request, media_id: str, body: UploadReport) -> Response:
    """Taken and checked against the store: the file is known (its bytes, if the upload worked)."""
    stored = await run_in_threadpool(
        read_media, request.app.state.store, langfuse_project(request), media_id, with_data=False
    )
    if stored is None:
        raise NotFound(f"no file {media_id!r} was announced")
    return Response(status_code=204)


@router.get("/api/public/media/{media_id}", summary="A file's metadata and download link")
async def describe_media(request: Request, media_id: str) -> dict[str, Any]:
    project = langfuse_project(request)
    media = await uploaded_media(request.app.state.store, project, media_id, with_data=False)
    url, signed = _link(request, "GET", project, media_id)
    return {
        "mediaId": media.id,
        "contentType": media.content_type,
        "contentLength": media.content_length,
        "uploadedAt": _iso(media.uploaded_ns / 1e9),
        "url": url,
        "urlExpiry": _iso(signed.expires),
    }


@router.put(SIGNED_MEDIA_PATH + "{media_id}", name="signed_media", include_in_schema=False)
async def upload_media(request: Request, media_id: str) -> Response:
    """Store a file's bytes, sent to its signed upload link."""
    project = _signed_project(request, media_id)
    store = request.app.state.store
    announced = await run_in_threadpool(read_media, store, project, media_id, with_data=False)
    if announced is None:
        raise NotFound(f"no file {media_id!r} was announced")
    data = await read_body(request, request.app.state.settings.max_media_bytes)
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    checksum = request.headers.get("x-amz-checksum-sha256", digest)
    if not digest == checksum == announced.sha256:
        raise BadRequest(f"the bytes' SHA-256 is {digest}; {announced.sha256} was announced")
    if request.headers.get("content-type", announced.content_type) != announced.content_type:
        raise BadRequest(f"the file was announced as {announced.content_type}")
    if not announced.uploaded:
        await run_in_threadpool(save_media, store, announced.with_data(data))
    return Response(status_code=200)


@router.get(SIGNED_MEDIA_PATH + "{media_id}", include_in_schema=False)
async def download_media(request: Request, media_id: str) -> Response:
    """A file's bytes, from its signed download link."""
    project = _signed_project(request, media_id)
    return file_response(await uploaded_media(request.app.state.store, project, media_id))


def _link(request: Request, method: str, project: str, media_id: str) -> tuple[str, SignedUrl]:
    signed = sign(request.app.state.access.secret, method, project, media_id, lifetime_s=LINK_LIFETIME_S)
    return f"{request.url_for('signed_media', media_id=media_id)}?{signed.query()}", signed


def _signed_project(request: Request, media_id: str) -> str:
    query = request.query_params
    return check_signature(
        request.app.state.access.secret,
        request.method,
        media_id,
        query.get("project"),
        query.get("expires"),
        query.get("signature"),
    )


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")
