"""The gateway: takes a user's question over HTTP, hands it to the worker through the Celery queue and
returns the answer with the trace's id. The session and user come in the request's W3C baggage."""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry import trace
from pydantic import BaseModel

import tokentrail
from tokentrail.demo_services.worker import answer

__all__ = ["app"]

#: How long a question may wait for the worker, in seconds.
ANSWER_TIMEOUT = 60

tokentrail.init(service="gateway")
app = FastAPI(title="tokentrail demo: gateway")


class Question(BaseModel):
    question: str


@app.post("/ask")
def ask(body: Question) -> dict[str, str]:
    trace_id = trace.get_current_span().get_span_context().trace_id
    reply = answer.delay(body.question).get(timeout=ANSWER_TIMEOUT)
    return {"answer": reply, "trace_id": format(trace_id, "032x")}


@app.get("/healthz")
def healthz() -> dict[str, bool]:
    return {"ok": True}
