"""The explainer's pages: ``/explain`` (why the cost changed: a waterfall from the old total to the new,
each part with its drivers) and ``/explain/traces`` (the traces behind one driver, in both sets).

Read as the API reads them (:mod:`tokentrail.analysis.explain`, :mod:`tokentrail.documents.explain`),
with the same parameters, so a page's link and the API's answer agree."""

from __future__ import annotations

import time
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams

from tokentrail.analysis.cost_change import FACTORS, CellKey
from tokentrail.analysis.explain import COMPARED_FIELDS, Comparison, comparison, driver_traces, explain
from tokentrail.documents.explain import driver_traces_json, explanation_json
from tokentrail.errors import BadRequest
from tokentrail.params import to_ns
from tokentrail.ui import charts, views
from tokentrail.ui.ranges import moment
from tokentrail.ui.routes import page, reading, render

__all__ = ["RANGES", "router"]

router = APIRouter(include_in_schema=False)

#: The new window's presets, back from now; the old window is as long, just before it.
RANGES = {"24h": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}
_DEFAULT_RANGE = "7d"
#: The cell of a driver, as the traces page's parameters name it.
_CELL_PARAMS = ("group", "span_name", "span_kind", "span_model", "failed")


def _comparison(params: QueryParams) -> tuple[Comparison, str]:
    """The sets the URL compares, and the range preset it chose ("custom" for explicit times)."""
    range_name = params.get("range") or _DEFAULT_RANGE
    start, end = moment(params, "start"), moment(params, "end")
    if start or end:
        range_name = "custom"
    elif range_name not in RANGES:
        raise BadRequest(
            f"range must be one of {', '.join(RANGES)} or a custom start/end, got {range_name!r}"
        )
    now = time.time_ns()
    end_ns = to_ns(end) if end else now
    start_ns = to_ns(start) if start else end_ns - RANGES[range_name] // timedelta(microseconds=1) * 1000
    chosen = comparison(
        start_ns=start_ns,
        end_ns=end_ns,
        vs_start_ns=to_ns(moment(params, "vs_start")),
        vs_end_ns=to_ns(moment(params, "vs_end")),
        filters={name: params.get(name) for name in COMPARED_FIELDS},
        compare=params.get("compare") or None,
        old_value=params.get("old_value") or None,
        new_value=params.get("new_value") or None,
        old_trace=params.get("old_trace") or None,
        new_trace=params.get("new_trace") or None,
    )
    return chosen, range_name


@router.get("/explain", name="explain_page")
@page
async def explain_page(request: Request) -> Response:
    params = request.query_params
    chosen, range_name = _comparison(params)
    store, project = reading(request)
    body = explanation_json(await run_in_threadpool(explain, store, project, chosen))
    query = views.Query(params)
    for part in body["parts"]:
        for driver in part["drivers"]:
            driver["href"] = "/explain/traces" + query.with_(
                group=driver["group"],
                span_name=driver["name"],
                span_kind=driver["kind"],
                span_model=driver["model"],
                failed="true" if driver["failed"] else None,
            )
    return render(
        request,
        "explain.html",
        {
            "body": body,
            "moved": [part for part in body["parts"] if part["amount"] != "0"],
            "chart": charts.waterfall(body),
            "query": query,
            "ranges": list(RANGES),
            "range_name": range_name,
            "fields": list(COMPARED_FIELDS),
            "factors": FACTORS,
        },
    )


@router.get("/explain/traces", name="explain_traces_page")
@page
async def explain_traces_page(request: Request) -> Response:
    params = request.query_params
    chosen, _ = _comparison(params)
    missing = [name for name in _CELL_PARAMS[:3] if not params.get(name)]
    if missing:
        raise BadRequest(f"{', '.join(missing)} name the driver whose traces are listed")
    cell = CellKey(
        params["group"],
        params["span_name"],
        params["span_kind"],
        params.get("span_model", ""),
        params.get("failed") == "true",
    )
    store, project = reading(request)
    traces = driver_traces_json(await run_in_threadpool(driver_traces, store, project, chosen, cell, 20))
    back = views.Query(params).with_(**dict.fromkeys(_CELL_PARAMS))
    return render(request, "explain_traces.html", {"cell": cell, "traces": traces, "back": "/explain" + back})
