"""OpenTelemetry GenAI semantic conventions (``gen_ai.*``), as tables.

:data:`GENAI` holds the current names (v1.37+ and the unreleased semantic-conventions-genai main) and the
``gen_ai.client.inference.operation.details`` event; :data:`GENAI_DEPRECATED` holds names that were
renamed or removed, the per-message events that preceded ``gen_ai.input.messages``, and the spellings
OpenLLMetry used before it adopted the dotted cache names. Usage follows the conventions' own rule: input
tokens include cached ones, output tokens include reasoning ones, which is also tokentrail's meaning.

Sources: open-telemetry/semantic-conventions v1.41.1 ``model/gen-ai/{registry,spans,events}.yaml`` and
``deprecated/*.yaml``; open-telemetry/semantic-conventions-genai main ``model/gen-ai/registry.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from tokentrail.semconv.common import Convention, Event, Rule, Target
from tokentrail.semconv.providers import PROVIDER_ALIASES

__all__ = ["GENAI", "GENAI_DEPRECATED", "OPERATION_KINDS", "USAGE_METADATA"]

#: ``gen_ai.operation.name`` -> span kind.
OPERATION_KINDS: Mapping[str, str] = {
    "chat": "llm",
    "text_completion": "llm",
    "generate_content": "llm",
    "embeddings": "embedding",
    "execute_tool": "tool",
    "invoke_agent": "agent",
    "create_agent": "agent",
    "retrieval": "retrieval",
    "invoke_workflow": "chain",
    # semantic-conventions-genai main: an agent's planning step, and memory stores (a search reads like
    # a retrieval; the writes are storage operations).
    "plan": "chain",
    # The Vercel AI SDK v7's GenAI integration: one step of an agent loop (it repeats the step's usage).
    "agent_step": "chain",
    "search_memory": "retrieval",
    "create_memory": "db",
    "update_memory": "db",
    "upsert_memory": "db",
    "delete_memory": "db",
    "create_memory_store": "db",
    "delete_memory_store": "db",
    # OpenLLMetry's custom operation for @task spans.
    "execute_task": "chain",
}

GENAI = Convention(
    "gen_ai",
    (
        Rule("gen_ai.operation.name", Target.KIND, values=OPERATION_KINDS),
        Rule("gen_ai.provider.name", Target.PROVIDER, values=PROVIDER_ALIASES),
        Rule("gen_ai.request.model", Target.REQUEST_MODEL),
        Rule("gen_ai.response.model", Target.RESPONSE_MODEL),
        Rule("gen_ai.response.id", Target.RESPONSE_ID),
        Rule("gen_ai.usage.input_tokens", Target.USAGE, key="input"),
        Rule("gen_ai.usage.output_tokens", Target.USAGE, key="output"),
        Rule("gen_ai.usage.cache_read.input_tokens", Target.USAGE, key="cache_read"),
        # cache_write is main's name (#440); cache_creation is what v1.40-v1.41 released.
        Rule("gen_ai.usage.cache_write.input_tokens", Target.USAGE, key="cache_write"),
        Rule("gen_ai.usage.cache_creation.input_tokens", Target.USAGE, key="cache_write"),
        Rule("gen_ai.usage.reasoning.output_tokens", Target.USAGE, key="reasoning"),
        # The anthropic SDK's own: the part of the cache write made with a one-hour lifetime.
        Rule("anthropic.usage.cache_creation.ephemeral_1h_input_tokens", Target.USAGE, key="cache_write_1h"),
        # main: per-modality counts (parts of input/output; the text ones have no canonical key).
        Rule("gen_ai.usage.audio.input_tokens", Target.USAGE, key="audio_in"),
        Rule("gen_ai.usage.image.input_tokens", Target.USAGE, key="image_in"),
        Rule("gen_ai.usage.audio.output_tokens", Target.USAGE, key="audio_out"),
        Rule("gen_ai.conversation.id", Target.SESSION_ID),
        Rule("gen_ai.input.messages", Target.INPUT),
        Rule("gen_ai.output.messages", Target.OUTPUT),
        Rule("gen_ai.system_instructions", Target.SYSTEM_INSTRUCTIONS),
        # Tool spans: the call's arguments and result are its input and output.
        Rule("gen_ai.tool.call.arguments", Target.INPUT),
        Rule("gen_ai.tool.call.result", Target.OUTPUT),
        # Retrieval and memory spans: the query in, the documents or records out.
        Rule("gen_ai.retrieval.query.text", Target.INPUT),
        Rule("gen_ai.retrieval.documents", Target.OUTPUT),
        Rule("gen_ai.memory.query.text", Target.INPUT),
        Rule("gen_ai.memory.records", Target.OUTPUT),
        Rule("gen_ai.workflow.name", Target.TRACE_NAME),
        # Names, not kinds: a span that carries only a tool or agent name is probably that kind. The tool
        # name is also the span's tool_name (kept raw too, as the attribute it was sent as).
        Rule("gen_ai.tool.name", Target.TOOL_NAME, implies="tool", hint=True, keep=True),
        Rule("gen_ai.agent.name", Target.KIND, implies="agent", hint=True, keep=True),
    ),
    events=(
        # The current event: every span attribute again, content included, as structured values.
        Event("gen_ai.client.inference.operation.details", carrier=True),
    ),
)

#: Attributes of the per-message events that describe the event, not the message.
_EVENT_ENVELOPE = ("gen_ai.system", "gen_ai.provider.name")
#: Azure AI Inference (and Semantic Kernel) put the whole message in one JSON attribute.
_EVENT_CONTENT = "gen_ai.event.content"

#: LangChain's UsageMetadata (input including cached tokens), with the stated cost LangSmith adds to it.
USAGE_METADATA = (
    Rule("input_tokens", Target.USAGE, key="input"),
    Rule("output_tokens", Target.USAGE, key="output"),
    Rule("input_token_details.cache_read", Target.USAGE, key="cache_read"),
    Rule("input_token_details.cache_creation", Target.USAGE, key="cache_write"),
    Rule("input_token_details.audio", Target.USAGE, key="audio_in"),
    Rule("output_token_details.reasoning", Target.USAGE, key="reasoning"),
    Rule("output_token_details.audio", Target.USAGE, key="audio_out"),
    Rule("total_cost", Target.COST, key="total"),
    Rule("input_cost", Target.COST, key="input"),
    Rule("output_cost", Target.COST, key="output"),
)
#: LangSmith's exporter writes the run's outputs into gen_ai.completion, with a top-level ``usage_metadata``.
_USAGE_METADATA = tuple(
    replace(rule, attribute=f"usage_metadata.{rule.attribute}") for rule in USAGE_METADATA
)

GENAI_DEPRECATED = Convention(
    "gen_ai (deprecated)",
    (
        Rule("gen_ai.system", Target.PROVIDER, values=PROVIDER_ALIASES),
        Rule("gen_ai.usage.prompt_tokens", Target.USAGE, key="input"),
        Rule("gen_ai.usage.completion_tokens", Target.USAGE, key="output"),
        # OpenLLMetry's own spellings: underscores before 0.53.4, reasoning_tokens still today.
        Rule("gen_ai.usage.cache_read_input_tokens", Target.USAGE, key="cache_read"),
        Rule("gen_ai.usage.cache_creation_input_tokens", Target.USAGE, key="cache_write"),
        Rule("gen_ai.usage.reasoning_tokens", Target.USAGE, key="reasoning"),
        # Removed in v1.28 (the values moved to events, then to gen_ai.*.messages). LangSmith still writes
        # a run's whole inputs and outputs here.
        Rule("gen_ai.prompt", Target.INPUT),
        Rule("gen_ai.completion", Target.OUTPUT, fields=_USAGE_METADATA),
    ),
    events=(
        # v1.26-v1.27: the prompt and completion as span events carrying gen_ai.prompt / gen_ai.completion.
        Event("gen_ai.content.prompt", carrier=True),
        Event("gen_ai.content.completion", carrier=True),
        # v1.28-v1.36: one event per message; replaced by gen_ai.input.messages / gen_ai.output.messages.
        Event("gen_ai.system.message", Target.INPUT, "system", content=_EVENT_CONTENT, drop=_EVENT_ENVELOPE),
        Event("gen_ai.user.message", Target.INPUT, "user", content=_EVENT_CONTENT, drop=_EVENT_ENVELOPE),
        Event(
            "gen_ai.assistant.message",
            Target.INPUT,
            "assistant",
            content=_EVENT_CONTENT,
            drop=_EVENT_ENVELOPE,
        ),
        Event("gen_ai.tool.message", Target.INPUT, "tool", content=_EVENT_CONTENT, drop=_EVENT_ENVELOPE),
        Event("gen_ai.choice", Target.OUTPUT, content=_EVENT_CONTENT, drop=_EVENT_ENVELOPE),
    ),
)
