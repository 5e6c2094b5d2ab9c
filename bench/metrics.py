"""What counting for ``/metrics`` costs an ingest request, against what processing that request costs.

Builds the ingest benchmark's requests (``bench/ingest.py``: 1,000 spans each), runs each through the
ingest processors (decode to encode, as an ingest process does), then times, per request, everything the
server adds for ``/metrics``: the receiver's ``Metrics.ingested`` (accepted spans by project), the
middleware's response count with its route template, and one insert timing (the writer times one insert
per batch of many requests, so this overstates it). The baseline is the processing, in the same run.

    python bench/metrics.py --requests 50
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import make_payloads
from tokentrail.api.metrics import route_template
from tokentrail.config import Settings
from tokentrail.ingest.chain import Batch
from tokentrail.ingest.offload import run_processors
from tokentrail.ingest.otlp import PROTOBUF
from tokentrail.ingest.stages import processors
from tokentrail.metrics import Metrics


class _Route:
    """What the router leaves in the scope for ``POST /v1/traces``."""

    path_format = "/v1/traces"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--spans-per-request", type=int, default=1000)
    args = parser.parse_args()
    payloads = make_payloads(args.requests * args.spans_per_request, args.spans_per_request)
    chain = processors(Settings(), None)

    started = time.perf_counter()
    batches = [run_processors(chain, Batch(body=request.body, media_type=PROTOBUF)) for request in payloads]
    processing = (time.perf_counter() - started) / len(batches)

    metrics = Metrics()
    scope = {"type": "http", "path": "/v1/traces", "route": _Route(), "path_params": {}}
    started = time.perf_counter()
    for batch in batches:
        metrics.ingested(batch)
        metrics.count_response("http", 200, route_template(scope))
        metrics.time_insert(0.05)
    counting = (time.perf_counter() - started) / len(batches)

    spans = sum(len(batch.rows) for batch in batches)
    print(
        json.dumps(
            {
                "requests": len(batches),
                "spans": spans,
                "processing_us_per_request": round(processing * 1e6),
                "metrics_us_per_request": round(counting * 1e6, 1),
                "metrics_share_of_processing": round(counting / processing, 5),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
