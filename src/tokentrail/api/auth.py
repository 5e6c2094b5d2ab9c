"""Authentication and rights, checked once for every request before any route runs.

A request presents an API key (``Authorization: Bearer``, ``x-api-key`` as the LangSmith SDK sends it,
or HTTP Basic ``<key id>:<key>`` as the Langfuse SDK sends its public and secret keys) or the UI's
session cookie. The right it needs follows from its method and path (:func:`required_right`), so a new
route is covered without saying so: ingest paths and the vendor SDKs' endpoints need ``ingest``, reads
``read``, any other method ``write``; keys and metrics need an admin. Which project a permitted request
touches is decided where its project is read (:func:`tokentrail.params.project_of`, the OTLP receiver): a
project key's own.

While no key has been created and no ``TOKENTRAIL_ADMIN_KEY`` is set, every request acts as
:data:`~tokentrail.access.keys.OPEN` (the server refuses to listen beyond loopback so).

A state-changing request made with the session cookie must carry the session's CSRF token in
``x-csrf-token``; the cookie itself is ``SameSite=Strict`` and ``HttpOnly``.
"""

from __future__ import annotations

import base64
import hmac
import re
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tokentrail.access.keys import OPEN, Principal, key_id
from tokentrail.access.registry import Access
from tokentrail.access.sessions import SESSION_COOKIE, csrf_token, session_key_id
from tokentrail.api.langfuse_media import SIGNED_MEDIA_PATH
from tokentrail.api.otlp import OTLP_PATHS, error_in_request_encoding
from tokentrail.errors import Forbidden, TokentrailError, Unauthenticated

__all__ = [
    "ADMIN",
    "INGEST_PATHS",
    "PUBLIC_PATHS",
    "SDK_PATHS",
    "AuthMiddleware",
    "credentials_key",
    "required_right",
]

#: Paths anyone may reach: liveness, the sign-in page, the API's own description, static files (and,
#: below, signed links).
PUBLIC_PATHS = frozenset({"/healthz", "/login", "/logout", "/openapi.json", "/docs", "/redoc"})
#: Links that carry their own signature instead of a key (Langfuse's media uploads), checked by their route.
_PUBLIC_PREFIXES = ("/static/", SIGNED_MEDIA_PATH)
#: Paths that take spans (a POST there needs the ``ingest`` right).
INGEST_PATHS = frozenset(OTLP_PATHS)
#: The LangSmith and Langfuse SDKs' own endpoints: whatever the method, a tracing SDK's key (``ingest``)
#: is enough, as the SDK uses one key for its runs, scores and checks.
SDK_PATHS = frozenset({"/info", "/runs", "/feedback"})
_SDK_PREFIXES = ("/runs/", "/api/public/")
#: The pseudo-right of routes only an admin may use.
ADMIN = "admin"
_ADMIN_PREFIXES = ("/api/v1/keys", "/metrics", "/api/v1/forwarding", "/forwarding")
_ADMIN_WRITE_PREFIXES = ("/api/v1/projects", "/api/v1/budgets", "/api/v1/evaluators")
#: Writes under an admin prefix that any key with ``write`` may make: running an evaluator, not defining it
#: (matched whole, so that an evaluator named "run" is still deleted by an admin only).
_WRITE_ACTIONS = re.compile(r"/api/v1/evaluators/[^/]+/(?:run|backfill)")
#: Paths that answer programs, never a person: refused with 401, not sent to the sign-in page.
_MACHINE_PREFIXES = ("/api/", "/metrics", *SDK_PATHS, "/runs/")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"


def required_right(method: str, path: str) -> str | None:
    """The right a request needs: ``ingest``, ``read``, ``write`` or :data:`ADMIN`; None if public."""
    if path in PUBLIC_PATHS or path.startswith(_PUBLIC_PREFIXES):
        return None
    if path in INGEST_PATHS and method == "POST":
        return "ingest"
    if path in SDK_PATHS or path.startswith(_SDK_PREFIXES):
        return "ingest"
    if path.startswith(_ADMIN_PREFIXES):
        return ADMIN
    if method in _SAFE_METHODS:
        return "read"
    admin_write = path.startswith(_ADMIN_WRITE_PREFIXES) and not _WRITE_ACTIONS.fullmatch(path)
    return ADMIN if admin_write else "write"


def credentials_key(headers: Mapping[str, str]) -> str | None:
    """The API key a request's headers present, if any (a Basic public key must match its secret key)."""
    if api_key := headers.get("x-api-key"):
        return api_key.strip()
    scheme, _, value = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            public, _, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except ValueError:  # not base64 (binascii.Error, or not even ASCII) or not UTF-8: no key
            return None
        own_id = key_id(secret)
        if not public or own_id is None:
            return secret
        # As bytes: compare_digest refuses str holding non-ASCII characters, which a public key may.
        return secret if hmac.compare_digest(public.encode(), own_id.encode()) else None
    return None


class AuthMiddleware:
    """Puts the request's principal in ``request.state.principal``, or answers 401 / 403 itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        access: Access = scope["app"].state.access
        if access.stale:
            await run_in_threadpool(access.refresh)
        method, path = scope["method"], scope["path"]
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        principal, session = self._principal(access, headers)
        scope.setdefault("state", {}).update(principal=principal, session=session)
        right = required_right(method, path)
        try:
            if right is not None and access.enforced:
                _check(principal, right, method, headers, session, access.secret)
        except TokentrailError as exc:
            await _refusal(exc, scope, path, headers)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _principal(access: Access, headers: Mapping[str, str]) -> tuple[Principal | None, str]:
        if not access.enforced:
            return OPEN, ""
        key = credentials_key(headers)
        if key is not None:
            return access.authenticate(key), ""
        token = _cookie(headers, SESSION_COOKIE)
        found = session_key_id(access.secret, token, access.session_binding) if token else None
        return (access.principal(found), token) if found else (None, "")


def authorize(principal: Principal | None, right: str) -> Principal:
    """``principal`` if it holds ``right`` (``ingest``, ``read``, ``write`` or :data:`ADMIN`); else raise
    :class:`Unauthenticated` (no principal) or :class:`Forbidden`."""
    if principal is None:
        raise Unauthenticated("an API key is required: send 'Authorization: Bearer <key>' (or sign in)")
    if right == ADMIN and not principal.admin:
        raise Forbidden("only an admin key may do this")
    if right != ADMIN and not principal.may(right):
        raise Forbidden(f"this key lacks the {right!r} right")
    return principal


def _check(
    principal: Principal | None,
    right: str,
    method: str,
    headers: Mapping[str, str],
    session: str,
    secret: bytes,
) -> None:
    authorize(principal, right)
    if session and method not in _SAFE_METHODS:
        presented = headers.get(CSRF_HEADER, "")
        # As bytes: compare_digest refuses str holding non-ASCII characters, which a header may.
        if not hmac.compare_digest(presented.encode(), csrf_token(secret, session).encode()):
            raise Forbidden(f"a request made with the sign-in cookie must carry its {CSRF_HEADER} header")


def _refusal(exc: TokentrailError, scope: Scope, path: str, headers: Mapping[str, str]) -> Response:
    if path in INGEST_PATHS:
        return error_in_request_encoding(exc, headers.get("content-type"))
    status = 401 if isinstance(exc, Unauthenticated) else 403
    is_page = not path.startswith(_MACHINE_PREFIXES) and scope["method"] in _SAFE_METHODS
    if is_page and status == 401:
        target = path + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    return JSONResponse(
        {"error": {"status": status, "message": str(exc)}},
        status_code=status,
        headers={"WWW-Authenticate": 'Bearer realm="tokentrail"'} if status == 401 else None,
    )


def _cookie(headers: Mapping[str, str], name: str) -> str:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except CookieError:  # a malformed Cookie header is no session, not an error
        return ""
    morsel = jar.get(name)
    return morsel.value if morsel is not None else ""
