"""The evaluators page: each evaluator's definition (its key masked), its recent runs (the trace judged, the
score, the judge call's own trace, what it cost, the error) and evaluation cost today and over 7 days beside
the application's.

It reads what ``GET /api/v1/evaluators`` and ``GET /api/v1/costs`` read (:mod:`tokentrail.evaluators.manage`,
:mod:`tokentrail.store.evaluators`), so the page and the JSON never disagree.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tokentrail.evaluators.manage import evaluator_json, list_evaluators
from tokentrail.params import project_of
from tokentrail.store import evaluators as stored
from tokentrail.ui.routes import page, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_DAY_NS = 86_400 * 10**9
#: The windows evaluation cost is shown over, by label and length in days.
WINDOWS = (("today (UTC)", 0), ("last 7 days", 7))


@router.get("/evaluators", name="evaluators_page")
@page
async def evaluators_page(request: Request) -> Response:
    store = request.app.state.store
    project = project_of(request, request.query_params.get("project") or None)

    def read() -> dict[str, Any]:
        now = time.time_ns()
        today = now - now % _DAY_NS
        spend = [
            (label, stored.spend_by_service(store, project, now - days * _DAY_NS if days else today))
            for label, days in WINDOWS
        ]
        return {
            "evaluators": [evaluator_json(evaluator) for evaluator in list_evaluators(store, project)],
            "runs": stored.run_rows(store, project, limit=50),
            "spend": spend,
        }

    return render(request, "evaluators.html", await run_in_threadpool(read))
