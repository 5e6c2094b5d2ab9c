"""Errors are permanent or retryable; only the web layer knows which HTTP status each one is."""

from __future__ import annotations

import pytest
from google.rpc import code_pb2, error_details_pb2

from tokentrail.documents.errors import retry_after, rpc_status, status_of
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


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (BadRequest("x"), code_pb2.INVALID_ARGUMENT),
        (UnsupportedMediaType("x"), code_pb2.INVALID_ARGUMENT),
        (PayloadTooLarge("x"), code_pb2.RESOURCE_EXHAUSTED),
        (NotFound("x"), code_pb2.NOT_FOUND),
        (StoreUnavailable("x"), code_pb2.UNAVAILABLE),
        (TokentrailError("x"), code_pb2.INTERNAL),
    ],
)
def test_each_error_has_its_rpc_code_for_both_otlp_receivers(error: Exception, code: int) -> None:
    status = rpc_status(error)
    assert (status.code, status.message) == (code, "x")


def test_only_retryable_rpc_statuses_carry_retry_info() -> None:
    (detail,) = rpc_status(Overloaded("full")).details
    retry = error_details_pb2.RetryInfo()
    assert detail.Unpack(retry)
    assert retry.retry_delay.seconds == Overloaded.retry_after_seconds
    assert not rpc_status(BadRequest("never")).details
