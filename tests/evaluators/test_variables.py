"""The template's values from a stored trace: the root's (or a named span's) input and output, the context
its retrievals and tools returned, its metadata, and the expected answer given."""

from __future__ import annotations

import pytest

from tokentrail.evaluators.variables import template_values


def stored(span_id, parent, kind, input="", output="", metadata=None):
    return {
        "span_id": span_id,
        "parent_span_id": parent,
        "kind": kind,
        "input": input,
        "output": output,
        "metadata": metadata or {},
    }


SPANS = [
    stored("r", "", "chain", "question", "answer", {"plan": "pro", "region": "eu"}),
    stored("s", "r", "retrieval", "query", "doc one"),
    stored("t", "r", "tool", "{}", "tool result", {"plan": "free"}),
    stored("l", "r", "llm", "prompt", "completion"),
]


def test_the_root_answers_input_and_output_and_retrievals_and_tools_the_context():
    values = template_values(SPANS, expected={"answer": 4})
    assert values["input"] == "question" and values["output"] == "answer"
    assert values["context"] == "doc one\n\ntool result"
    assert values["expected"] == '{"answer": 4}'
    # The root's metadata wins over a child's.
    assert (values["metadata.plan"], values["metadata.region"]) == ("pro", "eu")


def test_a_named_span_answers_input_and_output():
    values = template_values(SPANS, "l", expected="four")
    assert (values["input"], values["output"], values["expected"]) == ("prompt", "completion", "four")


def test_a_span_not_in_the_trace_is_a_lookup_error():
    with pytest.raises(LookupError, match="not in the trace"):
        template_values(SPANS, "x")


def test_a_trace_whose_root_has_not_arrived_is_judged_at_its_first_span():
    assert template_values(SPANS[1:])["output"] == "doc one"
