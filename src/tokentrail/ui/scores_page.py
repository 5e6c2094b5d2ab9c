"""The scores page, ``/scores``: each score's distribution over the chosen range, as
``/api/v1/scores/summary`` reads it (:func:`tokentrail.analysis.score_summary.score_summaries`), with a
chart over time, a numeric score's histogram, counts per source and evaluator, and links to the traces
scored with it."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tokentrail.analysis.score_summary import score_summaries
from tokentrail.documents.score_summary import score_summary_json
from tokentrail.params import to_ns
from tokentrail.store.score_summary import first_score_ns
from tokentrail.ui import ranges, score_charts, views
from tokentrail.ui.routes import page, reading, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Buckets a score's series is drawn in.
BUCKETS = 24
#: Units a bucket's width is said in, largest first.
_UNITS = (("week", 7 * 86_400), ("day", 86_400), ("hour", 3_600), ("minute", 60))


def width_text(seconds: int) -> str:
    """``1 hour``, ``3 hours``, ``15 minutes``: a bucket's width in its largest whole unit."""
    unit, size = next((unit, size) for unit, size in _UNITS if seconds % size == 0)
    count = seconds // size
    return f"{count} {unit}{'' if count == 1 else 's'}"


@router.get("/scores", name="scores_page")
@page
async def scores_page(request: Request) -> Response:
    when = ranges.TimeRange(request)
    store, project = reading(request)
    start_ns = to_ns(when.start)
    back = ranges.RANGES.get(when.name)
    # A preset range is exactly as long as it says (now, read again, would be a little later).
    end_ns = to_ns(when.end or (when.start + back if when.start and back else None)) or time.time_ns()
    if start_ns is None:  # all time: from the first score given
        first = await run_in_threadpool(first_score_ns, store, project)
        start_ns = min(first, end_ns - 1) if first is not None else end_ns - 86_400 * 10**9
    width_s, summaries = await run_in_threadpool(score_summaries, store, project, start_ns, end_ns, BUCKETS)
    body = score_summary_json(start_ns, end_ns, width_s, summaries)
    query = views.Query(request.query_params)
    scores = [
        {
            **summary,
            "chart": score_charts.series(summary, query),
            "histogram_chart": score_charts.histogram(summary, query) if summary.get("histogram") else None,
            "traces_href": "/traces" + query.with_(score=summary["name"]),
        }
        for summary in body["scores"]
    ]
    return render(
        request,
        "scores.html",
        {
            "body": body,
            "bucket": width_text(width_s),
            "scores": scores,
            "query": query,
            "range": when,
            "ranges": list(ranges.RANGES),
        },
    )
