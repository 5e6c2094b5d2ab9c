"""``/api/v1/traces``: trace lists, single trace trees and one span of a tree."""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from tokentrail.analysis.retries import RETRY_ATTRIBUTES, retries_in_tree
from tokentrail.analysis.tree import TraceTree, build_tree, critical_path
from tokentrail.api.params import DurationMs, End, Limit, Money, Project, Start, project_of, to_ns
from tokentrail.api.views import node_json, trace_row, tree_json
from tokentrail.errors import BadRequest, NotFound
from tokentrail.semconv.emitters import INCOMPLETE_USAGE
from tokentrail.store import traces as stored_traces
from tokentrail.store.sql import TraceFilter

__all__ = ["router"]

router = APIRouter(tags=["traces"])
_TRACE_ID = re.compile(r"[0-9a-f]{32}")


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
    sort: Literal["time", "cost", "duration"] = "time",
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
    return {"traces": [trace_row(row) for row in page.items], "next_cursor": page.next_cursor}


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
    tree = await _tree(request, trace_id, project, payloads=payloads)
    return tree_json(tree, payloads=payloads)


@router.get("/traces/{trace_id}/spans/{span_id}", summary="One span of a trace, with its payloads")
async def get_span(request: Request, trace_id: str, span_id: str, project: Project = None) -> dict[str, Any]:
    """One node of the trace's tree, as ``GET /traces/{trace_id}`` shows it, payloads included."""
    tree = await _tree(request, trace_id, project, payloads=False)
    node = tree.nodes.get(span_id.lower())
    if node is None:
        raise NotFound(f"trace {tree.trace_id} has no span {span_id}")
    payload = await run_in_threadpool(
        stored_traces.span_payloads,
        request.app.state.store,
        project_of(request, project),
        tree.trace_id,
        node.span_id,
    )
    if payload is None:  # deleted between the two reads
        raise NotFound(f"trace {tree.trace_id} has no span {span_id}")
    # A copy: the tree may be shared with the rest of this request (see _tree), which reads it bare.
    detailed = dataclasses.replace(node, span={**node.span, **payload})
    retried = retries_in_tree(tree).attempts.get(node.span_id)
    return node_json(detailed, retried, critical=node.span_id in critical_path(tree))


async def _tree(request: Request, trace_id: str, project: str | None, *, payloads: bool) -> TraceTree:
    trace_id = trace_id.lower()
    if not _TRACE_ID.fullmatch(trace_id):
        raise BadRequest(f"trace id must be 32 hex characters, got {trace_id!r}")
    # One request reading a trace twice (a page showing the tree and a span's detail) builds it once:
    # a 2,000-span tree costs tens of milliseconds to read and roll up.
    trees: dict[tuple[str, str, bool], TraceTree] = request.scope.setdefault("tokentrail.trees", {})
    key = (project_of(request, project), trace_id, payloads)
    if key not in trees:
        trees[key] = await _read_tree(request, trace_id, key[0], payloads=payloads)
    return trees[key]


async def _read_tree(request: Request, trace_id: str, project: str, *, payloads: bool) -> TraceTree:
    spans = await run_in_threadpool(
        stored_traces.trace_spans,
        request.app.state.store,
        project,
        trace_id,
        payloads=payloads,
        kept_attributes=_KEPT_ATTRIBUTE_NAMES,
    )
    if not spans:
        raise NotFound(f"no trace {trace_id}")
    return build_tree(trace_id, spans)


# What a tree without payloads still reads of the attributes: what marks a retry, and usage known to be
# incomplete.
_KEPT_ATTRIBUTE_NAMES = (*(attribute.name for attribute in RETRY_ATTRIBUTES), INCOMPLETE_USAGE)
