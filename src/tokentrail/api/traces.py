"""``/api/v1/traces``: trace lists, single trace trees, one span of a tree, and where a trace blew up."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from tokentrail.analysis import outline as outlines
from tokentrail.analysis.blowup import MAX_BASELINE_DAYS, read_blowup
from tokentrail.analysis.traces import read_tree
from tokentrail.documents.blowup import blowup_json
from tokentrail.documents.outline import children_json, search_json
from tokentrail.documents.traces import span_json, trace_list, tree_json
from tokentrail.params import DurationMs, End, Limit, Money, Project, Start, project_of, to_ns
from tokentrail.store import traces as stored_traces
from tokentrail.store.sql import TraceFilter
from tokentrail.store.trace_scores import ScoreCondition

__all__ = ["router"]

router = APIRouter(tags=["traces"])


@router.get("/traces", summary="List traces")
async def list_traces(
    request: Request,
    project: Project = None,
    start: Start = None,
    end: End = None,
    name: Annotated[str | None, Query(description="Part of the trace name (case-insensitive)")] = None,
    session_id: str | None = None,
    user_id: str | None = None,
    model: Annotated[str | None, Query(description="A model any span of the trace used")] = None,
    service: Annotated[str | None, Query(description="A service any span of the trace ran in")] = None,
    has_error: Annotated[
        bool | None, Query(description="true: only failing traces; false: only clean")
    ] = None,
    min_cost: Annotated[Money | None, Query(description="Minimum total cost in USD, e.g. 0.01")] = None,
    min_duration_ms: Annotated[DurationMs | None, Query(description="Minimum duration")] = None,
    tag: Annotated[str | None, Query(description="A tag on any span of the trace")] = None,
    q: Annotated[
        str | None, Query(description="Text in any span's name, input or output (case-insensitive)")
    ] = None,
    score: Annotated[
        list[str] | None,
        Query(description="A condition on a score, e.g. helpful>=0.8 or tone=polite; repeatable, all met"),
    ] = None,
    sort: Annotated[str, Query(description="time, cost, duration, or score:<name>")] = "time",
    order: Literal["desc", "asc"] = "desc",
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    """Traces with duration, span count, tokens, cost and error count; paged with ``next_cursor``."""
    where = TraceFilter(
        start_ns=to_ns(start),
        end_ns=to_ns(end),
        name=name,
        session_id=session_id,
        user_id=user_id,
        model=model,
        service=service,
        has_error=has_error,
        min_cost=min_cost,
        min_duration_ns=None if min_duration_ms is None else int(min_duration_ms * 1_000_000),
        tag=tag,
        q=q,
        scores=tuple(ScoreCondition.parse(condition) for condition in score or ()),
    )
    page = await run_in_threadpool(
        stored_traces.traces,
        request.app.state.store,
        project_of(request, project),
        where,
        sort=sort,
        descending=order == "desc",
        limit=limit,
        cursor=cursor,
    )
    return trace_list(page)


@router.get("/traces/{trace_id}", summary="One trace as a tree")
async def get_trace(
    request: Request,
    trace_id: str,
    project: Project = None,
    payloads: Annotated[
        bool, Query(description="false: spans without input, output, attributes, resource, events, metadata")
    ] = True,
) -> dict[str, Any]:
    """The trace's spans depth-first, children by start time, each with self and subtree rollups."""
    tree = await run_in_threadpool(
        read_tree, request.app.state.store, project_of(request, project), trace_id, payloads=payloads
    )
    return tree_json(tree, payloads=payloads)


@router.get("/traces/{trace_id}/spans/{span_id}", summary="One span of a trace, with its payloads")
async def get_span(request: Request, trace_id: str, span_id: str, project: Project = None) -> dict[str, Any]:
    """One node of the trace's tree, as ``GET /traces/{trace_id}`` shows it, payloads included."""
    store, name = request.app.state.store, project_of(request, project)
    outline = await run_in_threadpool(outlines.read_outline, store, name, trace_id)
    return span_json(await run_in_threadpool(outlines.span_of, store, name, outline, span_id))


@router.get("/traces/{trace_id}/children", summary="A page of one span's children, as rows")
async def get_children(
    request: Request,
    trace_id: str,
    parent: Annotated[
        str | None, Query(description="The span whose children to list (default: the trace's roots)")
    ] = None,
    offset: Annotated[int, Query(ge=0, description="How many children to skip (by start time)")] = 0,
    limit: Limit = 100,
    project: Project = None,
) -> dict[str, Any]:
    """Children of one span by start time, each a row with its subtree's span count, cost, duration and
    errors: how a very large trace's tree is expanded a level and a page at a time."""
    store, name = request.app.state.store, project_of(request, project)
    outline = await run_in_threadpool(outlines.read_outline, store, name, trace_id)
    nodes, total = outlines.children(outline, parent, offset, limit)
    return children_json(outline, parent and parent.lower(), nodes, offset, total)


@router.get("/traces/{trace_id}/search", summary="Spans of a trace matching a text")
async def search_trace(
    request: Request,
    trace_id: str,
    q: Annotated[
        str, Query(min_length=1, max_length=200, description="Text in a span's name, service, model or error")
    ],
    limit: Limit = 100,
    project: Project = None,
) -> dict[str, Any]:
    """Matching spans depth first (a span id matches its span), each a row with the way down to it from
    its root (every ancestor's id and place among its siblings), and how many match in all."""
    store, name = request.app.state.store, project_of(request, project)
    outline = await run_in_threadpool(outlines.read_outline, store, name, trace_id)
    matches, total = outlines.search(outline, q, limit)
    return search_json(outline, q, matches, total)


@router.get("/traces/{trace_id}/blowup", summary="Where a trace blew up: its failure's cost, its slow spans")
async def get_blowup(
    request: Request,
    trace_id: str,
    project: Project = None,
    baseline_days: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_BASELINE_DAYS,
            description="Days before the trace's start whose spans are the baseline (default: the "
            "server's TOKENTRAIL_SLOW_BASELINE_DAYS, 7)",
        ),
    ] = None,
) -> dict[str, Any]:
    """The span where the trace's failure started, the path it went up and its cost in parts (retried,
    failed, thrown away, kept: they add up to the trace's cost); and each span of the critical path beside
    the p50 and p95 of spans of its name and service in the baseline window, slow when over the p95."""
    store, name = request.app.state.store, project_of(request, project)
    days = baseline_days or request.app.state.settings.slow_baseline_days
    outline = await run_in_threadpool(outlines.read_outline, store, name, trace_id)
    blowup = await run_in_threadpool(read_blowup, store, name, outline.tree, days, outline.retries)
    return blowup_json(blowup)
