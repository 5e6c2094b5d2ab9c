"""A judge's template: its variables checked when it is defined, filled from the trace when it runs."""

from __future__ import annotations

import pytest

from tokentrail.errors import BadRequest
from tokentrail.evaluators.template import render, variables_of


def test_the_known_variables_and_metadata_keys_are_accepted_in_order_of_use():
    template = "{{ output }} for {{input}} given {{context}}, {{expected}}, {{metadata.plan}} {{output}}"
    assert variables_of(template) == ["output", "input", "context", "expected", "metadata.plan"]


@pytest.mark.parametrize("template", ["{{answer}}", "{{metadata.}}", "{{input}} {{inputs}}"])
def test_an_unknown_variable_is_refused(template):
    with pytest.raises(BadRequest, match="unknown template variables"):
        variables_of(template)


def test_a_template_without_variables_is_refused():
    with pytest.raises(BadRequest, match="uses no variable"):
        variables_of("Is this good?")


def test_rendering_fills_each_placeholder_and_blanks_a_missing_metadata_key():
    values = {"input": "2+2", "output": "4", "metadata.plan": "pro"}
    assert (
        render("{{input}} = {{ output }} ({{metadata.plan}}/{{metadata.tier}})", values) == "2+2 = 4 (pro/)"
    )
