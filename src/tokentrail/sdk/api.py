"""Calls to tokentrail's HTTP API from an application: where ``score``, datasets and experiments go.

The address, credentials and project are those ``init`` was given (``api_url``, else the OTLP/HTTP
endpoint, whose server answers the API on the same port). Overload (429, 503) and lost connections are
retried a few times with the backoff of :mod:`tokentrail.http_retry`, honouring ``Retry-After``; any
other failure raises :class:`ApiError` with the server's message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx

from tokentrail.http_retry import retry_delay
from tokentrail.sdk.configure import installed

__all__ = ["ApiError", "request"]

#: Overload and gateways only: a 500 may have stored part of a write, so it is not sent again.
_RETRIED_STATUSES = frozenset({429, 502, 503, 504})
_ATTEMPTS = 4
_MAX_WAIT_S = 10.0

_clients: dict[str, httpx.Client] = {}
_clients_lock = threading.Lock()


class ApiError(RuntimeError):
    """The API refused a call: its status and the server's own message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"tokentrail API answered {status}: {message}")
        self.status = status
        self.message = message


def request(
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Mapping[str, Any] | None = None,
    timeout: float = 30.0,
) -> Any:
    """``method path`` on the API (``path`` starts with ``/api/v1``); returns the decoded JSON answer.

    Raises :class:`RuntimeError` before ``tokentrail.init``.
    """
    setup = installed()
    if setup is None:
        raise RuntimeError("call tokentrail.init(...) first: it says where the tokentrail server is")
    client = _client(setup.api_url, setup.api_headers)
    # The API takes the project as a parameter (a project key's own is implied).
    params = {"project": setup.project, **(params or {})} if setup.project else params
    for attempt in range(_ATTEMPTS):
        last = attempt == _ATTEMPTS - 1
        try:
            response = client.request(method, path, json=json, params=params, timeout=timeout)
        except httpx.TransportError:
            if last:
                raise
            time.sleep(retry_delay(None, attempt, _MAX_WAIT_S))
            continue
        if response.status_code in _RETRIED_STATUSES and not last:
            time.sleep(retry_delay(response, attempt, _MAX_WAIT_S))
            continue
        if response.is_error:
            raise ApiError(response.status_code, _message(response))
        return response.json() if response.content else None
    raise AssertionError("unreachable: the last attempt returns or raises")


def _client(base_url: str, headers: Mapping[str, str]) -> httpx.Client:
    with _clients_lock:
        client = _clients.get(base_url)
        if client is None:
            client = _clients[base_url] = httpx.Client(base_url=base_url, headers=dict(headers))
        return client


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    # tokentrail's error shape: {"error": {"status": ..., "message": ...}}
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return str(message or body)[:500]
