"""Pydantic Logfire's and pydantic-ai's own attributes, beside the GenAI names both write, as a table.

Both emit OpenTelemetry GenAI attributes (read by :data:`tokentrail.semconv.genai.GENAI`), with input
tokens that include cached ones. What they add: the call's cost as genai-prices computed it
(``operation.cost``), usage details under ``gen_ai.usage.details.<key>`` (pydantic-ai's
``RequestUsage.details`` plus back-compatible copies of the cache counts), Logfire's tags and the raw
request and response of its OpenAI and Anthropic integrations. This table ranks below the GenAI ones, so
``gen_ai.input.messages`` wins over the raw ``request_data`` when both are there. Agent-run spans state
the run's summed usage as ``gen_ai.aggregated_usage.*``, which no rule reads: the calls below count.

Sources: PyPI ``pydantic-ai-slim`` 2.68.0 and 2.78.0 ``pydantic_ai/usage.py`` (``opentelemetry_attributes``),
``pydantic_ai/models/google.py`` (``_usage_metadata_as_usage``: Gemini's details),
``pydantic_ai/_instrumentation.py`` and ``capabilities/instrumentation.py`` (``operation.cost``,
``final_result``, ``pydantic_ai.all_messages``); ``logfire-sdk`` 5.4.0 (``request_data``,
``response_data``, ``logfire.tags``).
"""

from __future__ import annotations

from tokentrail.semconv.common import Convention, Rule, Target

__all__ = ["LOGFIRE"]

_DETAILS = "gen_ai.usage.details."

LOGFIRE = Convention(
    "logfire",
    (
        Rule("operation.cost", Target.COST, key="total"),
        Rule(_DETAILS + "cache_read_tokens", Target.USAGE, key="cache_read"),
        Rule(_DETAILS + "cache_write_tokens", Target.USAGE, key="cache_write"),
        Rule(_DETAILS + "reasoning_tokens", Target.USAGE, key="reasoning"),
        Rule(_DETAILS + "input_audio_tokens", Target.USAGE, key="audio_in"),
        Rule(_DETAILS + "output_audio_tokens", Target.USAGE, key="audio_out"),
        # Gemini's usageMetadata as pydantic-ai's GoogleModel names it: thoughts inside output, the
        # cached-content count inside input, and the per-modality counts inside their wholes.
        Rule(_DETAILS + "thoughts_tokens", Target.USAGE, key="reasoning"),
        Rule(_DETAILS + "cached_content_tokens", Target.USAGE, key="cache_read"),
        Rule(_DETAILS + "audio_prompt_tokens", Target.USAGE, key="audio_in"),
        Rule(_DETAILS + "image_prompt_tokens", Target.USAGE, key="image_in"),
        Rule(_DETAILS + "audio_candidates_tokens", Target.USAGE, key="audio_out"),
        Rule("logfire.tags", Target.TAGS),
        Rule("request_data", Target.INPUT),
        Rule("pydantic_ai.all_messages", Target.INPUT),
        # Kept raw too: when gen_ai.output.messages outranks it, the usage in it is still read (enrich).
        Rule("response_data", Target.OUTPUT, keep=True),
        Rule("final_result", Target.OUTPUT),
    ),
)
