"""The judge: for each trace (or span) asked about, fill the evaluator's template from the stored trace, call
the judge, parse its answer into a :class:`~tokentrail.store.scores.Score`, trace the call through the
ingest chain (priced there) and record the run with what the call cost.

A trace not stored is a run with the error ``trace not found`` and no call. An answer that does not parse
is a run with that error and no score. A score's id is a function of the evaluator, the trace and the span,
so judging again replaces the score instead of adding one.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import orjson

from tokentrail.evaluators.definition import Evaluator
from tokentrail.evaluators.parse import JudgeReplyError, Verdict, answer_schema, verdict_of
from tokentrail.evaluators.providers import JudgeCall, JudgeCallError, call_judge
from tokentrail.evaluators.template import render
from tokentrail.evaluators.tracing import Evaluation, ingest_evaluations, new_trace_id
from tokentrail.evaluators.variables import template_values
from tokentrail.ingest.chain import Consumer
from tokentrail.store import evaluators as stored
from tokentrail.store.database import Store
from tokentrail.store.scores import Score, save_scores
from tokentrail.store.traces import trace_spans
from tokentrail.store.writer import SpanWriter

__all__ = ["CONCURRENCY", "Judge", "Run", "Target", "score_id"]

#: Judge calls made at once by one judging round.
CONCURRENCY = 4
#: Longest to wait for the evaluation traces to be queryable (to read what they cost).
_FLUSH_TIMEOUT_S = 60.0
_JUDGE_TIMEOUT_S = 120.0


@dataclass(frozen=True, slots=True)
class Target:
    """What to judge: a trace, or one span of it, and the expected answer if there is one."""

    trace_id: str
    span_id: str = ""
    expected: Any = None


@dataclass(slots=True)
class Run:
    """One judgement: its score (None on error), its own trace's id, what it cost and what went wrong."""

    target: Target
    run_id: str
    score: Score | None = None
    cost: Decimal = Decimal(0)
    error: str = ""
    evaluation: Evaluation | None = field(default=None, repr=False)

    def row(self, evaluator: Evaluator, mode: str) -> dict[str, Any]:
        score = self.score
        return {
            "project": evaluator.project,
            "evaluator": evaluator.name,
            "trace_id": self.target.trace_id,
            "span_id": self.target.span_id,
            "run_id": self.run_id,
            "score_id": score.id if score else "",
            "value": score.value if score else None,
            "string_value": score.string_value if score else "",
            "cost": self.cost,
            "error": self.error,
            "mode": mode,
            "created_ns": time.time_ns(),
        }


def score_id(evaluator: str, trace_id: str, span_id: str) -> str:
    """The id of the score an evaluator gives a trace or span: the same every time it is judged."""
    return hashlib.sha256(f"{evaluator}\0{trace_id}\0{span_id}".encode()).hexdigest()[:32]


class Judge:
    """Judges traces for evaluators, tracing each call through ``ingest`` into ``store``."""

    def __init__(
        self, store: Store, ingest: Consumer, writer: SpanWriter, client: httpx.Client | None = None
    ):
        self.store = store
        self.ingest = ingest
        self.writer = writer
        self.client = client or httpx.Client(timeout=_JUDGE_TIMEOUT_S)

    def close(self) -> None:
        self.client.close()

    def judge(
        self, evaluator: Evaluator, targets: list[Target], *, mode: str, experiment_id: str = ""
    ) -> list[Run]:
        """Judge every target (at most :data:`CONCURRENCY` calls at once); store the scores and the runs."""
        with ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="tokentrail-judge") as pool:
            runs = list(pool.map(lambda target: self._judge_one(evaluator, target, experiment_id), targets))
        evaluations = [run.evaluation for run in runs if run.evaluation is not None]
        ingest_evaluations(self.ingest, evaluator.project, evaluations)
        if evaluations and self.writer.flush(_FLUSH_TIMEOUT_S):
            costs = stored.judge_costs(self.store, evaluator.project, [e.trace_id for e in evaluations])
            for run in runs:
                run.cost = costs.get(run.run_id, Decimal(0))
        save_scores(self.store, [run.score for run in runs if run.score is not None])
        stored.save_runs(self.store, [run.row(evaluator, mode) for run in runs])
        return runs

    def _judge_one(self, evaluator: Evaluator, target: Target, experiment_id: str) -> Run:
        spans = trace_spans(self.store, evaluator.project, target.trace_id)
        if not spans:
            return Run(target, run_id="", error="trace not found")
        try:
            prompt = render(evaluator.prompt, template_values(spans, target.span_id, target.expected))
        except LookupError as exc:
            return Run(target, run_id="", error=str(exc))
        run = Run(target, run_id=new_trace_id())
        start_ns = time.time_ns()
        call: JudgeCall | None = None
        verdict: Verdict | None = None
        try:
            call = call_judge(
                self.client,
                evaluator.provider,
                evaluator.base_url,
                evaluator.key(),
                evaluator.model,
                prompt,
                answer_schema(evaluator.data_type, evaluator.categories),
            )
            verdict = verdict_of(call.text, evaluator.data_type, evaluator.categories)
        except (JudgeCallError, JudgeReplyError) as exc:
            run.error = str(exc)
        if verdict is not None:
            run.score = Score(
                project=evaluator.project,
                name=evaluator.score_name,
                trace_id=target.trace_id,
                span_id=target.span_id,
                data_type=evaluator.data_type,
                value=verdict.value,
                string_value=verdict.label,
                source="evaluator",
                comment=verdict.reasoning,
                evaluator=evaluator.name,
                run_id=run.run_id,
                experiment_id=experiment_id,
                id=score_id(evaluator.name, target.trace_id, target.span_id),
            )
        run.evaluation = Evaluation(
            project=evaluator.project,
            evaluator=evaluator.name,
            provider=evaluator.provider,
            model=evaluator.model,
            target_trace_id=target.trace_id,
            trace_id=run.run_id,
            start_ns=start_ns,
            end_ns=time.time_ns(),
            prompt=prompt,
            call=call,
            verdict=_verdict_json(verdict),
            error=run.error,
        )
        return run


def _verdict_json(verdict: Verdict | None) -> str:
    if verdict is None:
        return ""
    found = {"label": verdict.label} if verdict.label else {"score": verdict.value}
    return orjson.dumps({**found, "reasoning": verdict.reasoning}).decode()
