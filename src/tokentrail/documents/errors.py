"""What tokentrail's errors mean over HTTP, for the API, the OTLP receivers and the pages alike, and as the
``google.rpc.Status`` both OTLP receivers answer with (HTTP in the body, gRPC as the call's status)."""

from __future__ import annotations

from collections.abc import Mapping

from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

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

__all__ = ["HTTP_STATUS", "RPC_CODES", "retry_after", "rpc_status", "status_of"]

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

#: The ``google.rpc.Code`` that answers each HTTP status (gRPC's status codes are the same numbers);
#: any other status is INTERNAL.
RPC_CODES: Mapping[int, int] = {
    400: code_pb2.INVALID_ARGUMENT,
    401: code_pb2.UNAUTHENTICATED,
    403: code_pb2.PERMISSION_DENIED,
    404: code_pb2.NOT_FOUND,
    413: code_pb2.RESOURCE_EXHAUSTED,
    415: code_pb2.INVALID_ARGUMENT,
    503: code_pb2.UNAVAILABLE,
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


def rpc_status(exc: Exception) -> status_pb2.Status:
    """The ``google.rpc.Status`` that answers ``exc``; a retryable one carries a ``RetryInfo`` detail,
    the delay OTLP exporters wait before they send again (gRPC has no Retry-After header)."""
    status = status_pb2.Status(code=RPC_CODES.get(status_of(exc), code_pb2.INTERNAL), message=str(exc))
    if isinstance(exc, RetryableError):
        delay = duration_pb2.Duration(seconds=exc.retry_after_seconds)
        detail = any_pb2.Any()
        detail.Pack(error_details_pb2.RetryInfo(retry_delay=delay))
        status.details.append(detail)
    return status
