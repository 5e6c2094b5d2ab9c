"""tokentrail's SDK: an application's spans to tokentrail in three lines, with sessions, users, costs and
context that follows a request across services and queues.

    import tokentrail
    tokentrail.init(endpoint="http://localhost:4318", api_key="tt_...", service="gateway")
    with tokentrail.session("chat-42"), tokentrail.user("u-7"):
        answer(question)

Names are imported on first use, so ``import tokentrail`` stays light (docs/sdk.md).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tokentrail.sdk.configure import flush, init, shutdown
    from tokentrail.sdk.context import metadata, session, tags, user
    from tokentrail.sdk.costs import record_cost
    from tokentrail.sdk.datasets import dataset
    from tokentrail.sdk.decorators import tool, trace
    from tokentrail.sdk.evaluation import evaluate
    from tokentrail.sdk.evaluators import evaluator
    from tokentrail.sdk.experiments import experiment
    from tokentrail.sdk.exporting import dropped_spans
    from tokentrail.sdk.propagation import consume, consume_many, extract, inject, produce
    from tokentrail.sdk.scoring import score

#: Public name -> the module of this package that defines it.
_EXPORTS = {
    "init": "configure",
    "flush": "configure",
    "shutdown": "configure",
    "session": "context",
    "user": "context",
    "tags": "context",
    "metadata": "context",
    "trace": "decorators",
    "tool": "decorators",
    "record_cost": "costs",
    "dropped_spans": "exporting",
    "inject": "propagation",
    "extract": "propagation",
    "consume": "propagation",
    "consume_many": "propagation",
    "produce": "propagation",
    "dataset": "datasets",
    "experiment": "experiments",
    "evaluator": "evaluators",
    "evaluate": "evaluation",
    "score": "scoring",
}

__all__ = [
    "consume",
    "consume_many",
    "dataset",
    "dropped_spans",
    "evaluate",
    "evaluator",
    "experiment",
    "extract",
    "flush",
    "init",
    "inject",
    "metadata",
    "produce",
    "record_cost",
    "score",
    "session",
    "shutdown",
    "tags",
    "tool",
    "trace",
    "user",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tokentrail.sdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tokentrail.sdk.{module}"), name)
    globals()[name] = value  # imported once, then a plain module attribute
    return value
