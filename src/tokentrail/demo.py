"""Realistic demo traffic, sent over OTLP with the OpenTelemetry SDK like any instrumented app would.

A RAG support agent answers questions in several chat sessions. Each turn embeds the question, retrieves
and reranks documents, plans with a small model, calls a paid web-search tool, answers with a reasoning
model whose prompt is mostly cached, and sometimes hits a rate limit or a stream that times out after part
of the answer (then retries), or a failing tool.
Spans use OpenInference attributes for the app's own steps and OpenTelemetry GenAI attributes for the
provider calls, the way mixed real-world instrumentation looks.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, Status, StatusCode, Tracer

__all__ = ["DemoSummary", "genai_chat", "send_demo"]

_QUESTIONS = (
    "How do I rotate my API key?",
    "Why was I charged twice this month?",
    "Can I export my invoices as CSV?",
    "What is the rate limit on the search endpoint?",
    "How do I add a teammate to my workspace?",
    "Does the EU region keep data in the EU?",
)
_USERS = ("ana@example.com", "bo@example.com", "chen@example.com")
_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class DemoSummary:
    sessions: int
    traces: int
    spans: int


class _Clock:
    """Simulated time: spans get realistic, non-overlapping timestamps without sleeping."""

    def __init__(self, start_ns: int) -> None:
        self.now = start_ns

    def advance(self, ms: float) -> int:
        self.now += int(ms * _MS)
        return self.now


class _Turn:
    def __init__(self, tracer: Tracer, clock: _Clock, rng: random.Random) -> None:
        self.tracer, self.clock, self.rng = tracer, clock, rng
        self.spans = 0

    @contextmanager
    def span(self, name: str, attributes: dict[str, object], ms: float) -> Iterator[Span]:
        start = self.clock.advance(self.rng.uniform(1, 5))
        span = self.tracer.start_span(name, start_time=start, attributes=attributes)  # type: ignore[arg-type]
        self.spans += 1
        with trace.use_span(span, end_on_exit=False):
            try:
                yield span
            finally:
                span.end(end_time=max(self.clock.advance(ms), start))


def _fail(span: Span, error_type: str, message: str) -> None:
    span.add_event(
        "exception",
        {
            "exception.type": error_type,
            "exception.message": message,
            "exception.stacktrace": (
                f'Traceback (most recent call last):\n  File "agent.py", line 88\n{error_type}: {message}'
            ),
        },
    )
    span.set_status(Status(StatusCode.ERROR, message))


def genai_chat(
    model: str, provider: str, usage: dict[str, int], *, question: str = "", answer: str = ""
) -> dict[str, object]:
    """The OpenTelemetry GenAI attributes of a chat call to ``model``, with its usage and messages."""
    attributes: dict[str, object] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        "gen_ai.response.model": model,
    }
    attributes.update({f"gen_ai.usage.{key}": value for key, value in usage.items()})
    if question:  # GenAI messages as JSON (semantic conventions 1.37+), parts per message
        attributes["gen_ai.input.messages"] = json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": question}]}]
        )
    if answer:
        attributes["gen_ai.output.messages"] = json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": answer}], "finish_reason": "stop"}]
        )
    return attributes


_DOCS = (
    ("kb-101", "Rate limits: the search endpoint allows 60 requests a minute per API key."),
    ("kb-204", "Refunds: annual plans are refundable within 30 days of purchase."),
    ("kb-310", "Exports: Settings > Data > Export writes a CSV of every invoice."),
    ("kb-412", "Seats: admins add seats under Settings > Team; billing is prorated."),
)


def _documents(rng: random.Random) -> dict[str, object]:
    """Three retrieved documents as OpenInference flattens them, most relevant first."""
    chosen = rng.sample(_DOCS, 3)
    attributes: dict[str, object] = {}
    for index, (doc_id, content) in enumerate(chosen):
        prefix = f"retrieval.documents.{index}.document."
        attributes[prefix + "id"] = doc_id
        attributes[prefix + "content"] = content
        attributes[prefix + "score"] = round(0.9 - index * 0.12 - rng.random() * 0.05, 3)
    return attributes


def _turn(tracer: Tracer, clock: _Clock, rng: random.Random, session: str, user: str, turn: int) -> int:
    t = _Turn(tracer, clock, rng)
    question = rng.choice(_QUESTIONS)
    answer = f"Here is how: {question.lower().rstrip('?')} is done from Settings, step by step."
    root_attrs: dict[str, object] = {
        "openinference.span.kind": "AGENT",
        "session.id": session,
        "user.id": user,
        "input.value": question,
        "output.value": answer,
        "metadata": json.dumps({"turn": turn, "app_version": "2.3.1"}),
        "tag.tags": ["support", "rag"],
    }
    with t.span("support-agent.turn", root_attrs, 40) as root:
        documents = _documents(rng)
        retrieved = {"openinference.span.kind": "RETRIEVER", "input.value": question, **documents}
        with t.span("retrieve", retrieved, 20):
            prompt_tokens = rng.randint(8, 20)
            with t.span(
                "embed-query",
                {
                    "openinference.span.kind": "EMBEDDING",
                    "embedding.model_name": "text-embedding-3-small",
                    "llm.provider": "openai",
                    "llm.token_count.prompt": prompt_tokens,
                    "llm.token_count.total": prompt_tokens,
                },
                rng.uniform(40, 90),
            ):
                pass
            with t.span(
                "vector-search",
                {"db.system.name": "qdrant", "db.operation.name": "search", "tokentrail.cost.usd": "0.0004"},
                rng.uniform(10, 30),
            ):
                pass
        reranked = {
            "openinference.span.kind": "RERANKER",
            "tool.cost_usd": 0.001,
            "reranker.query": question,
            "reranker.top_k": 2,
            **{
                key.replace("retrieval.documents", "reranker.output_documents"): value
                for key, value in documents.items()
                if key.split(".")[2] in ("0", "1")
            },
        }
        with t.span("rerank", reranked, 60):
            pass
        plan_usage = {"input_tokens": rng.randint(600, 900), "output_tokens": rng.randint(40, 90)}
        with t.span(
            "chat gpt-4o-mini", genai_chat("gpt-4o-mini", "openai", plan_usage), rng.uniform(300, 700)
        ):
            pass
        with t.span(
            "web_search",
            {
                "openinference.span.kind": "TOOL",
                "tool.name": "web_search",
                "input.value": json.dumps({"query": question}),
                "output.value": json.dumps({"results": 5}),
                "tool.cost_usd": 0.005,
            },
            rng.uniform(400, 1200),
        ):
            pass
        if rng.random() < 0.35:
            with t.span(
                "invoice_lookup", {"openinference.span.kind": "TOOL", "tool.name": "invoice_lookup"}, 80
            ) as s:
                _fail(s, "TimeoutError", "invoice service did not answer within 5s")
        sonnet = "claude-sonnet-4-5"
        if rng.random() < 0.4:
            with t.span("chat claude-sonnet-4-5", genai_chat(sonnet, "anthropic", {}), 120) as s:
                _fail(
                    s,
                    "RateLimitError",
                    "Error code: 429 - rate_limit_error: Number of request tokens exceeded",
                )
            clock.advance(1000)  # back-off before the retry
        cached = rng.randint(1500, 2500)
        written = 0 if turn > 1 else 1800
        fresh = rng.randint(100, 400)
        if rng.random() < 0.3:
            # The stream stalls after part of the answer and the read timeout ends the attempt. Its usage is
            # what the stream reported before the stall (message_start's input and cache counts, the output
            # tokens streamed so far), billed all the same: this attempt's cost is retry waste.
            partial = {
                "input_tokens": cached + written + fresh,
                "output_tokens": rng.randint(40, 120),
                "cache_read.input_tokens": cached,
                "cache_write.input_tokens": written,
            }
            with t.span("chat claude-sonnet-4-5", genai_chat(sonnet, "anthropic", partial), 10_000) as s:
                _fail(s, "APITimeoutError", "Request timed out or interrupted.")
            cached, written = cached + written, 0  # the retry reads the prompt cache the attempt wrote
        sonnet_usage = {
            "input_tokens": cached + written + fresh,
            "output_tokens": rng.randint(150, 400),
            "cache_read.input_tokens": cached,
            "cache_write.input_tokens": written,
        }
        draft = "Draft: " + answer
        sonnet_chat = genai_chat(sonnet, "anthropic", sonnet_usage, question=question, answer=draft)
        with t.span("chat claude-sonnet-4-5", sonnet_chat, 1800):
            pass
        prompt = rng.randint(3000, 5000)
        completion = rng.randint(400, 900)
        with t.span(
            "answer",
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": "o3-mini",
                "llm.provider": "openai",
                "llm.token_count.prompt": prompt,
                "llm.token_count.completion": completion,
                "llm.token_count.total": prompt + completion,
                "llm.token_count.prompt_details.cache_read": prompt - rng.randint(200, 600),
                "llm.token_count.completion_details.reasoning": completion - rng.randint(100, 300),
                "llm.input_messages.0.message.role": "system",
                "llm.input_messages.0.message.content": "You are a concise support agent. Cite the docs.",
                "llm.input_messages.1.message.role": "user",
                "llm.input_messages.1.message.content": question,
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.content": answer,
            },
            rng.uniform(2000, 5000),
        ) as answered:
            _judge(answered, prompt, completion)
        root.set_status(Status(StatusCode.OK))
    clock.advance(rng.uniform(20_000, 90_000))  # the user reads and types the next question
    return t.spans


def _judge(span: Span, prompt: int, completion: int) -> None:
    """An online judge's verdicts on the answer, as GenAI evaluation events (they become its scores).
    Drawn from the answer's own sizes, not the shared random stream, so a seed's traffic stays the same."""
    helpfulness = round(0.55 + 0.44 * ((prompt * 31 + completion) % 101) / 100, 2)
    span.add_event(
        "gen_ai.evaluation.result",
        {
            "gen_ai.evaluation.name": "helpfulness",
            "gen_ai.evaluation.score.value": helpfulness,
            "gen_ai.evaluation.explanation": "Answers the question; cites the docs it used.",
        },
    )
    grounded = (prompt + completion) % 5 != 0
    span.add_event(
        "gen_ai.evaluation.result",
        {
            "gen_ai.evaluation.name": "groundedness",
            "gen_ai.evaluation.score.label": "grounded" if grounded else "unsupported",
            "gen_ai.evaluation.explanation": "Every claim is in a retrieved document."
            if grounded
            else "States a limit no retrieved document gives.",
        },
    )


def send_demo(
    endpoint: str = "http://127.0.0.1:4318",
    *,
    sessions: int = 4,
    turns: int = 3,
    seed: int | None = None,
    project: str | None = None,
    service: str = "support-agent",
    api_key: str | None = None,
) -> DemoSummary:
    """Send ``sessions`` sessions of ``turns`` traces each to an OTLP/HTTP endpoint; wait for delivery."""
    rng = random.Random(seed)
    headers = {"x-tokentrail-project": project} if project else {}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces", headers=headers)
    provider = TracerProvider(
        resource=Resource.create({"service.name": service, "deployment.environment": "demo"})
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("tokentrail.demo")
    # The sessions happened over the last couple of hours.
    clock = _Clock(time.time_ns() - sessions * turns * 120 * 1_000_000_000)
    spans = 0
    for index in range(sessions):
        session = f"chat-{index + 1:03d}-{rng.randrange(16**6):06x}"
        user = _USERS[index % len(_USERS)]
        for turn in range(1, turns + 1):
            spans += _turn(tracer, clock, rng, session, user, turn)
    if not provider.force_flush(30_000):
        raise RuntimeError(f"demo spans could not be delivered to {endpoint}")
    provider.shutdown()
    return DemoSummary(sessions=sessions, traces=sessions * turns, spans=spans)
