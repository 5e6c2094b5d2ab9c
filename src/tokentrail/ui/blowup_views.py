"""The trace page's "where it blew up" section, shaped from the API's own document
(``GET /api/v1/traces/{id}/blowup``): every amount and verdict is the API's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from tokentrail.analysis.blowup import read_blowup
from tokentrail.analysis.tree import TraceTree
from tokentrail.documents.blowup import blowup_json
from tokentrail.store.database import Store

__all__ = ["PART_LABELS", "blowup_section"]

#: A part of a failing trace's cost -> what the page calls it, in the order shown.
PART_LABELS: Mapping[str, str] = {
    "failed": "failed spans",
    "retried": "retried attempts",
    "thrown_away": "work thrown away",
    "kept": "not lost",
}


async def blowup_section(request: Request, store: Store, project: str, tree: TraceTree) -> dict[str, Any]:
    """What ``_blowup.html`` shows of a trace, its baseline window the server's default."""
    days = request.app.state.settings.slow_baseline_days
    report = blowup_json(await run_in_threadpool(read_blowup, store, project, tree, days))
    failure, slow = report["failure"], report["slow"]
    parts = failure["cost"]["parts"]
    timings = slow["critical_path"]
    return {
        "failure": failure,
        "parts": [{"label": label, **parts[name]} for name, label in PART_LABELS.items()],
        "slow": [timing for timing in timings if timing["verdict"] == "slow"],
        "judged": sum(timing["verdict"] != "too_few_samples" for timing in timings),
        "unjudged": sum(timing["verdict"] == "too_few_samples" for timing in timings),
        "baseline": slow["baseline"],
    }
