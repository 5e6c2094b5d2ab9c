"""``POST /v1/traces``: the OTLP/HTTP receiver (protobuf or JSON, optionally gzip).

The answer is sent only after the request's spans are durable in the store. Errors follow the OTLP
spec: a ``google.rpc.Status`` in the request's encoding, 400 for a body that will never be accepted,
413 for one over the size limit, 503 with Retry-After when the writer is saturated.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response
from google.protobuf import json_format

from tokentrail.access.keys import Principal
from tokentrail.documents.errors import retry_after, rpc_status, status_of
from tokentrail.errors import Forbidden, PayloadTooLarge, TokentrailError
from tokentrail.ingest.chain import Batch
from tokentrail.ingest.otlp import JSON, encode_response, media_type
from tokentrail.projects import valid_project

__all__ = [
    "OTLP_PATHS",
    "PROJECT_HEADER",
    "error_in_request_encoding",
    "ingest_project",
    "read_body",
    "router",
]

#: Request header that places every span of a request in one project.
PROJECT_HEADER = "x-tokentrail-project"

router = APIRouter(tags=["otlp"])

_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": "ExportTraceServiceResponse, with partial_success for rejected spans"},
    400: {"description": "Malformed body"},
    413: {"description": "Body over the configured limit"},
    415: {"description": "Unsupported Content-Type or Content-Encoding"},
    503: {"description": "Overloaded; retry after Retry-After seconds"},
}

#: The standard OTLP path, and the paths vendor SDKs post the same OTLP to, so they can point here unchanged.
OTLP_PATHS = {
    "/v1/traces": "Receive OTLP traces",
    "/api/public/otel/v1/traces": "Receive OTLP traces from the Langfuse SDK",
    "/otel/v1/traces": "Receive OTLP traces from the LangSmith SDK",
}


async def export_traces(request: Request) -> Response:
    """Accept an OTLP ``ExportTraceServiceRequest`` and answer once its spans are stored."""
    kind = JSON
    try:
        kind = media_type(request.headers.get("content-type"))
        batch = Batch(
            body=await read_body(request, request.app.state.settings.max_body_bytes),
            media_type=kind,
            content_encoding=request.headers.get("content-encoding"),
            project=ingest_project(request.state.principal, request.headers.get(PROJECT_HEADER)),
        )
        batch = await asyncio.wrap_future(request.app.state.ingest.consume(batch))
    except TokentrailError as exc:
        request.app.state.metrics.refused(exc)
        return _status_response(exc, kind)
    request.app.state.metrics.ingested(batch)
    return Response(encode_response(batch.rejected, batch.warnings, kind), media_type=kind)


def ingest_project(principal: Principal, header: str | None) -> str | None:
    """The project a request's spans go to: its key's; for an admin (or an open server) the project
    header's, if any (else each span's service decides, see ``Settings.project_for``)."""
    if principal.project is None:
        return None if header is None else valid_project(header)
    if header is not None and header != principal.project:
        raise Forbidden(f"this key sends to project {principal.project!r}, not {header!r}")
    return principal.project


def error_in_request_encoding(exc: TokentrailError, content_type: str | None) -> Response:
    """``exc`` as an OTLP error answer, encoded as the request was (JSON when that cannot be told)."""
    try:
        kind = media_type(content_type)
    except TokentrailError:
        kind = JSON
    return _status_response(exc, kind)


async def read_body(request: Request, limit: int) -> bytes:
    """Read the body, stopping as soon as it is over the limit (a gzip body is checked again inflated)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is {declared} bytes; the limit is {limit}")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _status_response(exc: TokentrailError, kind: str) -> Response:
    status = rpc_status(exc)
    body = (
        json_format.MessageToJson(status, indent=None).encode()
        if kind == JSON
        else status.SerializeToString()
    )
    return Response(body, status_code=status_of(exc), media_type=kind, headers=retry_after(exc))


for _path, _summary in OTLP_PATHS.items():
    router.add_api_route(
        _path,
        export_traces,
        methods=["POST"],
        summary=_summary,
        response_class=Response,
        responses=_RESPONSES,
    )
