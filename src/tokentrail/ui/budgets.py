"""The budgets page: each budget's spend against its amount, its projection and state, the alerts of its
current period with their webhook deliveries, and (for an admin) a form that creates one through the API.

It reads what ``GET /api/v1/budgets`` reads (:func:`tokentrail.budgets.manage.overview`, shaped by
:mod:`tokentrail.documents.budgets`), so the page and the JSON never disagree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tokentrail.budgets.budget import SCOPES
from tokentrail.budgets.manage import overview
from tokentrail.budgets.periods import PERIODS
from tokentrail.documents.budgets import overview_json
from tokentrail.params import project_of
from tokentrail.ui.routes import page, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: A budget's state as the page names it, most urgent first: (label, CSS class, applies).
STATES: tuple[tuple[str, str, Any], ...] = (
    ("over budget", "error", lambda status: status["over"]),
    ("projected over", "warn", lambda status: status["projected_over"]),
    ("within budget", "ok", lambda status: True),
)


def _state(status: dict[str, Any]) -> tuple[str, str]:
    return next((label, css) for label, css, applies in STATES if applies(status))


def _bar(status: dict[str, Any]) -> int:
    """The spend bar's width in percent of the amount (full when over)."""
    return min(100, int(Decimal(status["used"]) * 100))


@router.get("/budgets", name="budgets_page")
@page
async def budgets_page(request: Request) -> Response:
    settings = request.app.state.settings
    project = project_of(request, request.query_params.get("project") or None)
    found = await run_in_threadpool(
        overview, request.app.state.store, project, settings.budget_rate_hours * 3600
    )
    budgets = [
        {**budget, "state": _state(budget["status"]), "bar": _bar(budget["status"])}
        for budget in overview_json(found, settings.base_url)
    ]
    principal = getattr(request.state, "principal", None)
    return render(
        request,
        "budgets.html",
        {
            "budgets": budgets,
            "budget_project": project,
            "can_edit": principal is not None and principal.admin,
            "scopes": list(SCOPES),
            "periods": list(PERIODS),
        },
    )
