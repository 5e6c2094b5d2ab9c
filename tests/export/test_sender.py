"""A sender facing an overloaded destination sends the same request again after the wait
tokentrail.http_retry gives, until it is taken."""

from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tokentrail.export.destinations import Destination
from tokentrail.export.queue import DurableQueue
from tokentrail.export.sender import Sender


class _Flaky(BaseHTTPRequestHandler):
    """A destination that is overloaded twice (5xx, then 429 with Retry-After) before taking a request."""

    answers = [(500, {}), (429, {"Retry-After": "3"})]
    received: list[tuple[float, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((time.monotonic(), gzip.decompress(body)))
        status, headers = self.answers.pop(0) if self.answers else (200, {})
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_an_overloaded_destination_gets_the_same_request_again_after_waiting(tmp_path):
    destination = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=destination.serve_forever, daemon=True).start()
    queue = DurableQueue(tmp_path / "queue", max_bytes=2**20)
    queue.put(b"one OTLP request", spans=3).result(timeout=10)
    url = f"http://127.0.0.1:{destination.server_address[1]}/v1/traces"
    sender = Sender(Destination("flaky", url), queue, max_backoff_s=30)
    sender.start()
    try:
        deadline = time.monotonic() + 30
        while sender.stats.sent_spans < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sender.stop()
        destination.shutdown()
        queue.close()

    times, bodies = zip(*_Flaky.received, strict=True)
    assert bodies == (b"one OTLP request",) * 3  # the same request, neither lost nor split
    assert (sender.stats.sent_spans, sender.stats.failed_spans, sender.stats.retries) == (3, 0, 2)
    assert sender.stats.last_error.startswith("HTTP 429")
    # Waited as told: a second after the 500 (the first backoff), the Retry-After's three seconds after the
    # 429 (more than the two seconds the backoff alone would wait there).
    assert times[1] - times[0] >= 0.9 and times[2] - times[1] >= 2.9
    assert queue.queued_spans == 0
