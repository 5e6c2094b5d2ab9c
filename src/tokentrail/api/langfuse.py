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
from starlette.datastructures import URL

from tokentrail.api.encoding import ExactJSONResponse
from tokentrail.api.otlp import PROJECT_HEADER, ingest_project
from tokentrail.documents.errors import retry_after, status_of
from tokentrail.errors import NotFound, TokentrailError
from tokentrail.params import principal_of
from tokentrail.projects import valid_project
from tokentrail.store.sql import InvalidQuery

__all__ = ["LangfuseRoute", "fallback_router", "langfuse_project", "router"]

#: The organization every project is shown in (tokentrail has none; the SDK's model requires one).
ORGANIZATION = {"id": "tokentrail", "name": "tokentrail"}


class LangfuseRoute(APIRoute):
    """A route that answers errors as Langfuse does: ``{"message": ...}`` with the error's status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except (TokentrailError, InvalidQuery) as exc:
                status = status_of(exc)
                return ExactJSONResponse({"message": str(exc)}, status_code=status, headers=retry_after(exc))
            except RequestValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in error['loc'][1:])}: {error['msg']}" for error in exc.errors()
                )
                return ExactJSONResponse({"message": problems}, status_code=400)

        return answer


router = APIRouter(tags=["langfuse"], route_class=LangfuseRoute)
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
