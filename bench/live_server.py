"""A ``tokentrail serve`` process for the ingest benches: started on free HTTP and gRPC ports over a fresh
data directory, asked what it holds, measured (resident memory, its ingest processes included), stopped;
and the two ways to send it OTLP, HTTP and gRPC, each waiting out the server's back-pressure as OTLP
exporters do (Retry-After; a gRPC refusal's ``RetryInfo``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from itertools import cycle
from pathlib import Path

import grpc
import httpx
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from tokentrail.api.otlp_grpc import EXPORT_METHOD
from tokentrail.ingest.otlp import PROTOBUF

__all__ = ["SENDERS", "Served", "free_port", "grpc_sender", "http_sender", "retry_delay"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def retry_delay(error: grpc.RpcError) -> float | None:
    """Seconds a refused export asks to wait before it is sent again (its ``RetryInfo``), as OTLP exporters
    read it; None when the refusal carries none (then it must not be retried)."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]  # a failed call is also a grpc.Call
    for detail in status.details if status is not None else ():
        info = error_details_pb2.RetryInfo()
        if detail.Unpack(info):
            return info.retry_delay.seconds + info.retry_delay.nanos / 1e9
    return None


class Served:
    """``tokentrail serve`` on free ports over ``data_dir``, with ``TOKENTRAIL_*`` overrides in ``env``."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        port, grpc_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.grpc_target = f"127.0.0.1:{grpc_port}"
        command = ["serve", "--port", str(port), "--data-dir", str(data_dir)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tokentrail.cli", *command],
            env={**os.environ, "TOKENTRAIL_GRPC_PORT": str(grpc_port), **env},
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.process.kill()
        raise RuntimeError("tokentrail serve did not start")

    def health(self) -> dict[str, int]:
        return httpx.get(self.url + "/healthz", timeout=30).json()

    def queryable(self, service: str | None = None) -> int:
        """Spans the API counts, of one service or all."""
        page = httpx.get(self.url + "/api/v1/costs", params={"group_by": "service"}, timeout=60).json()
        return sum(g["span_count"] for g in page["groups"] if service is None or g["key"] == service)

    def settle(self, timeout: float = 300) -> None:
        """Wait until nothing accepted is still queued or waiting to be written."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            health = self.health()
            if health["queued_requests"] == 0 and health["pending_spans"] == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"the server did not settle within {timeout} s")

    def rss_mb(self, field: str = "VmRSS") -> float:
        """Resident memory of the server and its ingest processes together, in MB; ``VmHWM``: the sum of
        each one's peak so far."""
        pids = [self.process.pid, *_children(self.process.pid)]
        return sum(_status_kb(pid, field) for pid in pids) / 1024

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:  # the process ended between listing and reading
        pass
    return 0


_PROTOBUF_BODY = {"content-type": PROTOBUF}

#: Sends one request body until it is accepted; returns how many times it was asked to retry first.
Sender = Callable[[bytes], int]


@contextmanager
def http_sender(server: Served, clients: int) -> Iterator[Sender]:
    """POST /v1/traces over ``clients`` connections, waiting out 429/503 as OTLP exporters do."""
    with httpx.Client(timeout=120, limits=httpx.Limits(max_connections=clients)) as client:

        def send(body: bytes) -> int:
            retries = 0
            while True:
                response = client.post(server.url + "/v1/traces", content=body, headers=_PROTOBUF_BODY)
                if response.status_code not in (429, 503):
                    response.raise_for_status()
                    return retries
                retries += 1
                time.sleep(float(response.headers.get("retry-after", "1")))

        yield send


@contextmanager
def grpc_sender(server: Served, clients: int) -> Iterator[Sender]:
    """TraceService/Export over ``clients`` connections, waiting out the RetryInfo of a refusal."""
    # A channel of its own per client (not the process-wide pool), as each exporter has its connection.
    channels = [
        grpc.insecure_channel(server.grpc_target, options=[("grpc.use_local_subchannel_pool", 1)])
        for _ in range(clients)
    ]
    exports = cycle([channel.unary_unary(EXPORT_METHOD) for channel in channels])  # bytes in, bytes out

    def send(body: bytes) -> int:
        export = next(exports)
        retries = 0
        while True:
            try:
                export(body, timeout=120)
                return retries
            except grpc.RpcError as error:
                delay = retry_delay(error)
                if delay is None:
                    raise
                retries += 1
                time.sleep(delay)

    try:
        yield send
    finally:
        for channel in channels:
            channel.close()


#: Each protocol's sender, by name.
SENDERS: dict[str, Callable[[Served, int], AbstractContextManager[Sender]]] = {
    "http": http_sender,
    "grpc": grpc_sender,
}
