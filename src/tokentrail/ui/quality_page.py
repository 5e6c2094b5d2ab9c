"""The quality-per-dollar page, ``/quality``: one score against cost per trace, per trace name, model,
prompt version, experiment or service, as a scatter with the Pareto frontier and as a table, and the
cheaper groups as good as the best said in words.

Read as ``/api/v1/quality`` reads it (:func:`tokentrail.store.quality.read_quality`, shaped by
:func:`tokentrail.documents.quality.quality_json`), so the page and the API agree."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tokentrail.analysis.quality import GROUPINGS, SHARE_TYPES
from tokentrail.documents.quality import quality_json
from tokentrail.errors import BadRequest
from tokentrail.params import to_ns
from tokentrail.store.quality import read_quality, score_names
from tokentrail.store.sql import TraceFilter
from tokentrail.ui import ranges, views
from tokentrail.ui.routes import page, reading, render
from tokentrail.ui.scatter import quality_scatter

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: What the grouping picker calls each grouping.
GROUPING_LABELS = {
    "name": "trace name",
    "model": "model",
    "prompt": "prompt version",
    "experiment": "experiment",
    "service": "service",
}
_DEFAULT_BY = "model"
#: The trace list's filters the page narrows the traces by, as /api/v1/quality does.
FILTERS = ("name", "service", "model", "user", "session", "tag")


@router.get("/quality", name="quality_page")
@page
async def quality_page(request: Request) -> Response:
    params = request.query_params
    when = ranges.TimeRange(request)
    by = params.get("by") or _DEFAULT_BY
    if by not in GROUPINGS:
        raise BadRequest(f"by must be one of {', '.join(GROUPINGS)}, got {by!r}")
    store, project = reading(request)
    names = await run_in_threadpool(score_names, store, project)
    score = params.get("score") or (names[0] if names else "")
    query = views.Query(params)
    context = {
        "query": query,
        "range": when,
        "ranges": list(ranges.RANGES),
        "names": names,
        "score": score,
        "by": by,
        "groupings": GROUPING_LABELS,
        # What the range picker and the score picker carry over.
        "keep": ["project", "score", "by", "category", *FILTERS],
        "score_form_keeps": query.hidden("project", "by", "range", "start", "end", *FILTERS),
        "body": None,
    }
    if score:
        where = TraceFilter(
            start_ns=to_ns(when.start),
            end_ns=to_ns(when.end),
            name=params.get("name") or None,
            service=params.get("service") or None,
            model=params.get("model") or None,
            user_id=params.get("user") or None,
            session_id=params.get("session") or None,
            tag=params.get("tag") or None,
        )
        view, labels, categories = await run_in_threadpool(
            read_quality, store, project, score, by, where, params.get("category", "")
        )
        body = quality_json(view, labels)
        context.update(
            body=body,
            categories=categories,
            share=body["data_type"] in SHARE_TYPES,
            chart=quality_scatter(body, query),
        )
    return render(request, "quality.html", context)
