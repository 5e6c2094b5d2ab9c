"""The pages: each reads what it shows through the REST API's own functions, then renders a template.

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
from starlette.datastructures import QueryParams

from tokentrail.api import costs as costs_api
from tokentrail.api import errors as errors_api
from tokentrail.api import sessions as sessions_api
from tokentrail.api import traces as traces_api
from tokentrail.api.params import DurationMs, Money, Time, checked
from tokentrail.errors import BadRequest, TokentrailError
from tokentrail.store.sql import InvalidQuery
from tokentrail.ui import charts, format, messages, views

__all__ = ["STATIC_DIR", "router"]

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
format.install(templates.env)

router = APIRouter(include_in_schema=False)

#: The time ranges the picker offers: name -> how far back from now (None: no start).
RANGES: dict[str, timedelta | None] = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "all": None,
}
DEFAULT_RANGE = "24h"
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
            status = exc.status_code if isinstance(exc, TokentrailError) else BadRequest.status_code
            return render(request, "error.html", {"message": str(exc)}, status_code=status)

    return wrapper


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    project = request.query_params.get("project") or None
    base = {"project": project, "nav": _nav(request, project), "path": request.url.path}
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


def _nav(request: Request, project: str | None) -> list[dict[str, Any]]:
    suffix = f"?project={project}" if project else ""
    items = [("Traces", "/traces"), ("Sessions", "/sessions"), ("Costs", "/costs"), ("Errors", "/errors")]
    return [
        {"label": label, "href": href + suffix, "current": request.url.path.startswith(href)}
        for label, href in items
    ]


class TimeRange:
    """The picker's choice, from ``range`` (or ``start``/``end`` for a custom one) in the URL."""

    def __init__(self, request: Request) -> None:
        params = request.query_params
        self.name = params.get("range") or DEFAULT_RANGE
        self.start: datetime | None = None
        self.end: datetime | None = None
        if params.get("start") or params.get("end"):
            self.name = "custom"
            self.start, self.end = _moment(params, "start"), _moment(params, "end")
        elif self.name not in RANGES:
            raise BadRequest(
                f"range must be one of {', '.join(RANGES)} or a custom start/end, got {self.name!r}"
            )
        elif (back := RANGES[self.name]) is not None:
            self.start = datetime.now(UTC) - back

    @property
    def fields(self) -> dict[str, str]:
        """The URL parameters that carry this range to another page."""
        if self.name != "custom":
            return {"range": self.name}
        return {
            key: value.isoformat().replace("+00:00", "Z")
            for key, value in (("start", self.start), ("end", self.end))
            if value is not None
        }


def _moment(params: QueryParams, name: str) -> datetime | None:
    """An ISO time, UTC when it names no zone, that the store holds."""
    text = params.get(name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name}: {text!r} is not an ISO time, e.g. 2026-12-01T09:00") from None
    return checked(Time, name, moment if moment.tzinfo else moment.replace(tzinfo=UTC))


@router.get("/")
async def home(request: Request) -> Response:
    return RedirectResponse(request.url_for("traces_page").include_query_params(**request.query_params))


@router.get("/traces", name="traces_page")
@page
async def traces_page(request: Request) -> Response:
    params = request.query_params
    project = params.get("project") or None
    when = TimeRange(request)
    filters = {key: params.get(key, "") for key in TRACE_FILTERS}
    errors_only = params.get("errors") == "1"
    sort = params.get("sort") or "time"
    listed = await traces_api.list_traces(
        request,
        project=project,
        start=when.start,
        end=when.end,
        name=filters["name"] or None,
        session_id=filters["session"] or None,
        user_id=filters["user"] or None,
        model=filters["model"] or None,
        service=filters["service"] or None,
        tag=filters["tag"] or None,
        q=filters["q"] or None,
        has_error=True if errors_only else None,
        min_cost=_number(params, "min_cost", Money),
        min_duration_ms=_number(params, "min_duration_ms", DurationMs),
        sort=_choice("sort", sort, ("time", "cost", "duration")),  # type: ignore[arg-type]
        order="desc",
        limit=PAGE_SIZE,
        cursor=params.get("cursor") or None,
    )
    filtered = any(filters.values()) or errors_only
    anything = bool(listed["traces"]) or await _has_traces(request, project)
    return render(
        request,
        "traces.html",
        {
            "traces": listed["traces"],
            "next_cursor": listed["next_cursor"],
            "range": when,
            "ranges": list(RANGES),
            "filters": filters,
            "errors_only": errors_only,
            "sort": sort,
            "filtered": filtered,
            "empty_store": not anything,
            "endpoint": views.otlp_endpoint(request),
            "query": views.Query(params),
        },
    )


async def _has_traces(request: Request, project: str | None) -> bool:
    any_trace = await traces_api.list_traces(request, project=project, limit=1, sort="time", order="desc")
    return bool(any_trace["traces"])


@router.get("/traces/{trace_id}", name="trace_page")
@page
async def trace_page(request: Request, trace_id: str) -> Response:
    project = request.query_params.get("project") or None
    tree = await traces_api.get_trace(request, trace_id, project=project, payloads=False)
    selected_id = request.query_params.get("span") or tree["root_span_ids"][0]
    selected = await traces_api.get_span(request, trace_id, selected_id, project=project)
    return render(
        request,
        "trace.html",
        {
            "trace": tree,
            "rows": views.tree_rows(tree),
            "span": views.span_detail(selected),
            "selected": selected_id,
        },
    )


@router.get("/traces/{trace_id}/spans/{span_id}", name="span_panel")
@page
async def span_panel(request: Request, trace_id: str, span_id: str) -> Response:
    """The detail panel of one span, swapped into the trace page when a span is selected."""
    project = request.query_params.get("project") or None
    span = await traces_api.get_span(request, trace_id, span_id, project=project)
    return render(request, "span_panel.html", {"span": views.span_detail(span), "trace_id": trace_id})


@router.get("/sessions", name="sessions_page")
@page
async def sessions_page(request: Request) -> Response:
    params = request.query_params
    project = params.get("project") or None
    when = TimeRange(request)
    sort = params.get("sort") or "time"
    listed = await sessions_api.list_sessions(
        request,
        project=project,
        start=when.start,
        end=when.end,
        user_id=params.get("user") or None,
        sort=_choice("sort", sort, ("time", "cost")),  # type: ignore[arg-type]
        limit=PAGE_SIZE,
        cursor=params.get("cursor") or None,
    )
    return render(
        request,
        "sessions.html",
        {
            "sessions": listed["sessions"],
            "next_cursor": listed["next_cursor"],
            "range": when,
            "ranges": list(RANGES),
            "sort": sort,
            "user": params.get("user", ""),
            "query": views.Query(params),
        },
    )


@router.get("/sessions/{session_id}", name="session_page")
@page
async def session_page(request: Request, session_id: str) -> Response:
    project = request.query_params.get("project") or None
    session = await sessions_api.get_session(request, session_id, project=project)
    return render(
        request,
        "session.html",
        {"session": session, "turns": [messages.turn(trace) for trace in session["traces"]]},
    )


@router.get("/costs", name="costs_page")
@page
async def costs_page(request: Request) -> Response:
    params = request.query_params
    project = params.get("project") or None
    when = TimeRange(request)
    group_by = _choice("group_by", params.get("group_by") or "model", charts.STACKS)
    end = when.end or datetime.now(UTC)
    start = when.start or end - timedelta(days=30)
    # The chart, the total, the top traces and the unpriced callout come with the page; the slower
    # panels (each a read of every span in the range) load after it, so the page never waits on them.
    series, top_traces, unpriced = await asyncio.gather(
        costs_api.get_cost_timeseries(
            request,
            group_by=group_by,  # type: ignore[arg-type]  # checked against charts.STACKS
            project=project,
            start=start,
            end=end,
            buckets=30,
        ),
        traces_api.list_traces(
            request, project=project, start=when.start, end=when.end, sort="cost", order="desc", limit=10
        ),
        costs_api.get_unpriced(request, project=project, start=when.start, end=when.end),
    )
    return render(
        request,
        "costs.html",
        {
            "range": when,
            "ranges": list(RANGES),
            "group_by": group_by,
            "stacks": charts.STACKS,
            "chart": charts.stacked_bars(series, views.Query(params)),
            "total": series["total"],
            "top_traces": top_traces["traces"],
            "unpriced": unpriced,
            "query": views.Query(params),
            "panel_query": "?" + str(params) if params else "",
        },
    )


COSTS_PANELS = ("kinds", "sessions", "users")


@router.get("/costs/panels/{panel}", name="costs_panel")
@page
async def costs_panel(request: Request, panel: str) -> Response:
    """One of the costs page's slower panels, for the page's script to put in place (same filters)."""
    _choice("panel", panel, COSTS_PANELS)
    params = request.query_params
    project = params.get("project") or None
    when = TimeRange(request)
    context: dict[str, Any] = {"panel": panel, "query": views.Query(params)}
    if panel == "kinds":
        context["kinds"] = await costs_api.get_costs(
            request, group_by="kind", project=project, start=when.start, end=when.end
        )
    elif panel == "sessions":
        listed = await sessions_api.list_sessions(
            request, project=project, start=when.start, end=when.end, sort="cost", limit=10
        )
        context["top_sessions"] = listed["sessions"]
    else:
        users = await costs_api.get_costs(
            request, group_by="user", project=project, start=when.start, end=when.end
        )
        context["top_users"] = [group for group in users["groups"] if group["key"]][:10]
    return render(request, "costs_panel.html", context)


@router.get("/errors", name="errors_page")
@page
async def errors_page(request: Request) -> Response:
    project = request.query_params.get("project") or None
    when = TimeRange(request)
    report = await errors_api.get_errors(request, project=project, start=when.start, end=when.end, limit=100)
    return render(
        request,
        "errors.html",
        {"report": report, "range": when, "ranges": list(RANGES), "query": views.Query(request.query_params)},
    )


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _number(params: QueryParams, name: str, kind: object) -> Any:
    """A number filter, held to the rules of the API parameter of type ``kind``; None when left empty."""
    text = params.get(name)
    return checked(kind, name, text) if text else None
