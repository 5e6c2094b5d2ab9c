"""What every response carries and every request is checked for, whatever route it reaches.

- The ``Host`` header must name the server (``Settings.allowed_hosts``, loopback names by default): a page on
  another site that rebinds its own name to 127.0.0.1 (DNS rebinding) is answered 400, never served.
- Every response forbids framing, content sniffing and any script or connection not from the server
  itself. The UI's pages run no inline script (``static/app.js`` only); they do set inline ``style``
  attributes (a waterfall bar's offset and width), which the policy allows.

A plain ASGI middleware, not Starlette's ``BaseHTTPMiddleware``: it adds two checks to the ingest path,
not a task per request.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SECURITY_HEADERS", "SecurityMiddleware", "host_name"]

#: Headers set on every response.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)

_ANY_HOST = "*"


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without its port and lower-cased (``[::1]:4318`` -> ``::1``)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class SecurityMiddleware:
    """Refuses requests addressed to other hosts, and sets :data:`SECURITY_HEADERS` on every response."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(name.lower() for name in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if _ANY_HOST not in self.allowed:
            host = next((value for name, value in scope["headers"] if name == b"host"), b"")
            if host_name(host.decode("latin-1")) not in self.allowed:
                await _refuse(send)
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent = list(message.get("headers", ()))
                # A route that set its own policy (the API docs pages) keeps it: two would both apply.
                own = {name.lower() for name, _ in sent}
                message["headers"] = [*sent, *(h for h in SECURITY_HEADERS if h[0] not in own)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _refuse(send: Send) -> None:
    body = b'{"error": {"status": 400, "message": "this server does not answer to that Host header"}}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 400, "headers": [*headers, *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})
