"""The tool service: a web search over HTTP whose every call costs a stated fee (``@tokentrail.tool``)."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

import tokentrail

__all__ = ["SEARCH_FEE", "app"]

#: What one search costs, in USD.
SEARCH_FEE = 0.002

tokentrail.init(service="tool-service")
app = FastAPI(title="tokentrail demo: tool service")


class Query(BaseModel):
    query: str


@tokentrail.tool(cost_per_call=SEARCH_FEE)
def web_search(query: str) -> list[str]:
    """Three canned results, the way a search API answers."""
    topic = query.rstrip("?").lower()
    return [f"kb-{100 + n}: how {topic} works, part {n}" for n in range(1, 4)]


@app.post("/search")
def search(body: Query) -> dict[str, list[str]]:
    return {"results": web_search(body.query)}


@app.get("/healthz")
def healthz() -> dict[str, bool]:
    return {"ok": True}
