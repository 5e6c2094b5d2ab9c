"""LangSmith's OpenTelemetry attributes (``langsmith.*``), as a table.

The LangSmith SDK's OTel exporter writes ``langsmith.*`` next to GenAI names (``gen_ai.system``,
``gen_ai.usage.*``, ``gen_ai.prompt`` / ``gen_ai.completion`` with the whole run inputs and outputs, read
by :data:`tokentrail.semconv.genai.GENAI_DEPRECATED`). Token details are Python ``str(dict)`` values, read
as literals (never evaluated). LangChain's counts include cached tokens in input and reasoning in output.

``langsmith.trace.session_id`` / ``session_name`` name a LangSmith *project*, not a chat thread: they are
kept raw. Threads are metadata keys (``session_id``, ``thread_id``, ``conversation_id``).

Sources: PyPI ``langsmith`` 0.15.1 ``langsmith/_internal/otel/_otel_exporter.py``; langchain-ai/docs
``src/langsmith/trace-with-opentelemetry.mdx`` (what LangSmith's own OTel ingestion reads).
"""

from __future__ import annotations

from collections.abc import Mapping

from tokentrail.semconv.common import Convention, Encoding, Family, Rule, Shape, Target, id_keys
from tokentrail.semconv.genai import USAGE_METADATA
from tokentrail.semconv.providers import PROVIDER_ALIASES

__all__ = ["LANGSMITH", "RUN_JSON_FIELDS", "RUN_METADATA_PREFIX", "RUN_TAGS", "RUN_TEXT_FIELDS", "RUN_TYPES"]

#: ``langsmith.span.kind`` (the run type) -> span kind.
RUN_TYPES: Mapping[str, str] = {
    "llm": "llm",
    "chain": "chain",
    "tool": "tool",
    "retriever": "retrieval",
    "embedding": "embedding",
    "prompt": "chain",
    "parser": "chain",
}

#: A run's fields (runs API) and the attribute LangSmith's OTel exporter writes each to, as text, so a run
#: sent to the runs API reads as one sent over OTLP (:mod:`tokentrail.ingest.langsmith_runs`).
RUN_TEXT_FIELDS: Mapping[str, str] = {
    "run_type": "langsmith.span.kind",
    "name": "langsmith.trace.name",
    "session_name": "langsmith.trace.session_name",
    "session_id": "langsmith.trace.session_id",
}
#: A run's payload fields and their attribute, holding the field's whole JSON.
RUN_JSON_FIELDS: Mapping[str, str] = {"inputs": "gen_ai.prompt", "outputs": "gen_ai.completion"}
#: A run's ``extra.metadata`` keys go under this prefix; its tags, comma-joined, in :data:`RUN_TAGS`.
RUN_METADATA_PREFIX = "langsmith.metadata."
RUN_TAGS = "langsmith.span.tags"

LANGSMITH = Convention(
    "langsmith",
    (
        Rule("langsmith.span.kind", Target.KIND, values=RUN_TYPES),
        Rule("langsmith.trace.name", Target.TRACE_NAME),
        Rule(RUN_TAGS, Target.TAGS, encoding=Encoding.CSV),
        # {'cache_read': 5, 'cache_creation': 2, 'audio': 0} and {'reasoning': 7, 'audio': 0}.
        Rule(
            "gen_ai.usage.input_token_details",
            Target.OBJECT,
            encoding=Encoding.PYTHON,
            fields=(
                Rule("cache_read", Target.USAGE, key="cache_read"),
                Rule("cache_creation", Target.USAGE, key="cache_write"),
                Rule("audio", Target.USAGE, key="audio_in"),
            ),
        ),
        Rule(
            "gen_ai.usage.output_token_details",
            Target.OBJECT,
            encoding=Encoding.PYTHON,
            fields=(
                Rule("reasoning", Target.USAGE, key="reasoning"),
                Rule("audio", Target.USAGE, key="audio_out"),
            ),
        ),
    ),
    families=(
        Family(
            RUN_METADATA_PREFIX,
            Target.METADATA,
            Shape.MAP,
            keys=(
                *id_keys(),
                # LangChain's standard tracing metadata on chat model runs.
                Rule("ls_provider", Target.PROVIDER, values=PROVIDER_ALIASES),
                Rule("ls_model_name", Target.REQUEST_MODEL),
                # A run's usage stated in its metadata (runs API), as a JSON object.
                Rule("usage_metadata", Target.OBJECT, encoding=Encoding.JSON, fields=USAGE_METADATA),
            ),
        ),
    ),
)
