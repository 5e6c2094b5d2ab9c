"""An evaluation as a trace of its own, sent down the server's ingest chain like any application's spans,
so the price catalog prices the judge call and it is stored, retained and purged like them.

The trace (service :data:`~tokentrail.semconv.common.EVALUATOR_SERVICE`) is a root of kind ``evaluator``
(the prompt in, the verdict or the error out) over one ``llm`` span: the provider, the requested and the
answering model, the usage the judge reported, the request sent and the text answered. Both carry the
evaluator's name and the judged trace's id as attributes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import orjson

from tokentrail.evaluators.providers import JudgeCall
from tokentrail.export.otlp_encode import encode_spans
from tokentrail.ingest.chain import Batch, Consumer
from tokentrail.ingest.otlp import PROTOBUF
from tokentrail.model import Span, SpanKind, Status
from tokentrail.semconv.common import EVALUATION_EVALUATOR, EVALUATION_TARGET_TRACE, EVALUATOR_SERVICE

__all__ = ["Evaluation", "ingest_evaluations", "new_trace_id"]

#: Longest the chain may take to hold an evaluation's spans durably.
_INGEST_TIMEOUT_S = 60.0


def new_trace_id() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One judge call to trace: who judged what, when, and how it went."""

    project: str
    evaluator: str
    provider: str
    model: str
    target_trace_id: str
    trace_id: str
    start_ns: int
    end_ns: int
    prompt: str
    call: JudgeCall | None
    verdict: str
    error: str

    def spans(self) -> list[Span]:
        root_id = secrets.token_hex(8)
        root = self._span(
            root_id,
            "",
            f"evaluate {self.evaluator}",
            kind=SpanKind.EVALUATOR,
            status=Status.ERROR if self.error else Status.OK,
            error_message=self.error,
            input=self.prompt,
            output=self.verdict,
        )
        if self.call is None:  # the judge never answered: nothing to price
            return [root]
        llm = self._span(
            secrets.token_hex(8),
            root_id,
            f"chat {self.model}",
            kind=SpanKind.LLM,
            status=Status.OK,
            provider=self.provider,
            request_model=self.model,
            response_model=self.call.model,
            response_id=self.call.response_id,
            usage={"input": self.call.input_tokens, "output": self.call.output_tokens},
            input=orjson.dumps(self.call.request).decode(),
            output=self.call.text,
        )
        return [root, llm]

    def _span(self, span_id: str, parent_span_id: str, name: str, **facts: Any) -> Span:
        """A span of this evaluation's trace: its times, service and attributes, and ``facts``."""
        attributes = {EVALUATION_EVALUATOR: self.evaluator, EVALUATION_TARGET_TRACE: self.target_trace_id}
        return Span(
            self.project,
            self.trace_id,
            span_id,
            parent_span_id,
            name,
            EVALUATOR_SERVICE,
            self.start_ns,
            self.end_ns,
            attributes=attributes,
            **facts,
        )


def ingest_evaluations(ingest: Consumer, project: str, evaluations: list[Evaluation]) -> None:
    """Send the evaluations' spans down the ingest chain and wait until they are durable."""
    spans = [span for evaluation in evaluations for span in evaluation.spans()]
    if not spans:
        return
    batch = ingest.consume(Batch(body=encode_spans(spans), media_type=PROTOBUF, project=project))
    taken = batch.result(_INGEST_TIMEOUT_S)
    if taken.rejected:
        raise RuntimeError(f"the evaluation spans were refused: {'; '.join(taken.rejected)}")
