"""The span attributes and baggage keys the SDK writes: tokentrail's own convention
(``tokentrail.semconv.common.TOKENTRAIL``, documented in docs/conventions.md), which the server reads first.

The SDK imports nothing of the server, so the names are repeated here; a test holds them to the table.
"""

from __future__ import annotations

__all__ = [
    "CONTEXT_PREFIX",
    "COST",
    "COST_DESCRIPTION",
    "COST_EVENT",
    "DATASET_ID",
    "DATASET_ITEM_ID",
    "EXPERIMENT_ID",
    "EXPERIMENT_NAME",
    "INPUT",
    "METADATA_PREFIX",
    "OUTPUT",
    "SESSION",
    "SPAN_KIND",
    "TAGS",
    "TOOL_NAME",
    "USER",
]

SPAN_KIND = "tokentrail.span.kind"
INPUT = "tokentrail.input"
OUTPUT = "tokentrail.output"
TOOL_NAME = "tokentrail.tool.name"
#: A stated cost in USD, as exact decimal text; summed when stated several times on one span.
COST = "tokentrail.cost.usd"
#: The span event each stated cost is also recorded as, with its description.
COST_EVENT = "tokentrail.cost"
COST_DESCRIPTION = "tokentrail.cost.description"

#: Context keys: each is a span attribute and a W3C baggage entry of the same name.
SESSION = "tokentrail.session.id"
USER = "tokentrail.user.id"
#: A JSON list in baggage, a string list on the span.
TAGS = "tokentrail.tags"
#: ``tokentrail.metadata.<key>``, one entry per key.
METADATA_PREFIX = "tokentrail.metadata."
#: What every context key starts with: the span processor copies only these out of the baggage.
CONTEXT_PREFIX = "tokentrail."

#: The root span of an experiment's run carries its experiment, dataset and item (kept by the server as
#: plain attributes: the run's row in ``experiment_runs`` is what links them).
EXPERIMENT_ID = "tokentrail.experiment.id"
EXPERIMENT_NAME = "tokentrail.experiment.name"
DATASET_ID = "tokentrail.dataset.id"
DATASET_ITEM_ID = "tokentrail.dataset.item.id"
