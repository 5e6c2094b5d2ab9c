"""Fuzzing the API for longer than CI does: the checks of tests/api/test_api_fuzz.py and
tests/api/test_otlp_fuzz.py (shared through tests/api_fuzzing.py and tests/otlp_fuzzing.py), with as
many examples as asked.

Starts two ``tokentrail serve`` processes on fresh data directories: one open, one with an admin key
(fuzzed with a project key of every right, and with forged credentials); both hold a trace, a session,
a price rule and a re-pricing job, so reads reach real rows. Each property runs ``--examples``
examples a round; rounds repeat, with new random data, until ``--minutes`` have passed (one round
without it). Prints each property with the examples it tried and its time, and every failure
(Hypothesis's smallest example, and a curl command for API requests); exits 1 if any.

    python bench/fuzz.py --examples 200
    python bench/fuzz.py --examples 100 --minutes 30
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the shared strategies

from api_fuzzing import (
    CLOSES_AN_OPEN_SERVER,
    GUARDED_ROUTES,
    call_operation,
    cases,
    check_forged_refused,
    forged_credentials,
    label,
    operations,
    seed,
)
from otlp_fuzzing import (
    check_clean_answer,
    check_gzip_transparent,
    damaged_protobuf,
    gzip_bodies,
    hostile_json,
    wire_messages,
)
from tokentrail.ingest.otlp import JSON, PROTOBUF

ADMIN_KEY = "bench-admin-" + "k" * 40
#: The open server's body limit: small, so gzip bodies straddle it cheaply.
BODY_LIMIT = 4096


@dataclass
class Server:
    url: str
    headers: dict[str, str]
    samples: dict[str, str]
    process: subprocess.Popen[bytes]

    def post_otlp(self, body: bytes, content_type: str, **headers: str) -> httpx.Response:
        return httpx.post(
            self.url + "/v1/traces",
            content=body,
            headers={"content-type": content_type, **self.headers, **headers},
            timeout=60,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(data_dir: Path, keyed: bool) -> Server:
    port = _free_port()
    env = {**os.environ, "TOKENTRAIL_MAX_BODY_BYTES": str(BODY_LIMIT)}
    if keyed:
        env["TOKENTRAIL_ADMIN_KEY"] = ADMIN_KEY
    command = [
        sys.executable,
        "-m",
        "tokentrail.cli",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not _up(url):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("tokentrail serve did not start")
        time.sleep(0.1)
    headers = _project_key(url) if keyed else {}
    return Server(url, headers, seed(url, headers), process)


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _project_key(url: str) -> dict[str, str]:
    admin = {"authorization": f"Bearer {ADMIN_KEY}"}
    httpx.post(url + "/api/v1/projects", json={"name": "fuzz"}, headers=admin).raise_for_status()
    created = httpx.post(
        url + "/api/v1/keys",
        json={"project": "fuzz", "rights": ["ingest", "read", "write"], "name": "fuzz"},
        headers=admin,
    )
    created.raise_for_status()
    return {"authorization": f"Bearer {created.json()['key']}"}


def properties(open_server: Server, keyed: Server) -> dict[str, tuple[dict, Callable[..., None]]]:
    """Each property: its strategies, and the check one example must pass."""
    found: dict[str, tuple[dict, Callable[..., None]]] = {}
    for server, name in ((open_server, "open"), (keyed, "project key")):
        for operation in operations():
            if server is open_server and label(operation) in CLOSES_AN_OPEN_SERVER:
                continue
            found[f"{label(operation)} ({name})"] = (
                {"case": cases(operation, server.samples)},
                lambda case, server=server: call_operation(case, server.url, server.headers),
            )
    found["forged credentials"] = (
        {"route": st.sampled_from(GUARDED_ROUTES), "headers": forged_credentials},
        lambda route, headers: check_forged_refused(keyed.url, route, headers),
    )
    found["OTLP JSON, any value at any node"] = (
        {"body": hostile_json()},
        lambda body: check_clean_answer(open_server.post_otlp, body, JSON),
    )
    found["OTLP protobuf, any fields or damaged"] = (
        {"body": wire_messages | damaged_protobuf()},
        lambda body: check_clean_answer(open_server.post_otlp, body, PROTOBUF),
    )
    found["OTLP gzip, members and bombs"] = (
        {"body": gzip_bodies(BODY_LIMIT), "cuts": st.lists(st.integers(0, 5000), max_size=3)},
        lambda body, cuts: check_gzip_transparent(open_server.post_otlp, BODY_LIMIT, body, cuts),
    )
    return found


def run(name: str, strategies: dict, check: Callable[..., None], examples: int) -> tuple[int, str | None]:
    """Run one property; the examples it tried and its failure, if any."""
    tried = 0

    def counted(**drawn: object) -> None:
        nonlocal tried
        tried += 1
        check(**drawn)

    fuzz = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )(given(**strategies)(counted))
    try:
        fuzz()
    except Exception:
        return tried, traceback.format_exc(limit=-3)
    return tried, None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=100, help="examples per property and round")
    parser.add_argument("--minutes", type=float, default=0, help="repeat rounds until this much time passed")
    parser.add_argument("--only", default="", help="run only the properties whose name holds this text")
    args = parser.parse_args()

    failures: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as open_dir, tempfile.TemporaryDirectory() as keyed_dir:
        servers = [start(Path(open_dir), keyed=False), start(Path(keyed_dir), keyed=True)]
        try:
            chosen = {k: v for k, v in properties(*servers).items() if args.only in k}
            started, rounds, total = time.monotonic(), 0, 0
            while rounds == 0 or time.monotonic() - started < args.minutes * 60:
                rounds += 1
                print(f"round {rounds}: {len(chosen)} properties, {args.examples} examples each", flush=True)
                for name, (strategies, check) in chosen.items():
                    began = time.monotonic()
                    tried, failure = run(name, strategies, check, args.examples)
                    total += tried
                    verdict = "FAILED" if failure else "ok"
                    print(
                        f"  {name:<60} {tried:>6} tried {time.monotonic() - began:>7.1f} s  {verdict}",
                        flush=True,
                    )
                    if failure:
                        failures.append((name, failure))
                        print(failure, flush=True)
        finally:
            for server in servers:
                server.process.terminate()
                server.process.wait(30)
    elapsed = time.monotonic() - started
    print(f"{total} examples in {rounds} round(s), {elapsed:.0f} s: {len(failures)} failure(s)")
    for name, _ in failures:
        print(f"  FAILED {name}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
