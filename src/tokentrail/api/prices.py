"""``/api/v1/prices``: the price rules a project adds to or puts over the genai-prices catalog."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tokentrail.documents.encoding import money
from tokentrail.errors import Forbidden, NotFound
from tokentrail.params import Time, principal_of, project_of, to_ns
from tokentrail.pricing import default_catalog
from tokentrail.pricing.rules import ALL_PROJECTS, PriceRule, parse_rule

__all__ = ["router"]

router = APIRouter(tags=["prices"])

RuleProject = Annotated[
    str | None, Query(description="Project the rule belongs to; '*' for every project (default: the default)")
]


class RuleBody(BaseModel):
    """A price rule, as sent to ``PUT /api/v1/prices/{rule_id}``."""

    kind: Literal["model", "call"] = "model"
    match: str = Field(description="Model or tool name, exact or a glob pattern ('ft:gpt-4o*')")
    provider: str = Field("", description="Only at this provider (OpenTelemetry name, e.g. 'openai')")
    effective_from: datetime | None = Field(None, description="In force for spans starting at or after it")
    prices: dict[str, Decimal] = Field(
        description="model: USD per million tokens by usage type (input, output, cache_read, cache_write, "
        "cache_write_1h, reasoning, audio_in, audio_out, image_in) and 'request' (USD per call); "
        "call: {'call': USD per call}"
    )
    note: str = ""


def _rule_project(request: Request, project: str | None, *, changing: bool = False) -> str:
    """The project a rule request is about; only an admin changes the rules of every project."""
    if project != ALL_PROJECTS:
        return project_of(request, project)
    if changing and not principal_of(request).admin:
        raise Forbidden("only an admin key may change the rules of every project ('*')")
    return ALL_PROJECTS


@router.get("/prices", summary="List price rules")
async def list_rules(request: Request, project: RuleProject = None) -> dict[str, Any]:
    """The rules that apply to the project: its own and those for every project, most specific first."""
    wanted = _rule_project(request, project)
    rules = request.app.state.rules.book.rules
    chosen = [r for r in rules if r.project in (wanted, ALL_PROJECTS)]
    return {"rules": [_rule_json(rule) for rule in chosen]}


@router.put("/prices/{rule_id}", summary="Add or replace a price rule")
async def put_rule(
    request: Request, rule_id: str, body: RuleBody, project: RuleProject = None
) -> dict[str, Any]:
    """Save a rule; spans ingested from now on are priced with it (``tokentrail reprice`` for older ones)."""
    data = body.model_dump()
    data.update(id=rule_id, project=_rule_project(request, project, changing=True))
    if body.effective_from is not None:
        data["effective_from_ns"] = to_ns(body.effective_from)
    del data["effective_from"]
    rule = parse_rule(data)
    await run_in_threadpool(request.app.state.rules.save, rule)
    return _rule_json(rule)


@router.delete("/prices/{rule_id}", summary="Remove a price rule", status_code=204)
async def delete_rule(request: Request, rule_id: str, project: RuleProject = None) -> Response:
    project_name = _rule_project(request, project, changing=True)
    if not await run_in_threadpool(request.app.state.rules.delete, project_name, rule_id):
        raise NotFound(f"no price rule {rule_id!r} in project {project_name!r}")
    return Response(status_code=204)


@router.get("/prices/lookup", summary="Which price applies")
async def lookup(
    request: Request,
    model: str,
    provider: str = "",
    at: Annotated[Time | None, Query(description="ISO 8601 time (default: now)")] = None,
    project: RuleProject = None,
) -> dict[str, Any]:
    """The prices a call of ``model`` would be priced with: the user's rule in force, else genai-prices'."""
    at_ns = to_ns(at) or 0
    project_name = _rule_project(request, project)
    book = request.app.state.rules.book
    rule = book.model_rule(project_name, provider, model, at_ns or time.time_ns())
    if rule is not None:
        return {"source": rule.source_name, "rule": _rule_json(rule), "prices": _money(rule.prices)}
    found = default_catalog().prices_of(provider, model, at_ns)
    if found is None:
        raise NotFound(f"no price for model {model!r}" + (f" at provider {provider!r}" if provider else ""))
    source, prices = found
    return {"source": source, "rule": None, "prices": _money(prices)}


def _rule_json(rule: PriceRule) -> dict[str, Any]:
    # Prices as every amount in the API: no trailing zeros, however the store keeps them.
    return {**rule.as_json(), "prices": _money(rule.prices)}


def _money(prices: Mapping[str, Decimal]) -> dict[str, str]:
    return {name: money(amount) for name, amount in prices.items()}
