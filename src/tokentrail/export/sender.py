"""The sender of one destination: a thread that reads its queue and POSTs the requests, until they are taken.

Requests are joined into POSTs of at most ``max_request_bytes`` (serialized OTLP requests concatenated are
one request holding all their spans) and sent gzipped as OTLP/HTTP protobuf. The answer decides:

- 2xx: delivered;
- 408, 429 and 5xx, or no answer at all: sent again as :mod:`tokentrail.http_retry` says (its
  ``Retry-After``, else a backoff up to ``max_backoff_s``), for as long as it takes;
- any other 4xx (a wrong key, a refused body): permanent, so the POST is dropped, its spans counted as
  failed and the answer kept as the destination's last error. Retrying would never succeed and would hold
  up everything queued behind it.
"""

from __future__ import annotations

import gzip
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx

from tokentrail.export.destinations import Destination
from tokentrail.export.queue import DurableQueue
from tokentrail.http_retry import is_permanent, retry_delay

__all__ = ["DestinationStats", "Sender"]

logger = logging.getLogger(__name__)

#: The window over which throughput is measured.
RATE_WINDOW_S = 60.0


@dataclass(slots=True)
class DestinationStats:
    """What a destination's status page shows: delivered and failed counts, the last error, throughput."""

    sent_spans: int = 0
    sent_requests: int = 0
    failed_spans: int = 0
    failed_requests: int = 0
    retries: int = 0
    last_error: str = ""
    last_error_ns: int = 0
    _recent: deque[tuple[float, int]] = field(default_factory=deque)

    def delivered(self, spans: int) -> None:
        self.sent_spans += spans
        self.sent_requests += 1
        self._recent.append((time.monotonic(), spans))

    def failed(self, message: str) -> None:
        self.last_error, self.last_error_ns = message, time.time_ns()

    def rate(self) -> float:
        """Spans delivered per second over the last minute."""
        horizon = time.monotonic() - RATE_WINDOW_S
        while self._recent and self._recent[0][0] < horizon:
            self._recent.popleft()
        return sum(spans for _, spans in self._recent) / RATE_WINDOW_S


class Sender:
    """Sends ``queue`` to ``destination`` on a thread of its own, from :meth:`start` to :meth:`stop`."""

    def __init__(
        self,
        destination: Destination,
        queue: DurableQueue,
        *,
        max_request_bytes: int = 4 * 2**20,
        max_backoff_s: float = 30.0,
        timeout_s: float = 10.0,
    ) -> None:
        self.destination = destination
        self.queue = queue
        self.stats = DestinationStats()
        self.max_request_bytes = max_request_bytes
        self.max_backoff_s = max_backoff_s
        self._client = httpx.Client(timeout=timeout_s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"tokentrail-forward-{destination.name}")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop sending (what is queued stays on disk for the next start)."""
        self._stop.set()
        self._thread.join()
        self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            taken = self.queue.take(timeout=0.5)
            if taken is None:
                continue
            segment, requests = taken
            for spans, body in self._posts(requests):
                if not self._deliver(spans, body):
                    return  # stopping: the segment stays queued
            self.queue.release(segment)

    def _posts(self, requests: list[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
        spans, size = 0, 0
        parts: list[bytes] = []
        for count, request in requests:
            if parts and size + len(request) > self.max_request_bytes:
                yield spans, b"".join(parts)
                spans, size = 0, 0
                parts = []
            spans, size = spans + count, size + len(request)
            parts.append(request)
        if parts:
            yield spans, b"".join(parts)

    def _deliver(self, spans: int, body: bytes) -> bool:
        """POST one body until it is taken or refused for good; False if stopped first."""
        compressed = gzip.compress(body, compresslevel=5)
        headers = {
            **self.destination.headers,
            "Content-Type": "application/x-protobuf",
            "Content-Encoding": "gzip",
        }
        attempt = 0
        while not self._stop.is_set():
            response: httpx.Response | None = None
            try:
                response = self._client.post(self.destination.url, content=compressed, headers=headers)
            except httpx.HTTPError as exc:
                self.stats.failed(f"{type(exc).__name__}: {exc}")
            else:
                if response.is_success:
                    self.stats.delivered(spans)
                    return True
                message = f"HTTP {response.status_code}: {response.text[:300]}"
                self.stats.failed(message)
                if is_permanent(response):
                    logger.error(
                        "forward %s: %d spans refused for good: %s", self.destination.name, spans, message
                    )
                    self.stats.failed_spans += spans
                    self.stats.failed_requests += 1
                    return True
            self.stats.retries += 1
            self._stop.wait(retry_delay(response, attempt, self.max_backoff_s))
            attempt += 1
        return False
