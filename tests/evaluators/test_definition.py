"""An evaluator's fields are checked once, its key never shown, and its sample decided by a hash alone."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokentrail.errors import BadRequest
from tokentrail.evaluators.definition import masked, new_evaluator, sampled

BASE = {"name": "judge", "provider": "openai", "model": "m", "prompt": "{{output}}", "score_name": "s"}


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"name": "no spaces allowed"}, "name:"),
        ({"provider": "gemini"}, "provider: one of openai, anthropic"),
        ({"sample_rate": Decimal("1.5")}, "sample_rate"),
        ({"daily_budget_usd": Decimal(-1)}, "daily_budget_usd"),
        ({"data_type": "categorical"}, "categories"),
        ({"categories": ["a"]}, "categories"),
        ({"api_key_env": "not a name"}, "api_key_env"),
        ({"quiet_s": 90_000}, "quiet_s"),
        ({"colour": "red"}, "unknown evaluator fields: colour"),
    ],
)
def test_a_bad_field_is_refused_naming_it(changes, problem):
    with pytest.raises(BadRequest, match=problem):
        new_evaluator("shop", **{**BASE, **changes})


def test_the_key_comes_from_the_named_environment_variable_at_each_call(monkeypatch):
    evaluator = new_evaluator("shop", **BASE, api_key_env="JUDGE_KEY")
    monkeypatch.setenv("JUDGE_KEY", "first")
    assert evaluator.key() == "first"
    monkeypatch.setenv("JUDGE_KEY", "second")
    assert evaluator.key() == "second"


def test_a_key_is_shown_by_its_last_four_characters_at_most():
    assert masked("sk-abcdefghijklmnop1234") == "…1234"
    assert masked("short") == "…"
    assert masked("") == ""


@given(st.text(min_size=1, max_size=20), st.binary(min_size=16, max_size=16))
def test_the_sample_is_a_function_of_the_name_and_trace_and_grows_with_the_rate(name, raw):
    trace_id = raw.hex()
    assert sampled(name, trace_id, Decimal("0.3")) == sampled(name, trace_id, Decimal("0.3"))
    assert sampled(name, trace_id, Decimal(1)) and not sampled(name, trace_id, Decimal(0))
    if sampled(name, trace_id, Decimal("0.3")):
        assert sampled(name, trace_id, Decimal("0.7"))
