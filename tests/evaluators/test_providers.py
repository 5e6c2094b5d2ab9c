"""Judge calls in each provider's wire format against the stand-in judge: overload and server errors tried
again after the answer's Retry-After or a doubling backoff, a refusal not, an answer of another shape an
error."""

from __future__ import annotations

import httpx
import pytest

from judge_server import Answer, serve_judge, verdict
from tokentrail.evaluators.providers import ATTEMPTS, JudgeCallError, call_judge

SCHEMA = {"type": "object"}


def call(judge, provider="openai", sleeps=None):
    base = judge.openai_base_url if provider == "openai" else judge.url
    with httpx.Client(timeout=10) as client:
        return call_judge(
            client, provider, base, "k", "gpt-4o-mini", "judge this", SCHEMA, sleep=sleeps.append
        )


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_the_answer_text_model_and_usage_are_read_from_either_wire(provider):
    with serve_judge() as judge:
        judge.reply(verdict(1, input_tokens=7, output_tokens=3, model="served-model"))
        made = call(judge, provider, [])
    assert (made.text, made.model, made.input_tokens, made.output_tokens) == (
        '{"score": 1, "reasoning": "because"}',
        "served-model",
        7,
        3,
    )
    assert made.request == judge.requests[0].body


def test_server_errors_and_overload_are_tried_again_with_a_doubling_backoff():
    sleeps: list[float] = []
    with serve_judge() as judge:
        judge.reply(Answer(status=503), Answer(status=429), Answer(status=500), verdict(1))
        call(judge, sleeps=sleeps)
    assert sleeps == [1.0, 2.0, 4.0]


def test_a_judge_failing_every_try_is_an_error_naming_its_answer():
    sleeps: list[float] = []
    with serve_judge() as judge:
        judge.default = Answer(status=502)
        with pytest.raises(JudgeCallError, match="answered 502"):
            call(judge, sleeps=sleeps)
    assert judge.count("/v1/chat/completions") == ATTEMPTS and len(sleeps) == ATTEMPTS - 1


def test_a_refusal_is_not_tried_again():
    with serve_judge() as judge:
        judge.reply(Answer(status=400))
        with pytest.raises(JudgeCallError, match="answered 400"):
            call(judge, sleeps=[])
    assert judge.count("/v1/chat/completions") == 1
