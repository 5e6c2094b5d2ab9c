"""What authenticating costs an ingest request, against what processing that request costs.

Builds the ingest benchmark's requests (``bench/ingest.py``: 1,000 spans each) and runs each through the
ingest processors (decode to encode, as an ingest process does): the baseline. Then sends as many
``POST /v1/traces`` scopes through the real ``AuthMiddleware``, with the headers an OTel exporter sends
and a project key that a real ``Access`` holds (over an embedded store in a temporary directory), to an
app that answers at once. Prints both per request and their ratio.

    python bench/auth.py --requests 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import make_payloads
from tokentrail.access.registry import Access
from tokentrail.api.auth import AuthMiddleware
from tokentrail.config import Settings
from tokentrail.ingest.chain import Batch
from tokentrail.ingest.offload import run_processors
from tokentrail.ingest.otlp import PROTOBUF
from tokentrail.ingest.stages import processors
from tokentrail.store.database import Store


async def _answered(scope: Any, receive: Any, send: Any) -> None:
    assert scope["state"]["principal"] is not None


async def _nothing() -> dict[str, Any]:
    return {"type": "http.request", "body": b""}


async def _sink(message: Any) -> None:
    raise AssertionError(f"the middleware refused: {message}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--spans-per-request", type=int, default=1000)
    parser.add_argument("--auth-calls", type=int, default=100_000)
    args = parser.parse_args()
    payloads = make_payloads(args.requests * args.spans_per_request, args.spans_per_request)
    chain = processors(Settings(), None)
    started = time.perf_counter()
    for request in payloads:
        run_processors(chain, Batch(body=request.body, media_type=PROTOBUF))
    processing = (time.perf_counter() - started) / len(payloads)

    with tempfile.TemporaryDirectory() as directory:
        store = Store(f"chdb://{directory}")
        access = Access(store, b"s" * 32)
        access.create_project("shop")
        key, _ = access.create_key("bench", project="shop", rights=["ingest"])
        middleware = AuthMiddleware(_answered)
        app = SimpleNamespace(state=SimpleNamespace(access=access))
        headers = [
            (b"host", b"127.0.0.1:4318"),
            (b"content-type", b"application/x-protobuf"),
            (b"content-length", b"123456"),
            (b"user-agent", b"OTel-OTLP-Exporter-Python/1.39.0"),
            (b"authorization", f"Bearer {key}".encode()),
        ]

        async def authenticate_all() -> float:
            access.refresh()  # fresh, as a steady server is between its 2-second refreshes
            began = time.perf_counter()
            for _ in range(args.auth_calls):
                scope = {
                    "type": "http",
                    "method": "POST",
                    "path": "/v1/traces",
                    "headers": headers,
                    "app": app,
                }
                await middleware(scope, _nothing, _sink)
            return (time.perf_counter() - began) / args.auth_calls

        authenticating = asyncio.run(authenticate_all())
        store.close()
    print(
        json.dumps(
            {
                "requests": len(payloads),
                "processing_us_per_request": round(processing * 1e6),
                "auth_us_per_request": round(authenticating * 1e6, 2),
                "auth_share_of_processing": round(authenticating / processing, 6),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
