"""What tokentrail's errors mean over HTTP, for the API, the OTLP receiver and the pages alike."""

from __future__ import annotations

from collections.abc import Mapping

from tokentrail.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Overloaded,
    PayloadTooLarge,
    RetryableError,
    TokentrailError,
    Unauthenticated,
    UnsupportedMediaType,
)
from tokentrail.store.sql import InvalidQuery

__all__ = ["HTTP_STATUS", "retry_after", "status_of"]

#: The HTTP status of each error class; a subclass not listed takes its nearest listed base's.
HTTP_STATUS: Mapping[type[Exception], int] = {
    UnsupportedMediaType: 415,
    BadRequest: 400,
    InvalidQuery: 400,
    PayloadTooLarge: 413,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Overloaded: 503,
    TokentrailError: 500,
}


def status_of(exc: Exception) -> int:
    """The HTTP status that answers ``exc``."""
    for cls in type(exc).__mro__:
        status = HTTP_STATUS.get(cls)
        if status is not None:
            return status
    return 500


def retry_after(exc: Exception) -> dict[str, str] | None:
    """The ``Retry-After`` header for an error worth retrying, else None."""
    return {"Retry-After": str(exc.retry_after_seconds)} if isinstance(exc, RetryableError) else None
