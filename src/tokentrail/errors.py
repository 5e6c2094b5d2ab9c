"""The errors tokentrail raises on purpose, and the HTTP status each one means.

TokentrailError
├── BadRequest            400  the payload can never be accepted as sent (permanent)
│   └── UnsupportedMediaType   415
├── PayloadTooLarge       413  the body is over the configured limit (permanent)
├── NotFound              404
├── Conflict              409  the request clashes with work in progress (e.g. a second re-pricing job)
└── Overloaded            503  try again later (retryable; sent with Retry-After)
    └── StoreUnavailable        the store refused or failed a write
"""

from __future__ import annotations

__all__ = [
    "BadRequest",
    "Conflict",
    "NotFound",
    "Overloaded",
    "PayloadTooLarge",
    "StoreUnavailable",
    "TokentrailError",
    "UnsupportedMediaType",
]


class TokentrailError(Exception):
    status_code = 500


class BadRequest(TokentrailError):
    status_code = 400


class UnsupportedMediaType(BadRequest):
    status_code = 415


class PayloadTooLarge(TokentrailError):
    status_code = 413


class NotFound(TokentrailError):
    status_code = 404


class Conflict(TokentrailError):
    status_code = 409


class Overloaded(TokentrailError):
    status_code = 503
    retry_after_seconds = 2


class StoreUnavailable(Overloaded):
    pass
