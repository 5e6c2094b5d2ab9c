"""The gateway: takes a user's question over HTTP, hands it to the worker through the Celery queue and
returns the answer with the trace's id. The session and user come in the request's W3C baggage.

Run with ``uvicorn --factory tokentrail.demo_services.gateway:create_app``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from opentelemetry import trace
from pydantic import BaseModel

from tokentrail.demo_services.web import traced_app
from tokentrail.demo_services.worker import answer

__all__ = ["create_app"]

#: How long a question may wait for the worker, in seconds.
ANSWER_TIMEOUT = 60

router = APIRouter()


class Question(BaseModel):
    question: str


@router.post("/ask")
def ask(body: Question) -> dict[str, str]:
    trace_id = trace.get_current_span().get_span_context().trace_id
    reply = answer.delay(body.question).get(timeout=ANSWER_TIMEOUT)
    return {"answer": reply, "trace_id": format(trace_id, "032x")}


def create_app() -> FastAPI:
    """The gateway's app (uvicorn's ``--factory``)."""
    return traced_app("gateway", router)
