"""API keys: their format, how they are kept (an HMAC under the server's secret, never the key itself),
and the principal a key makes a request act as.

A key reads ``tt_<id>_<secret>``: the 16 hex digits of ``<id>`` name the key in lists, logs and the
Langfuse SDK's "public key"; the secret part is 32 random bytes. The store holds only
``HMAC-SHA256(server secret, key)``, compared in constant time, so a copy of the store gives no key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

__all__ = [
    "ADMIN_ENV_KEY_ID",
    "OPEN",
    "RIGHTS",
    "Principal",
    "digest",
    "key_id",
    "mint_key",
]

#: What a project key may be granted: send spans, read the project, change it (price rules,
#: re-pricing, retention, erasure).
RIGHTS = ("ingest", "read", "write")
#: The id under which ``TOKENTRAIL_ADMIN_KEY`` acts (it is configured, not stored).
ADMIN_ENV_KEY_ID = "admin-env"

_KEY = re.compile(r"tt_([0-9a-f]{16})_[A-Za-z0-9_-]{43}")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: an admin (every project, and projects, keys and global price rules), or a
    key of one project with some of :data:`RIGHTS`."""

    key_id: str
    project: str | None
    rights: frozenset[str]
    admin: bool = False
    name: str = ""

    def may(self, right: str) -> bool:
        return self.admin or right in self.rights


#: The principal of every request while no key is configured (a loopback server run open).
OPEN = Principal(key_id="", project=None, rights=frozenset(RIGHTS), admin=True, name="open")


def mint_key() -> tuple[str, str]:
    """A new key and its id."""
    new_id = secrets.token_hex(8)
    return f"tt_{new_id}_{secrets.token_urlsafe(32)}", new_id


def key_id(key: str) -> str | None:
    """The id of a key in tokentrail's format, else None."""
    found = _KEY.fullmatch(key)
    return found[1] if found else None


def digest(secret: bytes, key: str) -> str:
    """What the store keeps of ``key``."""
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()
