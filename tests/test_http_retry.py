"""How long a sender waits before sending again: the destination's Retry-After in seconds, else an
exponential backoff, both capped; which answers are permanent."""

from __future__ import annotations

import httpx

from tokentrail.http_retry import is_permanent, retry_delay


def test_retry_after_is_honoured_up_to_the_cap():
    assert retry_delay(httpx.Response(429, headers={"Retry-After": "7"}), 0, cap=30) == 7
    assert retry_delay(httpx.Response(503, headers={"Retry-After": "120"}), 0, cap=30) == 30


def test_without_retry_after_the_wait_doubles_up_to_the_cap():
    assert [retry_delay(None, attempt, cap=30) for attempt in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert retry_delay(httpx.Response(500, headers={"Retry-After": "soon"}), 2, cap=30) == 4


def test_only_a_4xx_other_than_408_and_429_is_permanent():
    assert [is_permanent(httpx.Response(status)) for status in (400, 401, 404, 408, 429, 500, 503)] == [
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]
