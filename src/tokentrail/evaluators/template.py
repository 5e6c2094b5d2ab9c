"""A judge's prompt template: ``{{input}}``, ``{{output}}``, ``{{context}}``, ``{{expected}}`` and
``{{metadata.<key>}}``, filled from the judged trace (see :mod:`tokentrail.evaluators.variables`).

Variables are checked when an evaluator is defined: an unknown one is a 400 then, never a blank at run time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tokentrail.errors import BadRequest

__all__ = ["VARIABLES", "render", "variables_of"]

#: The variables a template may use, besides ``metadata.<key>``.
VARIABLES = ("input", "output", "context", "expected")
_METADATA = "metadata."
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


def variables_of(template: str) -> list[str]:
    """The variables ``template`` uses, in order of first use; an unknown one is a :class:`BadRequest`."""
    found = list(dict.fromkeys(_PLACEHOLDER.findall(template)))
    unknown = [
        name
        for name in found
        if name not in VARIABLES and not (name.startswith(_METADATA) and len(name) > len(_METADATA))
    ]
    if unknown:
        known = ", ".join(f"{{{{{name}}}}}" for name in (*VARIABLES, "metadata.<key>"))
        raise BadRequest(f"prompt: unknown template variables {', '.join(unknown)} (known: {known})")
    if not found:
        raise BadRequest("prompt: the template uses no variable, so every trace would be judged alike")
    return found


def render(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each placeholder replaced by its value ("" for a metadata key the trace lacks)."""
    return _PLACEHOLDER.sub(lambda match: values.get(match[1], ""), template)
