"""``/api/v1/media``: the files SDKs attached to spans (see :mod:`tokentrail.store.media`), as their bytes.

A file is sent as an attachment that the browser may not sniff: a stored HTML page or SVG never runs in
the server's origin, whatever content type its sender claimed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tokentrail.errors import NotFound
from tokentrail.params import Project, project_of
from tokentrail.store.database import Store
from tokentrail.store.media import Media, read_media

__all__ = ["file_response", "router", "uploaded_media"]

router = APIRouter(tags=["media"])


async def uploaded_media(store: Store, project: str, media_id: str, *, with_data: bool = True) -> Media:
    """The project's file ``media_id`` once its bytes are stored; else raise :class:`NotFound`."""
    media = await run_in_threadpool(read_media, store, project, media_id, with_data=with_data)
    if media is None or not media.uploaded:
        raise NotFound(f"no uploaded file {media_id!r} in project {project!r}")
    return media


def file_response(media: Media) -> Response:
    """A file's bytes, to be saved, not shown."""
    headers = {
        "Content-Disposition": f'attachment; filename="{media.id}"',
        "X-Content-Type-Options": "nosniff",
    }
    return Response(media.data, media_type=media.content_type, headers=headers)


@router.get(
    "/media/{media_id}",
    summary="A file attached to a span",
    response_class=Response,
    responses={200: {"description": "The file's bytes, with the content type it was uploaded with"}},
)
async def get_media(request: Request, media_id: str, project: Project = None) -> Response:
    """The bytes of a file an SDK uploaded (a Langfuse media reference's ``id``), exactly as sent."""
    media = await uploaded_media(request.app.state.store, project_of(request, project), media_id)
    return file_response(media)
