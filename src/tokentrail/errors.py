"""The errors tokentrail raises on purpose, marked permanent or retryable as the OpenTelemetry Collector
marks its consumers' errors. What each one means over HTTP is the web layer's business
(:mod:`tokentrail.documents.errors`): nothing below the receivers knows HTTP.

TokentrailError
├── PermanentError        the request can never be accepted as sent
│   ├── BadRequest
│   │   └── UnsupportedMediaType
│   ├── PayloadTooLarge
│   ├── Unauthenticated   no credentials, or ones that name no active key
│   └── Forbidden         a key without the right, or for another project
├── NotFound
├── Conflict              the request clashes with work in progress (e.g. a second re-pricing job)
└── RetryableError        try again later, after ``retry_after_seconds``
    └── Overloaded
        └── StoreUnavailable   the store refused or failed a write
"""

from __future__ import annotations

__all__ = [
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "Overloaded",
    "PayloadTooLarge",
    "PermanentError",
    "RetryableError",
    "StoreUnavailable",
    "TokentrailError",
    "Unauthenticated",
    "UnsupportedMediaType",
]


class TokentrailError(Exception):
    pass


class PermanentError(TokentrailError):
    """Sending the same request again cannot succeed."""


class RetryableError(TokentrailError):
    """The same request may succeed later."""

    retry_after_seconds = 2


class BadRequest(PermanentError):
    pass


class UnsupportedMediaType(BadRequest):
    pass


class PayloadTooLarge(PermanentError):
    pass


class Unauthenticated(PermanentError):
    pass


class Forbidden(PermanentError):
    pass


class NotFound(TokentrailError):
    pass


class Conflict(TokentrailError):
    pass


class Overloaded(RetryableError):
    pass


class StoreUnavailable(Overloaded):
    pass
