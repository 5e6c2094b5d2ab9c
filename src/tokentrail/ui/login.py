"""Signing in to the pages with an API key, and out again.

Signing in swaps a key with the ``read`` right for a session cookie (``HttpOnly``, ``SameSite=Strict``,
``Secure`` over HTTPS) that names the key and expires; the key itself is never stored in the browser.
Signing out is a form carrying the session's CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tokentrail.access.sessions import SESSION_COOKIE, csrf_token, sign_session
from tokentrail.ui.routes import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/login", name="login_page")
async def login_page(request: Request, next: str = "/traces") -> Response:
    return render(request, "login.html", {"next": _local(next), "problem": None})


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    key, target = str(form.get("key", "")).strip(), _local(str(form.get("next", "/traces")))
    access = request.app.state.access
    principal = access.authenticate(key) if key else None
    if principal is None or not principal.may("read"):
        problem = "That key is not active." if principal is None else "That key may not read."
        return render(request, "login.html", {"next": target, "problem": problem}, status_code=401)
    lifetime = request.app.state.settings.session_hours * 3600
    token = sign_session(access.secret, principal.key_id, access.session_binding(principal.key_id), lifetime)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=lifetime,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session; the form must carry the session's CSRF token (a page elsewhere cannot)."""
    form = await request.form()
    session = request.state.session
    if session and str(form.get("csrf_token", "")) != csrf_token(request.app.state.access.secret, session):
        return render(request, "error.html", {"message": "Sign-out needs the form of this site."}, 403)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
    return response


def _local(target: str) -> str:
    """``target`` if it is a path on this server, else the traces page (no redirect elsewhere)."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/traces"
