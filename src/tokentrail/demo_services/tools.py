"""The tool service: a web search over HTTP whose every call costs a stated fee (``@tokentrail.tool``).

Run with ``uvicorn --factory tokentrail.demo_services.tools:create_app``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

import tokentrail
from tokentrail.demo_services.web import traced_app

__all__ = ["SEARCH_FEE", "create_app"]

#: What one search costs, in USD.
SEARCH_FEE = 0.002

router = APIRouter()


class Query(BaseModel):
    query: str


@tokentrail.tool(cost_per_call=SEARCH_FEE)
def web_search(query: str) -> list[str]:
    """Three canned results, the way a search API answers."""
    topic = query.rstrip("?").lower()
    return [f"kb-{100 + n}: how {topic} works, part {n}" for n in range(1, 4)]


@router.post("/search")
def search(body: Query) -> dict[str, list[str]]:
    return {"results": web_search(body.query)}


def create_app() -> FastAPI:
    """The tool-service's app (uvicorn's ``--factory``)."""
    return traced_app("tool-service", router)
