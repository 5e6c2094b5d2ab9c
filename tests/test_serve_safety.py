"""``tokentrail serve`` refuses to listen where other machines reach it while no API key protects it
(unless told ``--insecure``), says whether requests are authenticated whenever it starts, and listens
anywhere once keys exist."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tokentrail.config import Settings, is_loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "tokentrail.example"])
def test_serve_refuses_an_address_others_reach_without_insecure(tmp_path, host):
    # In a process of its own: serve opens its store to look for keys, and chDB opens one data directory
    # per process (this test process has its own open already, or will).
    result = subprocess.run(
        [sys.executable, "-m", "tokentrail.cli", "serve", "--host", host, "--data-dir", str(tmp_path)],
        env={**os.environ, "TOKENTRAIL_STORE": "", "TOKENTRAIL_GRPC_PORT": "0", "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 2, result.stdout + result.stderr
    assert f"refusing to listen on {host}" in result.stdout
    assert "--insecure" in result.stdout and "TOKENTRAIL_ADMIN_KEY" in result.stdout


def _serve_everywhere(data_dir, **env):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tokentrail.cli", "serve", "--host", "0.0.0.0", "--port", str(port)],
        # No gRPC receiver: it would listen on 0.0.0.0:4317, which another server may hold.
        env={
            **os.environ,
            "TOKENTRAIL_STORE": "",
            "TOKENTRAIL_DATA_DIR": str(data_dir),
            "TOKENTRAIL_GRPC_PORT": "0",
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/api/v1/traces", timeout=5).status_code
            except httpx.HTTPError:
                time.sleep(0.3)
        raise AssertionError(process.communicate()[0].decode()[-2000:])
    finally:
        process.terminate()
        process.wait(30)


def test_serve_listens_everywhere_once_an_admin_key_is_configured(tmp_path):
    assert _serve_everywhere(tmp_path, TOKENTRAIL_ADMIN_KEY="a" * 40) == 401


def test_serve_listens_everywhere_once_a_key_is_stored(tmp_path):
    # In a process of its own: chDB opens one data directory per process, and this one has the tests'.
    subprocess.run([sys.executable, "-c", _CREATE_KEY, str(tmp_path)], check=True, timeout=120)
    assert _serve_everywhere(tmp_path) == 401


_CREATE_KEY = """
import sys
from pathlib import Path
from tokentrail.access.registry import Access
from tokentrail.access.secret import server_secret
from tokentrail.store.database import Store

data_dir = Path(sys.argv[1])
store = Store(f"chdb://{data_dir / 'chdb'}")
access = Access(store, server_secret("", data_dir))
access.create_project("shop")
access.create_key("ci", project="shop", rights=["ingest"])
store.close()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("example.com", False),
    ],
)
def test_loopback_addresses_are_told_apart(host, loopback):
    assert is_loopback(host) is loopback


def test_allowed_hosts_are_read_from_the_environment():
    settings = Settings.from_env({"TOKENTRAIL_ALLOWED_HOSTS": "Traces.Example, 10.0.0.5"})

    assert settings.allowed_hosts == ("traces.example", "10.0.0.5")
    assert Settings().allowed_hosts == ("localhost", "127.0.0.1", "::1")
