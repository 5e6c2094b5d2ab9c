"""The Vercel AI SDK's own attributes (``ai.*``, v3 to v7 "legacy"), as a table.

Each SDK call records an outer span (``ai.generateText``: every step, with the usage summed over them) and
one inner span per provider call (``ai.generateText.doGenerate``). The outer span is an agent (v7's
GenAI mode names it ``invoke_agent``), so its summed usage is kept raw by the engine rule for aggregate
kinds; the inner spans are the LLM calls. v7's ``OpenTelemetry()`` integration writes GenAI names, read by
:data:`tokentrail.semconv.genai.GENAI`.

From v5, ``ai.usage.inputTokens`` counts cached tokens for OpenAI-style providers; v6 made it the total
for every provider (``inputTokenDetails.noCacheTokens`` + cache read + cache write). v5's Anthropic
provider reported Anthropic's ``input_tokens`` (cache excluded) there: see the docs' open gaps.

Sources: vercel/ai ``content/docs/03-ai-sdk-core/60-telemetry.mdx`` (the v3 names, ``ai.result.*``, and the
span layout) and the names /work/shared/reference/semconv.md section 5a lists from ai@4.3.19, ai@5.0.0,
ai@6.0.264 and 7.0.77 (``packages/otel/src``).
"""

from __future__ import annotations

from collections.abc import Mapping

from tokentrail.semconv.common import Convention, Family, Rule, Shape, Target, id_keys
from tokentrail.semconv.providers import PROVIDER_ALIASES

__all__ = ["OPERATIONS", "VERCEL"]

#: ``ai.operationId`` -> span kind: the outer calls wrap steps (agent) or batches (chain).
OPERATIONS: Mapping[str, str] = {
    "ai.generateText": "agent",
    "ai.streamText": "agent",
    "ai.generateObject": "agent",
    "ai.streamObject": "agent",
    "ai.generateText.doGenerate": "llm",
    "ai.streamText.doStream": "llm",
    "ai.generateObject.doGenerate": "llm",
    "ai.streamObject.doStream": "llm",
    "ai.toolCall": "tool",
    "ai.embed": "chain",
    "ai.embedMany": "chain",
    "ai.embed.doEmbed": "embedding",
    "ai.embedMany.doEmbed": "embedding",
    "ai.rerank": "chain",
    "ai.rerank.doRerank": "rerank",
}

VERCEL = Convention(
    "vercel ai",
    (
        Rule("ai.operationId", Target.KIND, values=OPERATIONS),
        # "openai.chat", "anthropic.messages", "google.vertex.chat": the provider id, then the API.
        Rule("ai.model.provider", Target.PROVIDER, values=PROVIDER_ALIASES),
        Rule("ai.model.id", Target.REQUEST_MODEL),
        Rule("ai.response.model", Target.RESPONSE_MODEL),
        Rule("ai.response.id", Target.RESPONSE_ID),
        # v5+ names, then v4's (generateObject kept them in v5-v6), then embeddings.
        Rule("ai.usage.inputTokens", Target.USAGE, key="input"),
        Rule("ai.usage.outputTokens", Target.USAGE, key="output"),
        Rule("ai.usage.promptTokens", Target.USAGE, key="input"),
        Rule("ai.usage.completionTokens", Target.USAGE, key="output"),
        Rule("ai.usage.tokens", Target.USAGE, key="input"),
        Rule("ai.usage.inputTokenDetails.cacheReadTokens", Target.USAGE, key="cache_read"),
        Rule("ai.usage.cachedInputTokens", Target.USAGE, key="cache_read"),  # deprecated in v6
        Rule("ai.usage.inputTokenDetails.cacheWriteTokens", Target.USAGE, key="cache_write"),
        Rule("ai.usage.outputTokenDetails.reasoningTokens", Target.USAGE, key="reasoning"),
        Rule("ai.usage.reasoningTokens", Target.USAGE, key="reasoning"),  # deprecated in v6
        Rule("ai.telemetry.functionId", Target.TRACE_NAME),
        # Inputs: the provider call's messages, else the call's prompt, else what was embedded.
        Rule("ai.prompt.messages", Target.INPUT),
        Rule("ai.prompt", Target.INPUT),
        Rule("ai.values", Target.INPUT),
        Rule("ai.value", Target.INPUT),
        Rule("ai.toolCall.args", Target.INPUT),
        # Outputs: text, else the object, else the tool calls (kept raw too: they may sit beside text).
        Rule("ai.response.text", Target.OUTPUT),
        Rule("ai.response.object", Target.OUTPUT),
        Rule("ai.response.toolCalls", Target.OUTPUT, keep=True),
        Rule("ai.result.text", Target.OUTPUT),  # v3
        Rule("ai.result.object", Target.OUTPUT),  # v3
        Rule("ai.result.toolCalls", Target.OUTPUT, keep=True),  # v3
        Rule("ai.toolCall.result", Target.OUTPUT),
        Rule("ai.toolCall.name", Target.TOOL_NAME, implies="tool", hint=True, keep=True),
    ),
    families=(
        # The application's telemetry metadata; Langfuse's conventions name the user, session and tags.
        Family(
            "ai.telemetry.metadata.",
            Target.METADATA,
            Shape.MAP,
            keys=(*id_keys(), Rule("tags", Target.TAGS)),
        ),
        # v7 dropped telemetry metadata: the call's runtimeContext, where includeRuntimeContext lets it.
        Family(
            "ai.settings.context.",
            Target.METADATA,
            Shape.MAP,
            keys=(*id_keys(), Rule("tags", Target.TAGS)),
        ),
    ),
)
