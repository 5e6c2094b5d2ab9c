"""tokentrail servers in subprocesses (chDB allows one data directory per process), for forwarding tests:
a destination with its own store, or a forwarding server that can be killed with SIGKILL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from conftest import ADMIN_KEY, bearer

ADMIN = bearer(ADMIN_KEY)


def serve(data_dir: Path, port: int, *args: str, **env: str) -> subprocess.Popen[bytes]:
    """``tokentrail serve`` on ``port`` with its own data directory, ``args`` and environment ``env``."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tokentrail.cli",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            *args,
        ],
        env={
            **os.environ,
            "TOKENTRAIL_STORE": "",
            "TOKENTRAIL_INGEST_PROCESSES": "0",
            "TOKENTRAIL_GRPC_PORT": "0",
            "TOKENTRAIL_FLUSH_INTERVAL_MS": "100",
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0].decode()[-3000:]
        try:
            httpx.get(url + "/healthz", timeout=5)
            return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError("the server did not start within 90 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def eventually(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 60) -> Any:
    """What ``read`` gives once ``done`` holds for it, or its last value after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done(value := read()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


def project_key(url: str, project: str) -> tuple[str, str]:
    """A new project on the server at ``url`` and an ingest and read key for it: (key id, key)."""
    httpx.post(url + "/api/v1/projects", json={"name": project}, headers=ADMIN, timeout=30).raise_for_status()
    created = httpx.post(
        url + "/api/v1/keys",
        json={"project": project, "rights": ["ingest", "read"]},
        headers=ADMIN,
        timeout=30,
    )
    created.raise_for_status()
    return created.json()["id"], created.json()["key"]


def span_counts(url: str, project: str, headers: dict[str, str] | None = None) -> int:
    """Spans the server at ``url`` holds in ``project`` (0 when it does not answer)."""
    try:
        listed = httpx.get(
            url + "/api/v1/traces",
            params={"project": project, "limit": 500},
            headers=headers or ADMIN,
            timeout=30,
        )
    except httpx.HTTPError:
        return 0
    return sum(trace["span_count"] for trace in listed.json()["traces"]) if listed.is_success else 0
