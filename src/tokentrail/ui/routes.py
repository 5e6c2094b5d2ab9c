"""The pages: each reads what it shows as the REST API does (the same store reads and analysis, shaped
into the same documents by :mod:`tokentrail.documents`), then renders a template.

No SQL here and no totals computed: the numbers are the API's, so a page and its JSON never disagree.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams

from tokentrail.analysis.costs import cost_groups, cost_over_time
from tokentrail.analysis.failures import failure_groups
from tokentrail.analysis.outline import first_rows, read_outline, span_of
from tokentrail.analysis.sessions import read_session
from tokentrail.documents.costs import cost_groups_json, cost_series_json, unpriced_json
from tokentrail.documents.errors import status_of
from tokentrail.documents.failures import failures_json
from tokentrail.documents.outline import outline_json
from tokentrail.documents.sessions import session_json, session_list
from tokentrail.documents.traces import node_json, span_json, trace_list, tree_json
from tokentrail.errors import BadRequest, TokentrailError
from tokentrail.params import DurationMs, Money, checked, project_of, to_ns
from tokentrail.store import sessions as stored_sessions
from tokentrail.store import traces as stored_traces
from tokentrail.store.costs import unpriced
from tokentrail.store.database import Store
from tokentrail.store.evaluators import spend_by_service
from tokentrail.store.sql import InvalidQuery, TraceFilter
from tokentrail.ui import charts, format, prompt_views, ranges, score_views, views
from tokentrail.ui.blowup_views import blowup_section
from tokentrail.ui.nav import nav_items
from tokentrail.ui.session import session_context

__all__ = ["STATIC_DIR", "router"]

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
format.install(templates.env)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
TRACE_FILTERS = ("name", "service", "session", "user", "model", "tag", "q", "min_cost", "min_duration_ms")

P = ParamSpec("P")


def page(handler: Callable[P, Awaitable[Response]]) -> Callable[P, Awaitable[Response]]:
    """A page that answers an error (a bad filter or cursor, an unknown trace) with the error, as HTML."""

    @wraps(handler)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        try:
            return await handler(*args, **kwargs)
        except (TokentrailError, InvalidQuery) as exc:
            request = kwargs.get("request") or args[0]
            assert isinstance(request, Request)
            return render(request, "error.html", {"message": str(exc)}, status_code=status_of(exc))

    return wrapper


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    project = request.query_params.get("project") or getattr(request.state.principal, "project", None)
    base = {"project": project, "nav": nav_items(request, project), "path": request.url.path}
    base.update(session_context(request))
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


@router.get("/")
async def home(request: Request) -> Response:
    return RedirectResponse(request.url_for("traces_page").include_query_params(**request.query_params))


def reading(request: Request) -> tuple[Store, str]:
    """The store and the project a page reads (the server's default unless the URL names one)."""
    return request.app.state.store, project_of(request, request.query_params.get("project") or None)


@router.get("/traces", name="traces_page")
@page
async def traces_page(request: Request) -> Response:
    params = request.query_params
    when = ranges.TimeRange(request)
    filters = {key: params.get(key, "") for key in TRACE_FILTERS}
    errors_only = params.get("errors") == "1"
    sort = params.get("sort") or "time"
    min_cost = _number(params, "min_cost", Money)
    min_duration_ms = _number(params, "min_duration_ms", DurationMs)
    where = TraceFilter(
        start_ns=to_ns(when.start),
        end_ns=to_ns(when.end),
        name=filters["name"] or None,
        session_id=filters["session"] or None,
        user_id=filters["user"] or None,
        model=filters["model"] or None,
        service=filters["service"] or None,
        tag=filters["tag"] or None,
        q=filters["q"] or None,
        has_error=True if errors_only else None,
        min_cost=min_cost,
        min_duration_ns=None if min_duration_ms is None else int(min_duration_ms * 1_000_000),
        scores=score_views.score_conditions(params),
    )
    store, project = reading(request)
    listed = trace_list(
        await run_in_threadpool(
            stored_traces.traces,
            store,
            project,
            where,
            sort=sort,
            limit=PAGE_SIZE,
            cursor=params.get("cursor") or None,
        )
    )
    filtered = any(filters.values()) or errors_only or bool(where.scores)
    anything = bool(listed["traces"]) or await _has_traces(store, project)
    return render(
        request,
        "traces.html",
        {
            "traces": listed["traces"],
            "next_cursor": listed["next_cursor"],
            "range": when,
            "ranges": list(ranges.RANGES),
            "filters": filters,
            "errors_only": errors_only,
            "sort": sort,
            "filtered": filtered,
            "empty_store": not anything,
            "endpoint": views.otlp_endpoint(request),
            "query": views.Query(params),
        },
    )


async def _has_traces(store: Store, project: str) -> bool:
    any_trace = await run_in_threadpool(stored_traces.traces, store, project, TraceFilter(), limit=1)
    return bool(any_trace.items)


@router.get("/traces/{trace_id}", name="trace_page")
@page
async def trace_page(request: Request, trace_id: str) -> Response:
    store, project = reading(request)
    # One tree for the page and the selected span's place in it (kept for the requests that follow).
    outline = await run_in_threadpool(read_outline, store, project, trace_id)
    selected_id = request.query_params.get("span") or outline.tree.roots[0].span_id
    selected = span_json(await run_in_threadpool(span_of, store, project, outline, selected_id))
    context: dict[str, Any]
    if outline.span_count > views.LARGE_TRACE_SPANS:
        rows = first_rows(outline, budget=views.FIRST_ROWS, page=views.CHILDREN_PAGE)
        shown = outline_json(outline, rows)
        # Its "where it blew up" section (a read of the week before the trace) loads after the page.
        context = {"large": views.large_tree(shown), "hop_count": shown["hop_count"], "blowup": None}
    else:
        shown = tree_json(outline.tree, outline.retries, payloads=False)
        blowup = await blowup_section(request, store, project, outline)
        context = {"rows": views.tree_rows(shown), "hop_count": len(shown["hops"]), "blowup": blowup}
    return render(
        request,
        "trace.html",
        {
            "trace": shown,
            "root": node_json(outline.tree.roots[0], payloads=False),
            "services": views.service_legend(shown),
            "span": views.span_detail(selected),
            "selected": selected_id,
            "prompt": await prompt_views.trace_prompt(store, project, trace_id),
            **await score_views.trace_scores(store, project, trace_id, selected_id),
            **context,
        },
    )


@router.get("/traces/{trace_id}/spans/{span_id}", name="span_panel")
@page
async def span_panel(request: Request, trace_id: str, span_id: str) -> Response:
    """The detail panel of one span, swapped into the trace page when a span is selected."""
    store, project = reading(request)
    outline = await run_in_threadpool(read_outline, store, project, trace_id)
    span = span_json(await run_in_threadpool(span_of, store, project, outline, span_id))
    scores = await score_views.span_scores(store, project, trace_id, span_id)
    return render(request, "span_panel.html", {"span": views.span_detail(span), "span_scores": scores})


@router.get("/traces/{trace_id}/blowup", name="blowup_panel")
@page
async def blowup_panel(request: Request, trace_id: str) -> Response:
    """A large trace's "where it blew up" section, for its page's script to put in place."""
    store, project = reading(request)
    outline = await run_in_threadpool(read_outline, store, project, trace_id)
    blowup = await blowup_section(request, store, project, outline)
    return render(request, "_blowup.html", {"blowup": blowup})


@router.get("/sessions", name="sessions_page")
@page
async def sessions_page(request: Request) -> Response:
    params = request.query_params
    when = ranges.TimeRange(request)
    sort = params.get("sort") or "time"
    store, project = reading(request)
    listed = session_list(
        await run_in_threadpool(
            stored_sessions.sessions,
            store,
            project,
            start_ns=to_ns(when.start),
            end_ns=to_ns(when.end),
            user_id=params.get("user") or None,
            sort=_choice("sort", sort, ("time", "cost")),
            limit=PAGE_SIZE,
            cursor=params.get("cursor") or None,
        )
    )
    return render(
        request,
        "sessions.html",
        {
            "sessions": listed["sessions"],
            "next_cursor": listed["next_cursor"],
            "range": when,
            "ranges": list(ranges.RANGES),
            "sort": sort,
            "user": params.get("user", ""),
            "query": views.Query(params),
        },
    )


@router.get("/sessions/{session_id}", name="session_page")
@page
async def session_page(request: Request, session_id: str) -> Response:
    store, project = reading(request)
    session = session_json(await run_in_threadpool(read_session, store, project, session_id))
    return render(
        request,
        "session.html",
        {
            "session": session,
            "turns": [views.turn(trace) for trace in session["traces"]],
            "prompt": await prompt_views.session_prompt(store, project, session_id),
            "session_scores": await score_views.session_scores(store, project, session_id),
        },
    )


@router.get("/costs", name="costs_page")
@page
async def costs_page(request: Request) -> Response:
    params = request.query_params
    when = ranges.TimeRange(request)
    group_by = _choice("group_by", params.get("group_by") or "model", charts.STACKS)
    end = when.end or datetime.now(UTC)
    start = when.start or end - timedelta(days=30)
    store, project = reading(request)
    window = when.window
    # The chart, the total, the top traces and the unpriced callout come with the page; the slower
    # panels (each a read of every span in the range) load after it, so the page never waits on them.
    series, top_traces, unpriced_report, spend = await asyncio.gather(
        run_in_threadpool(
            cost_over_time, store, project, group_by, to_ns(start), to_ns(end), buckets=30, top=CHART_GROUPS
        ),
        run_in_threadpool(
            stored_traces.traces,
            store,
            project,
            TraceFilter(start_ns=window.start_ns, end_ns=window.end_ns),
            sort="cost",
            limit=10,
        ),
        run_in_threadpool(unpriced, store, project, window),
        run_in_threadpool(spend_by_service, store, project, to_ns(start), to_ns(end)),
    )
    chart = cost_series_json(series, group_by)
    return render(
        request,
        "costs.html",
        {
            "range": when,
            "ranges": list(ranges.RANGES),
            "group_by": group_by,
            "stacks": charts.STACKS,
            "chart": charts.stacked_bars(chart, views.Query(params)),
            "total": chart["total"],
            "evaluation_cost": spend["evaluation"],
            "top_traces": trace_list(top_traces)["traces"],
            "unpriced": unpriced_json(unpriced_report),
            "query": views.Query(params),
            "panel_query": "?" + str(params) if params else "",
        },
    )


#: How many groups the costs page's chart names (the rest are stacked as one).
CHART_GROUPS = 8
COSTS_PANELS = ("kinds", "sessions", "users", "prompts")


@router.get("/costs/panels/{panel}", name="costs_panel")
@page
async def costs_panel(request: Request, panel: str) -> Response:
    """One of the costs page's slower panels, for the page's script to put in place (same filters)."""
    _choice("panel", panel, COSTS_PANELS)
    params = request.query_params
    when = ranges.TimeRange(request)
    store, project = reading(request)
    window = when.window
    context: dict[str, Any] = {"panel": panel, "query": views.Query(params)}
    if panel == "kinds":
        kinds = await run_in_threadpool(cost_groups, store, project, "kind", window)
        context["kinds"] = cost_groups_json(kinds, "kind")
    elif panel == "sessions":
        top = await run_in_threadpool(
            stored_sessions.sessions,
            store,
            project,
            start_ns=window.start_ns,
            end_ns=window.end_ns,
            sort="cost",
            limit=10,
        )
        context["top_sessions"] = session_list(top)["sessions"]
    elif panel == "prompts":
        context["prompt"] = await prompt_views.window_prompt(store, project, window)
    else:
        users = cost_groups_json(await run_in_threadpool(cost_groups, store, project, "user", window), "user")
        context["top_users"] = [group for group in users["groups"] if group["key"]][:10]
    return render(request, "costs_panel.html", context)


@router.get("/errors", name="errors_page")
@page
async def errors_page(request: Request) -> Response:
    when = ranges.TimeRange(request)
    store, project = reading(request)
    groups = await run_in_threadpool(failure_groups, store, project, when.window)
    return render(
        request,
        "errors.html",
        {
            "report": failures_json(groups, ERROR_GROUPS),
            "range": when,
            "ranges": list(ranges.RANGES),
            "query": views.Query(request.query_params),
        },
    )


@router.get("/forwarding", name="forwarding_page")
@page
async def forwarding_page(request: Request) -> Response:
    """Each forwarding destination's backlog, counts and last error (the API's ``/api/v1/forwarding``)."""
    statuses = [exporter.status() for exporter in request.app.state.forwarding]
    return render(request, "forwarding.html", {"destinations": statuses})


#: How many failure groups the errors page lists.
ERROR_GROUPS = 100


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _number(params: QueryParams, name: str, kind: object) -> Any:
    """A number filter, held to the rules of the API parameter of type ``kind``; None when left empty."""
    text = params.get(name)
    return checked(kind, name, text) if text else None
