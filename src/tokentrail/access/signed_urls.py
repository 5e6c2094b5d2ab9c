"""Signed URLs: a link that lets whoever holds it do one thing (upload or download one file of one
project) until it expires, with no API key, as the presigned storage URLs Langfuse's SDK expects do.

The signature is an HMAC-SHA256, under the server's secret, of the method, the project, the file's id and
the expiry; any change to one of them, or a later time, refuses the link. Every server of a store shares
the secret, so a link made by one is honoured by all.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from tokentrail.errors import Forbidden, Unauthenticated

__all__ = ["SignedUrl", "check_signature", "sign"]

# Keeps these signatures apart from the other HMACs made under the same secret (key digests, sessions).
_PURPOSE = b"tokentrail signed media url\n"


@dataclass(frozen=True, slots=True)
class SignedUrl:
    """The query a signed link carries: which project, until when, and the signature over both."""

    project: str
    expires: int  # Unix seconds
    signature: str

    def query(self) -> str:
        return urlencode({"project": self.project, "expires": self.expires, "signature": self.signature})


def sign(secret: bytes, method: str, project: str, file_id: str, *, lifetime_s: int) -> SignedUrl:
    """A link for ``method`` on ``file_id`` of ``project``, valid for ``lifetime_s`` seconds from now."""
    expires = int(time.time()) + lifetime_s
    return SignedUrl(project, expires, _signature(secret, method, project, file_id, expires))


def check_signature(
    secret: bytes, method: str, file_id: str, project: str | None, expires: str | None, signature: str | None
) -> str:
    """The project a signed link is for; raise :class:`Unauthenticated` if it is unsigned, and
    :class:`Forbidden` if its signature does not match or it has expired."""
    if not (project and expires and signature):
        raise Unauthenticated("this link needs its project, expires and signature parameters")
    if not expires.isdigit():
        raise Forbidden("this link's expiry is not a time")
    expected = _signature(secret, method, project, file_id, int(expires))
    # As bytes: compare_digest refuses str holding non-ASCII characters, which a query may.
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise Forbidden("this link's signature does not match")
    if int(expires) < time.time():
        raise Forbidden("this link has expired")
    return project


def _signature(secret: bytes, method: str, project: str, file_id: str, expires: int) -> str:
    message = "\n".join((method.upper(), project, file_id, str(expires))).encode()
    return hmac.new(secret, _PURPOSE + message, hashlib.sha256).hexdigest()
