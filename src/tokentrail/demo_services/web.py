"""What the demo's two HTTP services share: a FastAPI app traced to tokentrail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

import tokentrail

__all__ = ["traced_app"]


@asynccontextmanager
async def _flushed_at_shutdown(_: FastAPI) -> AsyncIterator[None]:
    yield
    # uvicorn ends its process by re-raising the SIGTERM it caught, so no exit hook would send the last spans.
    tokentrail.flush()


def traced_app(service: str, router: APIRouter) -> FastAPI:
    """The app of ``service`` serving ``router``, built once this process traces to tokentrail (so FastAPI's
    instrumentation sees it), sending its last spans as it shuts down."""
    tokentrail.init(service=service)
    app = FastAPI(title=f"tokentrail demo: {service}", lifespan=_flushed_at_shutdown)
    app.include_router(router)
    return app
