"""Langfuse's OpenTelemetry attributes (``langfuse.*``), as a table.

The Langfuse SDK (v3+) exports OTLP spans with ``langfuse.observation.*`` and ``langfuse.trace.*``; its
usage and cost are JSON objects with free-form keys. Langfuse's own usage keys are *disjoint*: ``input``
counts the input tokens that were neither read from nor written to a cache (its LangChain handler
subtracts every ``input_token_details`` entry; its server subtracts cache from input and reasoning from
output), so those rows say what they exclude and the engine adds the parts back. The OpenAI usage object
the SDK's OpenAI wrapper sends as is (``prompt_tokens`` with ``prompt_tokens_details``) counts cached
tokens inside, like tokentrail. Anthropic's raw spellings (``cache_read_input_tokens``) are outside
Anthropic's ``input_tokens``.

Sources: PyPI ``langfuse`` 5.0.4 ``langfuse/_client/attributes.py`` (attribute names; v5 JSON-encodes every
metadata value), ``langfuse/openai.py`` (``_parse_usage``), ``langfuse/langchain/CallbackHandler.py``
(``_parse_usage_model``); langfuse/langfuse ``packages/shared/src/server/otel/OtelIngestionProcessor.ts``
(the server's fallbacks for user, session and tags).
"""

from __future__ import annotations

from collections.abc import Mapping

from tokentrail.semconv.common import Convention, Encoding, Family, Rule, Shape, Target

__all__ = ["LANGFUSE", "LANGFUSE_METADATA", "OBSERVATION_TYPES"]

#: ``langfuse.observation.type`` -> span kind. ``span`` and ``event`` say nothing about what ran.
OBSERVATION_TYPES: Mapping[str, str] = {
    "generation": "llm",
    "embedding": "embedding",
    "agent": "agent",
    "tool": "tool",
    "chain": "chain",
    "retriever": "retrieval",
    "evaluator": "evaluator",
    "guardrail": "guardrail",
    "span": "other",
    "event": "other",
}

_INPUT_PARTS = ("cache_read", "cache_write", "audio_in")
_OUTPUT_PARTS = ("reasoning", "audio_out")

#: Keys of ``langfuse.observation.usage_details``: Langfuse's own, the LangChain handler's
#: (``input_<detail>``), the OpenAI usage object (Chat Completions and Responses) and Anthropic's.
_USAGE_DETAILS = (
    Rule("input", Target.USAGE, key="input", excludes=_INPUT_PARTS),
    Rule("output", Target.USAGE, key="output", excludes=_OUTPUT_PARTS),
    Rule("prompt_tokens", Target.USAGE, key="input"),
    Rule("completion_tokens", Target.USAGE, key="output"),
    Rule("input_tokens", Target.USAGE, key="input"),
    Rule("output_tokens", Target.USAGE, key="output"),
    Rule("input_cached_tokens", Target.USAGE, key="cache_read"),
    Rule("input_cache_read", Target.USAGE, key="cache_read"),
    Rule("prompt_tokens_details.cached_tokens", Target.USAGE, key="cache_read"),
    Rule("input_tokens_details.cached_tokens", Target.USAGE, key="cache_read"),
    Rule("cache_read_input_tokens", Target.USAGE, key="cache_read", additive=True),
    Rule("input_cache_creation", Target.USAGE, key="cache_write"),
    Rule("input_cache_write", Target.USAGE, key="cache_write"),
    Rule("cache_creation_input_tokens", Target.USAGE, key="cache_write", additive=True),
    Rule("output_reasoning_tokens", Target.USAGE, key="reasoning"),
    Rule("output_reasoning", Target.USAGE, key="reasoning"),
    Rule("completion_tokens_details.reasoning_tokens", Target.USAGE, key="reasoning"),
    Rule("output_tokens_details.reasoning_tokens", Target.USAGE, key="reasoning"),
    Rule("input_audio_tokens", Target.USAGE, key="audio_in"),
    Rule("input_audio", Target.USAGE, key="audio_in"),
    Rule("prompt_tokens_details.audio_tokens", Target.USAGE, key="audio_in"),
    Rule("output_audio_tokens", Target.USAGE, key="audio_out"),
    Rule("output_audio", Target.USAGE, key="audio_out"),
    Rule("completion_tokens_details.audio_tokens", Target.USAGE, key="audio_out"),
)

#: Keys of ``langfuse.observation.cost_details`` (USD): one per usage type, disjoint, plus the total.
_COST_DETAILS = (
    Rule("total", Target.COST, key="total"),
    Rule("input", Target.COST, key="input"),
    Rule("output", Target.COST, key="output"),
    Rule("input_cached_tokens", Target.COST, key="cache_read"),
    Rule("input_cache_read", Target.COST, key="cache_read"),
    Rule("cache_read_input_tokens", Target.COST, key="cache_read"),
    Rule("input_cache_creation", Target.COST, key="cache_write"),
    Rule("input_cache_write", Target.COST, key="cache_write"),
    Rule("cache_creation_input_tokens", Target.COST, key="cache_write"),
    Rule("output_reasoning_tokens", Target.COST, key="reasoning"),
    Rule("output_reasoning", Target.COST, key="reasoning"),
    Rule("input_audio_tokens", Target.COST, key="audio_in"),
    Rule("output_audio_tokens", Target.COST, key="audio_out"),
)

#: Metadata keys the Langfuse server reads as trace fields (values JSON-encoded by the v5 SDK).
_METADATA_KEYS = (
    Rule("langfuse_session_id", Target.SESSION_ID),
    Rule("langfuse_user_id", Target.USER_ID),
    Rule("langfuse_tags", Target.TAGS),
)

LANGFUSE = Convention(
    "langfuse",
    (
        Rule("langfuse.observation.type", Target.KIND, values=OBSERVATION_TYPES),
        Rule("langfuse.observation.model.name", Target.RESPONSE_MODEL),
        Rule(
            "langfuse.observation.usage_details", Target.OBJECT, encoding=Encoding.JSON, fields=_USAGE_DETAILS
        ),
        Rule(
            "langfuse.observation.cost_details", Target.OBJECT, encoding=Encoding.JSON, fields=_COST_DETAILS
        ),
        Rule("langfuse.observation.input", Target.INPUT),
        Rule("langfuse.observation.output", Target.OUTPUT),
        # DEBUG, DEFAULT, WARNING or ERROR: only ERROR fails the span; the level is kept either way.
        Rule("langfuse.observation.level", Target.ERROR, values={"ERROR": "error"}, keep=True),
        Rule("langfuse.observation.status_message", Target.ERROR_MESSAGE, keep=True),
        Rule("langfuse.trace.name", Target.TRACE_NAME),
        Rule("langfuse.user.id", Target.USER_ID),
        Rule("langfuse.session.id", Target.SESSION_ID),
        Rule("langfuse.trace.tags", Target.TAGS),
        Rule("langfuse.tags", Target.TAGS),
        # The trace's input and output, set on its root span; an observation's own win.
        Rule("langfuse.trace.input", Target.INPUT),
        Rule("langfuse.trace.output", Target.OUTPUT),
    ),
)

#: The metadata maps, whose ``langfuse_*`` keys name the session, user and tags. They rank below every
#: explicit id (``session.id``, ``gen_ai.conversation.id``), as on the Langfuse server, so they sit in
#: :data:`tokentrail.semconv.normalize.PRECEDENCE` after the GenAI conventions.
LANGFUSE_METADATA = Convention(
    "langfuse metadata",
    (),
    families=(
        Family(
            "langfuse.observation.metadata.",
            Target.METADATA,
            Shape.MAP,
            keys=_METADATA_KEYS,
            encoding=Encoding.JSON,
        ),
        Family(
            "langfuse.trace.metadata.",
            Target.METADATA,
            Shape.MAP,
            keys=_METADATA_KEYS,
            encoding=Encoding.JSON,
        ),
        Family("langfuse.metadata.", Target.METADATA, Shape.MAP, encoding=Encoding.JSON),
    ),
)
