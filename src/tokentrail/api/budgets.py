"""``/api/v1/budgets``: spend limits per project, tag, user or service and UTC day or month, where each
stands, the alerts each fired and their webhook deliveries (listing needs ``read``; changes an admin).
See docs/budgets.md."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from tokentrail.budgets import manage
from tokentrail.budgets.budget import Budget
from tokentrail.budgets.evaluate import alert_id
from tokentrail.budgets.periods import period_of
from tokentrail.documents.budgets import alert_json, budget_json, overview_json, status_json
from tokentrail.errors import BadRequest
from tokentrail.params import Limit, Money, Project, project_of

__all__ = ["router"]

router = APIRouter(tags=["budgets"])


class ScopeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Annotated[str, Field(description="project, tag, user or service")] = "project"
    value: Annotated[str, Field(description="The tag, user or service (none for a project budget)")] = ""


class BudgetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: str | None = Field(
        None, description="The budget's project (default: the key's, or the server's)"
    )
    name: str = ""
    scope: ScopeBody = ScopeBody()
    period: str = Field("month", description="day or month (UTC calendar)")
    amount: Money = Field(description="USD per period")
    thresholds: list[Money] | None = Field(None, description="Fractions of the amount (default 0.5, 0.8, 1)")
    webhook_url: str = ""
    webhook_secret: str = Field("", description="HMAC key for the signature (default: made and shown once)")
    enabled: bool = True


class BudgetChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    amount: Money | None = None
    thresholds: list[Money] | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    enabled: bool | None = None


def _settings(request: Request) -> tuple[str, int]:
    settings = request.app.state.settings
    return settings.base_url, settings.budget_rate_hours * 3600


def _with_secret(budget: Budget, secret: str | None) -> dict[str, Any]:
    document = budget_json(budget)
    return {**document, "webhook_secret": secret} if secret else document


@router.get("/budgets", summary="List budgets with where each stands")
async def list_budgets(request: Request, project: Project = None) -> dict[str, Any]:
    """The project's budgets, each with its current period's spend, projection and alerts."""
    base_url, window_s = _settings(request)
    found = await run_in_threadpool(
        manage.overview, request.app.state.store, project_of(request, project), window_s
    )
    return {"budgets": overview_json(found, base_url)}


@router.post("/budgets", summary="Create a budget", status_code=201)
async def create_budget(request: Request, body: BudgetBody) -> dict[str, Any]:
    """A generated webhook secret is in ``webhook_secret``, this once."""
    fields = body.model_dump(exclude={"project", "scope", "thresholds"})
    fields.update(scope_kind=body.scope.kind, scope_value=body.scope.value)
    if body.thresholds is not None:
        fields["thresholds"] = tuple(body.thresholds)
    project = project_of(request, body.project)
    budget, secret = await run_in_threadpool(manage.create_budget, request.app.state.store, project, fields)
    return _with_secret(budget, secret)


@router.get("/budgets/alerts", summary="Alerts fired in each budget's current period")
async def current_alerts(request: Request, project: Project = None) -> dict[str, Any]:
    """The alerts of the project's budgets fired in each one's current day or month, the latest first
    (what the navigation's badge counts; no spend is read)."""
    store, chosen = request.app.state.store, project_of(request, project)

    def read() -> list[dict[str, Any]]:
        now_ns = time.time_ns()
        starts = {b.id: period_of(b.period, now_ns).start_ns for b in manage.list_budgets(store, chosen)}
        alerts = manage.alerts_of(store, chosen, list(starts), since_ns=min(starts.values(), default=0))
        return [
            alert_json(alert) for alert in alerts if alert["period_start_ns"] == starts[alert["budget_id"]]
        ]

    return {"alerts": await run_in_threadpool(read)}


@router.get("/budgets/{budget_id}", summary="One budget with where it stands")
async def get_budget(request: Request, budget_id: str, project: Project = None) -> dict[str, Any]:
    store, chosen = request.app.state.store, project_of(request, project)
    base_url, window_s = _settings(request)

    def read() -> dict[str, Any]:
        budget = manage.read_budget(store, chosen, budget_id)
        (status,) = manage.statuses(store, [budget], window_s)
        return {**budget_json(budget), "status": status_json(status, base_url)}

    return await run_in_threadpool(read)


@router.patch("/budgets/{budget_id}", summary="Change a budget")
async def change_budget(
    request: Request, budget_id: str, body: BudgetChange, project: Project = None
) -> dict[str, Any]:
    """Change its name, amount, thresholds, webhook or whether it is enabled; scope and period stay."""
    changes = body.model_dump(exclude_unset=True)
    if changes.get("thresholds") is not None:
        changes["thresholds"] = tuple(changes["thresholds"])
    if any(value is None for value in changes.values()):
        raise BadRequest("a field given must have a value")
    budget, secret = await run_in_threadpool(
        manage.update_budget, request.app.state.store, project_of(request, project), budget_id, changes
    )
    return _with_secret(budget, secret)


@router.delete("/budgets/{budget_id}", summary="Delete a budget")
async def delete_budget(request: Request, budget_id: str, project: Project = None) -> dict[str, Any]:
    """No more checks or alerts; pending webhooks are cancelled."""
    budget = await run_in_threadpool(
        manage.delete_budget, request.app.state.store, project_of(request, project), budget_id
    )
    return budget_json(budget)


@router.get("/budgets/{budget_id}/alerts", summary="A budget's alerts and their webhook deliveries")
async def list_alerts(
    request: Request,
    budget_id: str,
    project: Project = None,
    limit: Annotated[Limit, Query(description="How many alerts, the latest first")] = 100,
) -> dict[str, Any]:
    store, chosen = request.app.state.store, project_of(request, project)

    def read() -> list[dict[str, Any]]:
        budget = manage.read_budget(store, chosen, budget_id)
        return [alert_json(alert) for alert in manage.alerts_of(store, chosen, [budget.id], limit=limit)]

    return {"alerts": await run_in_threadpool(read)}


@router.post("/budgets/{budget_id}/test", summary="Send a test webhook")
async def test_webhook(request: Request, budget_id: str, project: Project = None) -> dict[str, Any]:
    """POST a webhook of kind ``test`` (the budget's current spend) once, now; nothing is recorded."""
    store, chosen = request.app.state.store, project_of(request, project)
    _, window_s = _settings(request)
    sender = request.app.state.budgets.sender

    def send() -> dict[str, Any]:
        budget = manage.read_budget(store, chosen, budget_id)
        if not budget.webhook_url:
            raise BadRequest(f"budget {budget_id!r} has no webhook_url")
        (status,) = manage.statuses(store, [budget], window_s)
        now_ns = time.time_ns()
        alert = {
            "id": alert_id(budget.id, status.period.start_ns, "test", Decimal(now_ns)),
            "kind": "test",
            "period_start_ns": status.period.start_ns,
            "period_end_ns": status.period.end_ns,
            "threshold": Decimal(0),
            "amount": budget.amount,
            "spend": status.spend,
            "projected": status.projected,
            "fired_ns": now_ns,
        }
        attempt = sender.post(budget, alert)
        return {
            "delivered": attempt.delivered,
            "status_code": attempt.status_code or None,
            "error": attempt.error or None,
        }

    return await run_in_threadpool(send)
