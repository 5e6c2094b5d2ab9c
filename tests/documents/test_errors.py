"""Errors are permanent or retryable; only the web layer knows which HTTP status each one is."""

from __future__ import annotations

import pytest

from tokentrail.documents.errors import retry_after, status_of
from tokentrail.errors import (
    BadRequest,
    Conflict,
    NotFound,
    Overloaded,
    PayloadTooLarge,
    PermanentError,
    RetryableError,
    StoreUnavailable,
    TokentrailError,
    UnsupportedMediaType,
)
from tokentrail.store.sql import InvalidQuery


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (BadRequest("x"), 400),
        (UnsupportedMediaType("x"), 415),
        (PayloadTooLarge("x"), 413),
        (NotFound("x"), 404),
        (Conflict("x"), 409),
        (Overloaded("x"), 503),
        (StoreUnavailable("x"), 503),  # a listed base's status
        (InvalidQuery("x"), 400),
        (TokentrailError("x"), 500),
        (ValueError("x"), 500),
    ],
)
def test_each_error_has_its_http_status(error: Exception, status: int) -> None:
    assert status_of(error) == status


def test_only_retryable_errors_say_when_to_retry() -> None:
    assert retry_after(StoreUnavailable("down")) == {"Retry-After": "2"}
    assert retry_after(BadRequest("never")) is None


def test_what_a_client_can_fix_is_permanent_and_what_time_fixes_is_retryable() -> None:
    assert all(issubclass(cls, PermanentError) for cls in (BadRequest, UnsupportedMediaType, PayloadTooLarge))
    assert all(issubclass(cls, RetryableError) for cls in (Overloaded, StoreUnavailable))
