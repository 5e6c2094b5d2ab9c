"""CPU per span of each ingest processor (decode .. encode), in this process, on ``bench/ingest.py``'s load.

End-to-end ingest rates on a shared 2-core machine move by ±30% from run to run; the processors' CPU time
(``time.process_time``, which other processes' load barely moves) resolves a change of a few percent. To
compare two trees, run it once with each on ``PYTHONPATH``, alternating:

    python bench/stages.py --spans 30000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from ingest import make_payloads
from tokentrail.config import Settings
from tokentrail.ingest.chain import Batch
from tokentrail.ingest.otlp import PROTOBUF
from tokentrail.ingest.stages import processors


def stage_costs(spans: int, repeat: int) -> dict[str, float]:
    """Microseconds of CPU per span each processor took, over ``repeat`` passes of the load."""
    payloads = make_payloads(spans, 1000)
    settings = Settings()
    # One request first, untimed: what a processor builds once per process (the price catalog, a
    # tokenizer's encoding) is not a cost per span.
    warm_up = Batch(body=payloads[0].body, media_type=PROTOBUF)
    for processor in processors(settings, None):
        processor.process(warm_up)
    totals: dict[str, float] = {}
    for _ in range(repeat):
        for request in payloads:
            batch = Batch(body=request.body, media_type=PROTOBUF)
            for processor in processors(settings, None):
                started = time.process_time()
                processor.process(batch)
                name = type(processor).__name__
                totals[name] = totals.get(name, 0.0) + time.process_time() - started
    count = sum(request.spans for request in payloads) * repeat
    costs = {name: round(total / count * 1e6, 2) for name, total in totals.items()}
    costs["total"] = round(sum(totals.values()) / count * 1e6, 2)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        json.dumps(
            {"spans": args.spans, "repeat": args.repeat, "us_per_span": stage_costs(args.spans, args.repeat)},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
