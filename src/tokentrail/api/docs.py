"""``/docs`` and ``/redoc``: the API description, browsable, under a policy of their own.

FastAPI's pages load Swagger UI and ReDoc from a CDN and start Swagger UI with an inline script, which the
server's policy (scripts from the server only) forbids. These routes send the same pages with a
Content-Security-Policy that allows exactly that CDN and that one script, by its hash: the pages show
the API's description, never data, and every other page keeps the strict policy.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

__all__ = ["CDN", "describe_errors", "docs_policy", "router"]

router = APIRouter(include_in_schema=False)

#: Where FastAPI's pages load Swagger UI and ReDoc from.
CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_policy(html: str) -> str:
    """The policy for one docs page: the CDN, and the page's own inline scripts by hash."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self' {CDN} {hashes}".rstrip()
        + f"; style-src 'self' 'unsafe-inline' {CDN} https://fonts.googleapis.com; "
        "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https:; worker-src 'self' blob:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


_ERROR = {
    "description": "",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
        }
    },
}
#: The errors every guarded route may answer, beside its own.
_AUTH_ERRORS = {
    "401": "No API key, or not an active one",
    "403": "The key lacks the right, or names another project",
}


def describe_errors(schema: dict[str, Any], guarded: Callable[[str, str], bool]) -> dict[str, Any]:
    """The OpenAPI document as the server answers: invalid parameters are a 400 (not FastAPI's 422) with
    tokentrail's error body, and every route ``guarded(method, path)`` may answer 401 and 403."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR_SCHEMA
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if responses.pop("422", None) is not None:
                responses.setdefault("400", {**_ERROR, "description": "Invalid parameters or body"})
            if guarded(method.upper(), path):
                for status, description in _AUTH_ERRORS.items():
                    responses.setdefault(status, {**_ERROR, "description": description})
    for unused in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(unused, None)
    return schema


def _page(html: str) -> HTMLResponse:
    return HTMLResponse(html, headers={"content-security-policy": docs_policy(html)})


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    app = request.app
    page = get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - Swagger UI")
    return _page(bytes(page.body).decode())


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    app = request.app
    page = get_redoc_html(openapi_url=app.openapi_url, title=f"{app.title} - ReDoc")
    return _page(bytes(page.body).decode())
