"""``/api/v1/explain``: why the cost of one set of traces differs from another's, split into additive
parts; ``/api/v1/explain/traces``: the traces behind one driver of a part."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from tokentrail.analysis.cost_change import CellKey
from tokentrail.analysis.explain import COMPARED_FIELDS, Comparison, comparison, driver_traces, explain
from tokentrail.documents.explain import driver_traces_json, explanation_json
from tokentrail.params import End, Limit, Project, Start, Time, project_of, to_ns

__all__ = ["router"]

router = APIRouter(tags=["costs"])

_Text = Annotated[str | None, Query(max_length=1000)]


def compared(
    start: Start = None,
    end: End = None,
    vs_start: Annotated[Time | None, Query(description="Start of the window compared against")] = None,
    vs_end: Annotated[Time | None, Query(description="End of the window compared against")] = None,
    name: _Text = None,
    service: _Text = None,
    model: _Text = None,
    user: _Text = None,
    session: _Text = None,
    tag: _Text = None,
    version: Annotated[str | None, Query(max_length=1000, description="A release: service.version")] = None,
    attribute: Annotated[
        str | None,
        Query(max_length=1000, description="name=value of an attribute on any span, e.g. http.route=/chat"),
    ] = None,
    compare: Annotated[
        str | None, Query(description=f"Compare two values of one field: {', '.join(COMPARED_FIELDS)}")
    ] = None,
    old_value: _Text = None,
    new_value: _Text = None,
    old_trace: Annotated[
        str | None, Query(max_length=200, description="Compare two traces: the old one")
    ] = None,
    new_trace: Annotated[
        str | None, Query(max_length=200, description="Compare two traces: the new one")
    ] = None,
) -> Comparison:
    """The two sets of traces a request compares (see :func:`tokentrail.analysis.explain.comparison`)."""
    return comparison(
        start_ns=to_ns(start),
        end_ns=to_ns(end),
        vs_start_ns=to_ns(vs_start),
        vs_end_ns=to_ns(vs_end),
        filters={
            "name": name,
            "service": service,
            "model": model,
            "user": user,
            "session": session,
            "tag": tag,
            "version": version,
            "attribute": attribute,
        },
        compare=compare,
        old_value=old_value,
        new_value=new_value,
        old_trace=old_trace,
        new_trace=new_trace,
    )


@router.get("/explain", summary="Why the cost changed: the change split into additive parts")
async def get_explain(
    request: Request,
    chosen: Annotated[Comparison, Depends(compared)],
    project: Project = None,
    drivers: Annotated[int, Query(ge=0, le=100, description="Drivers listed per part")] = 10,
) -> dict[str, Any]:
    """The change in total cost from the old set of traces to the new one (by default the last 7 days
    against the 7 before), split into volume, mix, calls per trace, model choice, tokens per call, cache
    hit rate, reasoning, other usage, retries, tools and prices. The parts sum exactly to the change;
    each lists the cells (trace name, span name, model) that drive it, largest first."""
    answer = await run_in_threadpool(explain, request.app.state.store, project_of(request, project), chosen)
    return explanation_json(answer, drivers)


@router.get("/explain/traces", summary="The traces behind one driver of a cost change")
async def get_explain_traces(
    request: Request,
    chosen: Annotated[Comparison, Depends(compared)],
    group: Annotated[str, Query(max_length=1000, description="The driver's trace name")],
    span_name: Annotated[str, Query(max_length=1000, description="The driver's span name")],
    span_kind: Annotated[str, Query(max_length=100, description="The driver's span kind")],
    span_model: Annotated[str, Query(max_length=1000, description="The driver's model")] = "",
    failed: Annotated[bool, Query(description="Whether the driver's calls failed")] = False,
    project: Project = None,
    limit: Annotated[Limit, Query(description="Traces listed per set")] = 20,
) -> dict[str, Any]:
    """The traces of each set with spans of the driver's cell, costliest in it first, with their calls,
    usage and cost there."""
    cell = CellKey(group, span_name, span_kind, span_model, failed)
    traces = await run_in_threadpool(
        driver_traces, request.app.state.store, project_of(request, project), chosen, cell, limit
    )
    return driver_traces_json(traces)
