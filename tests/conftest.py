"""Shared fixtures: a real chDB store per test (one data directory per process, one database per test)
and a live tokentrail server on loopback."""

from __future__ import annotations

import base64
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tokentrail.api import create_app
from tokentrail.config import Settings
from tokentrail.store.database import Store

_databases = itertools.count(1)

# pytest-xdist's workers inherit the controller's terminal width as COLUMNS, and the command line's console
# would keep that width from its import on; the CLI tests set the width of each invocation themselves.
os.environ.pop("COLUMNS", None)


@pytest.fixture(scope="session")
def chdb_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    # chDB allows one data directory per process: every test shares it and isolates by database.
    return f"chdb://{tmp_path_factory.mktemp('chdb')}"


@pytest.fixture
def store(chdb_url: str) -> Iterator[Store]:
    opened = Store(chdb_url, f"test_{next(_databases)}")
    yield opened
    opened.client().command(f"DROP DATABASE IF EXISTS {opened.database}")
    opened.close()


@dataclass
class LiveServer:
    url: str
    store: Store
    settings: Settings
    app: FastAPI

    def settle(self) -> None:
        """Wait until every span the server has accepted is queryable (acknowledged spans are durable in
        the write-ahead log and reach the store within the flush interval)."""
        assert self.app.state.writer.flush(30), "the writer did not insert accepted spans within 30 s"

    def get(self, path: str, **params: object) -> httpx.Response:
        """GET ``path`` once everything accepted so far is queryable."""
        self.settle()
        return httpx.get(
            self.url + path, params={k: v for k, v in params.items() if v is not None}, timeout=30
        )

    def reprice(self, **body: object) -> dict:
        """Start a re-pricing job (``body`` as ``POST /api/v1/reprice`` takes it) and wait for it to end;
        returns its last report."""
        response = httpx.post(self.url + "/api/v1/reprice", json=body, timeout=30)
        assert response.status_code == 202, response.text
        job = response.json()
        deadline = time.monotonic() + 60
        while job["state"] == "running" and time.monotonic() < deadline:
            time.sleep(0.05)
            job = self.get(f"/api/v1/reprice/{job['id']}").json()
        assert job["state"] == "done", job
        return job

    def post_otlp(self, body: bytes, content_type: str, **headers: str) -> httpx.Response:
        return httpx.post(
            self.url + "/v1/traces",
            content=body,
            headers={"content-type": content_type, **headers},
            timeout=60,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    store: Store, tmp_path: Path, port: int | None = None, **settings_overrides: object
) -> Iterator[LiveServer]:
    """A live server over ``store`` on ``port`` (default: a free one)."""
    port = port or _free_port()
    # Ingest on a thread: a process pool per test server would cost seconds of spawning each time;
    # tests/ingest/test_offload.py runs the process pool.
    settings_overrides.setdefault("ingest_processes", 0)
    # No gRPC receiver unless a test asks for one (with a free port): many test servers run at once.
    settings_overrides.setdefault("grpc_port", 0)
    settings = Settings(data_dir=tmp_path, host="127.0.0.1", port=port, **settings_overrides)  # type: ignore[arg-type]
    app = create_app(settings, store=store)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("tokentrail test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", store, settings, app)
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture
def server(store: Store, tmp_path: Path) -> Iterator[LiveServer]:
    """A tokentrail server on loopback, over this test's own database."""
    yield from start_server(store, tmp_path)


#: The admin key of :func:`secured_server` (set through TOKENTRAIL_ADMIN_KEY's setting).
ADMIN_KEY = "admin-" + "k" * 40


@pytest.fixture
def secured_server(store: Store, tmp_path: Path) -> Iterator[LiveServer]:
    """A server with authentication on (an admin key configured), over this test's own database."""
    yield from start_server(store, tmp_path, admin_key=ADMIN_KEY)


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def basic(key: str) -> dict[str, str]:
    """The Authorization header the Langfuse SDK sends: public key (the key's id) and secret key."""
    return {"authorization": "Basic " + base64.b64encode(f"{key.split('_')[1]}:{key}".encode()).decode()}
