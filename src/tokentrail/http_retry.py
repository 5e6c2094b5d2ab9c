"""When an HTTP send is tried again, and after how long: shared by the forwarding sender, the budget
webhooks, the judge calls and the SDK's API calls, so all honour ``Retry-After`` and back off the same
way.

- 2xx: delivered;
- 408, 429 and 5xx, or no answer at all: sent again, after the answer's ``Retry-After`` (seconds) if it
  has one, else after an exponential backoff (1 s doubling, up to a cap);
- any other 4xx: permanent: the same request would never be taken.
"""

from __future__ import annotations

import httpx

__all__ = ["RETRIED", "is_permanent", "retry_delay"]

#: Answers sent again; any other 4xx is permanent.
RETRIED = frozenset({408, 429})


def is_permanent(response: httpx.Response) -> bool:
    """True when an unsuccessful answer means the same request can never succeed."""
    return response.status_code < 500 and response.status_code not in RETRIED


def retry_delay(response: httpx.Response | None, attempt: int, cap: float) -> float:
    """Seconds to wait before sending again: the answer's ``Retry-After`` (seconds), else 2^attempt, at
    most ``cap``."""
    header = response.headers.get("retry-after", "") if response is not None else ""
    if header.strip().isdigit():
        return min(cap, float(header))
    return min(cap, 2.0**attempt)
