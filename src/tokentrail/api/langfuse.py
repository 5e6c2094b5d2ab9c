"""The Langfuse SDK's endpoints beside its OTLP path: ``GET /api/public/projects`` (its auth check and
trace links), the trace link itself, and a clear 404 for the endpoints tokentrail does not implement.

The SDK authenticates with HTTP Basic (public key = key id, secret key = the key), checked by
:class:`tokentrail.api.auth.AuthMiddleware` like any key. Routes here answer errors in Langfuse's shape,
``{"message": ...}``, which the SDK's client shows; a 404 is not retried by it, so an endpoint tokentrail
lacks (prompts, datasets) fails at once and the SDK falls back (``get_prompt(fallback=...)``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.datastructures import URL
from starlette.exceptions import HTTPException as StarletteHTTPException

from tokentrail.api.encoding import ExactJSONResponse
from tokentrail.api.otlp import PROJECT_HEADER, ingest_project
from tokentrail.documents.errors import retry_after, status_of
from tokentrail.errors import Forbidden, NotFound, TokentrailError, Unauthenticated
from tokentrail.ingest.langfuse_scores import problems
from tokentrail.params import principal_of
from tokentrail.projects import valid_project
from tokentrail.store.sql import InvalidQuery

__all__ = ["ERRORS", "LangfuseError", "LangfuseRoute", "fallback_router", "langfuse_project", "router"]

#: The organization every project is shown in (tokentrail has none; the SDK's model requires one).
ORGANIZATION = {"id": "tokentrail", "name": "tokentrail"}


class LangfuseError(BaseModel):
    """An error as Langfuse's API answers it."""

    message: str


#: The errors the Langfuse routes answer in Langfuse's shape (a refused key is answered in tokentrail's,
#: wherever it is refused: the SDK reads only the status of a 401 or 403).
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": LangfuseError, "description": description}
    for status, description in {
        400: "Invalid body",
        404: "Not found, or not implemented by tokentrail",
        413: "Over the size limit",
        503: "Overloaded; retry after Retry-After seconds",
    }.items()
}


class LangfuseRoute(APIRoute):
    """A route that answers errors as Langfuse does, ``{"message": ...}`` with the error's status; a
    refused key (401, 403) as every route does."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except (Unauthenticated, Forbidden):
                raise
            except (TokentrailError, InvalidQuery) as exc:
                status = status_of(exc)
                return ExactJSONResponse({"message": str(exc)}, status_code=status, headers=retry_after(exc))
            except StarletteHTTPException as exc:  # FastAPI's own: a body it cannot parse
                return ExactJSONResponse({"message": str(exc.detail)}, exc.status_code, exc.headers)
            except RequestValidationError as exc:
                return ExactJSONResponse({"message": problems(exc.errors(), skip=1)}, status_code=400)

        return answer


router = APIRouter(tags=["langfuse"], route_class=LangfuseRoute, responses=ERRORS)
#: Included after every other route: what it matches is what no route under /api/public took.
fallback_router = APIRouter(route_class=LangfuseRoute, include_in_schema=False)


def langfuse_project(request: Request) -> str:
    """The project a Langfuse SDK request acts on: its key's; for an admin key (or an open server) the
    ``x-tokentrail-project`` header's, else the server's default project."""
    project = ingest_project(principal_of(request), request.headers.get(PROJECT_HEADER))
    return project or request.app.state.settings.default_project


@router.get("/api/public/projects", summary="The key's project, as the Langfuse SDK reads it")
async def get_projects(request: Request) -> dict[str, Any]:
    """The one project the request's key acts on, in Langfuse's ``Projects`` shape: the SDK's
    ``auth_check()`` needs one, and ``get_trace_url()`` builds ``/project/{id}/traces/{trace id}``."""
    project = langfuse_project(request)
    return {"data": [{"id": project, "name": project, "organization": ORGANIZATION, "metadata": {}}]}


@router.get("/project/{project}/traces/{trace_id}", include_in_schema=False)
async def trace_link(request: Request, project: str, trace_id: str) -> Response:
    """The trace page a Langfuse trace link (``get_trace_url()``) points to."""
    target = URL(str(request.url_for("trace_page", trace_id=trace_id)))
    return RedirectResponse(str(target.include_query_params(project=valid_project(project))), 303)


@fallback_router.api_route("/api/public/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def not_implemented(request: Request, rest: str) -> Response:
    raise NotFound(
        f"tokentrail does not implement Langfuse's {request.method} /api/public/{rest}; it takes traces "
        "(OTel), scores and media from the Langfuse SDK, not prompts, datasets or reads"
    )
