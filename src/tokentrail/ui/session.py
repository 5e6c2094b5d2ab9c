"""What a page shows of the UI session: who is signed in, and the sign-out form's CSRF token."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from tokentrail.access.sessions import csrf_token

__all__ = ["session_context"]


def session_context(request: Request) -> dict[str, Any]:
    """What the page header shows of the session: who is signed in, and the sign-out form's token."""
    session = getattr(request.state, "session", "")
    principal = getattr(request.state, "principal", None)
    if not session or principal is None:
        return {"signed_in": None, "csrf_token": ""}
    return {"signed_in": principal, "csrf_token": csrf_token(request.app.state.access.secret, session)}
