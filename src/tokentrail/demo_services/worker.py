"""The worker: a Celery app fed from Redis (``CELERY_BROKER_URL``, ``CELERY_RESULT_BACKEND``) whose task
plans with a small model, searches through the tool service (``DEMO_TOOLS_URL``) and answers with a larger
one. The model calls are synthesized (no provider is called): GenAI spans with usage, priced by tokentrail.

Run with ``celery -A tokentrail.demo_services.worker worker --pool solo``; the gateway imports the task to
enqueue it.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
from celery import Celery
from celery.signals import worker_init, worker_shutdown
from opentelemetry import trace

import tokentrail
from tokentrail.demo import genai_chat

__all__ = ["answer", "app"]

app = Celery("tokentrail-demo")


@worker_init.connect
def _trace_the_worker(**_: Any) -> None:
    # At worker start, not at import: the gateway imports this module too, as another service.
    tokentrail.init(service="worker")


@worker_shutdown.connect
def _send_the_last_spans(**_: Any) -> None:
    tokentrail.flush()


def _chat(model: str, provider: str, question: str, reply: str, tokens: tuple[int, int]) -> None:
    usage = {"input_tokens": tokens[0], "output_tokens": tokens[1]}
    attributes = genai_chat(model, provider, usage, question=question, answer=reply)
    trace.get_tracer("tokentrail.demo").start_span(
        f"chat {model}",
        kind=trace.SpanKind.CLIENT,
        attributes=attributes,  # type: ignore[arg-type]
    ).end()


@app.task(name="demo.answer")
def answer(question: str) -> str:
    """Answer ``question``: plan, search (a paid tool, over HTTP), answer."""
    words = len(question.split())
    _chat("gpt-4o-mini", "openai", question, "search the docs", (300 + 20 * words, 12))
    found = httpx.post(os.environ["DEMO_TOOLS_URL"] + "/search", json={"query": question}, timeout=30)
    results = found.raise_for_status().json()["results"]
    reply = f"From {len(results)} sources: {results[0]}"
    _chat("claude-sonnet-4-5", "anthropic", question, reply, (900 + 40 * words, 80 + 5 * words))
    return reply
