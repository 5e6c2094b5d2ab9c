"""UI sessions: a signed, expiring token naming the key someone signed in with, and the CSRF token
that goes with it.

A session token reads ``<key id>.<expiry, Unix seconds>.<signature>``; the signature is an HMAC under
the server secret over both and the key's stored digest, so a session ends when its key is revoked,
when it expires, and when the secret changes. The CSRF token is an HMAC of the session token: a page
of the server can put it in its forms, a page elsewhere cannot learn it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable

__all__ = ["SESSION_COOKIE", "csrf_token", "session_key_id", "sign_session"]

SESSION_COOKIE = "tokentrail_session"
#: An expiry as sign_session writes it: ASCII digits (``str.isdigit`` also takes "²", which ``int``
#: refuses), few enough for ``int`` to read (it refuses past 4,300).
_EXPIRY = re.compile(r"[0-9]{1,20}")


def sign_session(secret: bytes, key_id: str, binding: str, lifetime_s: int, now: float | None = None) -> str:
    """A session token for the key ``key_id`` (``binding``: its digest), valid for ``lifetime_s``."""
    expires = int(now if now is not None else time.time()) + lifetime_s
    return f"{key_id}.{expires}.{_mac(secret, f'session|{key_id}|{expires}|{binding}')}"


def session_key_id(
    secret: bytes, token: str, binding_of: Callable[[str], str], now: float | None = None
) -> str | None:
    """The key id a session token names, if its signature holds and it has not expired; else None."""
    parts = token.split(".")
    if len(parts) != 3 or not _EXPIRY.fullmatch(parts[1]):
        return None
    key_id, expires, signature = parts
    if int(expires) < (now if now is not None else time.time()):
        return None
    binding = binding_of(key_id)
    expected = _mac(secret, f"session|{key_id}|{expires}|{binding}")
    # As bytes: compare_digest refuses str holding non-ASCII characters, which a forged cookie may.
    return key_id if binding and hmac.compare_digest(signature.encode(), expected.encode()) else None


def csrf_token(secret: bytes, session_token: str) -> str:
    """The token state-changing requests made with this session must carry."""
    return _mac(secret, f"csrf|{session_token}")


def _mac(secret: bytes, text: str) -> str:
    raw = hmac.new(secret, text.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
