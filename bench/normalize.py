"""Normalize throughput per convention: OTLP/protobuf spans decoded and normalized per second, by shape.

For each convention tokentrail reads, builds N spans of the trace that convention's instrumentation
typically sends for one agent turn (a chain or agent parent, an LLM call that asks for a tool, the tool, a
second LLM call that answers), as real ``ExportTraceServiceRequest`` payloads: realistic attribute sets
and value sizes (a system prompt, a question, a tool result and an answer of a few hundred characters
each, tool calls, usage with cache and reasoning counts, resource attributes, the instrumentation's scope
names), 512 spans per request as OTLP exporters batch them. It then times ``decode_request`` and
``normalize`` over them on one core, best of several runs, the shapes interleaved so that a noisy
neighbour hurts them all alike. Baseline, measured in the same run: the plain OpenInference shape. The
target is that no convention normalizes at less than half the OpenInference rate.

After the timing, every span of the first requests is checked against what it must normalize to (kind,
exact canonical usage, provider, model, input, output, session), so no shape can be fast by mapping
to nothing.

    python bench/normalize.py [--spans N] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtlpSpan

from tokentrail.export.otlp_encode import key_values
from tokentrail.ingest.otlp import PROTOBUF, decode_request
from tokentrail.model import Span
from tokentrail.semconv import normalize

TARGET_RATIO = 0.5
BASELINE = "openinference"
INTERNAL, SERVER, CLIENT = OtlpSpan.SPAN_KIND_INTERNAL, OtlpSpan.SPAN_KIND_SERVER, OtlpSpan.SPAN_KIND_CLIENT

# -- one agent turn: the content every shape carries, in its own convention's form ----------------------

SYSTEM = (
    "You are Acme Cloud's support assistant. Answer questions about billing, API keys and deployments "
    "using only the tools you are given. If a question needs account data, call lookup_account first. "
    "Keep answers under 150 words, cite the docs page you used, and never reveal another customer's data "
    "or internal ticket notes."
)
QUESTIONS = (
    "Hi, our production deploys started failing this morning with 'API key expired' even though I rotated "
    "the key last week from the dashboard. Account is {account}. Can you check what is going on and tell me "
    "how to fix it without downtime?",
    "We were charged twice for the Team plan this month (invoice 2026-11 and an extra one on the 28th). "
    "Account {account}. Is the second charge a mistake, and if so how long does a refund take?",
    "Our staging environment on account {account} keeps scaling down to zero overnight and the first "
    "request in the morning times out after 30 s. Is there a setting to keep one instance warm?",
)
ANSWER = (
    "The key you rotated on 24 November (key_9f2c) was created with the default 7-day expiry, so it "
    "expired yesterday at 09:12 UTC and your deploy pipeline is still sending it. To fix it without "
    "downtime: 1) create a new key under Settings > API keys with a 90-day expiry and the deploy scope, "
    "2) add it to your CI secrets next to the old one, 3) redeploy, then 4) revoke key_9f2c. Account "
    "{account} has no other expired keys. Docs: https://docs.acme.example/keys#rotation"
)
TOOL_NAME = "lookup_account"
TOOL_DESCRIPTION = "Look up an Acme Cloud account: plan, status and API keys (never secrets)."
TOOL_SCHEMA = {
    "type": "object",
    "properties": {
        "account_id": {"type": "string", "description": "The account id, e.g. acme-1842"},
        "fields": {"type": "array", "items": {"type": "string", "enum": ["plan", "status", "api_keys"]}},
    },
    "required": ["account_id"],
}


@dataclass(frozen=True, slots=True)
class Usage:
    """One LLM call's usage in canonical meaning: input includes cache, output includes reasoning."""

    input: int
    output: int
    cache_read: int
    cache_write: int
    reasoning: int

    def canonical(self, *keys: str) -> dict[str, int]:
        return {key: getattr(self, key) for key in ("input", "output", *keys)}


@dataclass(frozen=True, slots=True)
class Turn:
    question: str
    answer: str
    account: str
    call_id: str
    arguments: str  # the tool call's arguments, JSON
    result: str  # the tool's result, JSON
    first: Usage  # the call that asks for the tool
    second: Usage  # the call that answers
    session: str
    user: str
    response_ids: tuple[str, str]


def make_turn(rng: random.Random) -> Turn:
    account = f"acme-{rng.randrange(1000, 9999)}"
    arguments = json.dumps({"account_id": account, "fields": ["plan", "status", "api_keys"]})
    result = json.dumps(
        {
            "account_id": account,
            "plan": "team",
            "status": "active",
            "api_keys": [
                {
                    "id": "key_9f2c",
                    "created": "2026-11-24T09:12:03Z",
                    "expires": "2026-11-30T09:12:03Z",
                    "scopes": ["deploy", "read"],
                    "last_used": "2026-12-01T07:58:41Z",
                },
                {"id": "key_41ab", "created": "2026-06-02T14:40:19Z", "expires": None, "scopes": ["read"]},
            ],
        }
    )

    def usage(base: int) -> Usage:
        prompt = base + rng.randrange(0, 600)
        output = rng.randrange(60, 700)
        return Usage(prompt, output, prompt // 2 // 64 * 64, 0, rng.randrange(0, output // 2))

    return Turn(
        question=rng.choice(QUESTIONS).format(account=account),
        answer=ANSWER.format(account=account),
        account=account,
        call_id=f"call_{rng.randbytes(12).hex()}",
        arguments=arguments,
        result=result,
        first=usage(900),
        second=usage(1300),
        session=f"sess_{rng.randbytes(8).hex()}",
        user=f"user_{rng.randrange(100_000)}",
        response_ids=(rng.randbytes(12).hex(), rng.randbytes(12).hex()),
    )


def openai_messages(turn: Turn, *, answered: bool) -> list[dict[str, Any]]:
    """Chat Completions messages: the first call's, or the second's (with the tool call and its result)."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": turn.question},
    ]
    if answered:
        messages += [
            openai_tool_call(turn),
            {"role": "tool", "tool_call_id": turn.call_id, "content": turn.result},
        ]
    return messages


def openai_tool_call(turn: Turn) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": turn.call_id,
                "type": "function",
                "function": {"name": TOOL_NAME, "arguments": turn.arguments},
            }
        ],
    }


def openai_reply(turn: Turn, *, answered: bool) -> dict[str, Any]:
    return {"role": "assistant", "content": turn.answer} if answered else openai_tool_call(turn)


def openai_usage(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input,
        "completion_tokens": usage.output,
        "total_tokens": usage.input + usage.output,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning, "audio_tokens": 0},
    }


def openai_tools() -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": TOOL_SCHEMA},
        }
    ]


def genai_input(turn: Turn, *, answered: bool) -> list[dict[str, Any]]:
    """OTel GenAI ``gen_ai.input.messages`` (parts), without the system instructions."""
    messages: list[dict[str, Any]] = [{"role": "user", "parts": [{"type": "text", "content": turn.question}]}]
    if answered:
        messages += [
            {"role": "assistant", "parts": [genai_tool_call(turn)]},
            {
                "role": "tool",
                "parts": [{"type": "tool_call_response", "id": turn.call_id, "result": turn.result}],
            },
        ]
    return messages


def genai_tool_call(turn: Turn) -> dict[str, Any]:
    return {
        "type": "tool_call",
        "id": turn.call_id,
        "name": TOOL_NAME,
        "arguments": json.loads(turn.arguments),
    }


def genai_output(turn: Turn, *, answered: bool, reasoning: str = "") -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"type": "reasoning", "content": reasoning}] if reasoning else []
    if answered:
        parts.append({"type": "text", "content": turn.answer})
    else:
        parts.append(genai_tool_call(turn))
    return [{"role": "assistant", "parts": parts, "finish_reason": "stop" if answered else "tool_call"}]


def genai_system() -> list[dict[str, str]]:
    return [{"type": "text", "content": SYSTEM}]


OPENAI_MODEL, OPENAI_RESPONSE_MODEL = "o4-mini", "o4-mini-2025-04-16"
ANTHROPIC_MODEL, ANTHROPIC_RESPONSE_MODEL = "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"

# -- a trace, as span specs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expect:
    """What one span must normalize to (None: not checked)."""

    kind: str
    usage: dict[str, int] | None = None  # exact; {} for aggregate spans whose usage is kept raw
    provider: str | None = None
    model: bool = False  # a request or response model
    input: bool = False
    output: bool = False
    session: str | None = None
    cost: bool = False  # a reported cost


@dataclass(slots=True)
class SpanSpec:
    name: str
    parent: int  # index in the trace, -1 for the root
    scope: str
    attributes: dict[str, Any]
    expect: Expect
    kind: int = INTERNAL
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def llm_expect(
    usage: Usage, keys: tuple[str, ...], provider: str | None, session: str | None = None, cost: bool = False
) -> Expect:
    return Expect(
        "llm",
        usage.canonical(*keys),
        provider,
        model=True,
        input=True,
        output=True,
        session=session,
        cost=cost,
    )


def tool_expect(*, output: bool = True, session: str | None = None) -> Expect:
    return Expect("tool", input=True, output=output, session=session)


# (1) OpenInference, as openinference-instrumentation-langchain writes an agent run.
def openinference(turn: Turn) -> list[SpanSpec]:
    scope = "openinference.instrumentation.langchain"
    metadata = json.dumps({"thread_id": turn.session, "tenant": "acme", "ls_run_depth": 0})

    def llm(answered: bool, usage: Usage) -> SpanSpec:
        messages = openai_messages(turn, answered=answered)
        reply = openai_reply(turn, answered=answered)
        attributes: dict[str, Any] = {
            "openinference.span.kind": "LLM",
            "llm.model_name": OPENAI_RESPONSE_MODEL,
            "llm.provider": "openai",
            "llm.system": "openai",
            "llm.invocation_parameters": json.dumps(
                {
                    "model": OPENAI_MODEL,
                    "reasoning_effort": "medium",
                    "stream": False,
                    "tools": openai_tools(),
                }
            ),
            "input.value": json.dumps({"messages": [messages]}),
            "input.mime_type": "application/json",
            "output.value": json.dumps(
                {
                    "generations": [
                        [{"text": reply["content"] or "", "message": reply, "type": "ChatGeneration"}]
                    ],
                    "llm_output": {"token_usage": openai_usage(usage), "model_name": OPENAI_RESPONSE_MODEL},
                }
            ),
            "output.mime_type": "application/json",
            "llm.tools.0.tool.json_schema": json.dumps(openai_tools()[0]),
            "llm.token_count.prompt": usage.input,
            "llm.token_count.completion": usage.output,
            "llm.token_count.total": usage.input + usage.output,
            "llm.token_count.prompt_details.cache_read": usage.cache_read,
            "llm.token_count.completion_details.reasoning": usage.reasoning,
            "session.id": turn.session,
            "metadata": metadata,
        }
        for index, message in enumerate(messages):
            prefix = f"llm.input_messages.{index}.message."
            attributes[prefix + "role"] = message["role"]
            if message.get("content"):
                attributes[prefix + "content"] = message["content"]
            if message.get("tool_call_id"):
                attributes[prefix + "tool_call_id"] = message["tool_call_id"]
            for call_index, call in enumerate(message.get("tool_calls", ())):
                call_prefix = f"{prefix}tool_calls.{call_index}.tool_call."
                attributes[call_prefix + "id"] = call["id"]
                attributes[call_prefix + "function.name"] = call["function"]["name"]
                attributes[call_prefix + "function.arguments"] = call["function"]["arguments"]
        attributes["llm.output_messages.0.message.role"] = "assistant"
        if answered:
            attributes["llm.output_messages.0.message.content"] = turn.answer
        else:
            call_prefix = "llm.output_messages.0.message.tool_calls.0.tool_call."
            attributes[call_prefix + "id"] = turn.call_id
            attributes[call_prefix + "function.name"] = TOOL_NAME
            attributes[call_prefix + "function.arguments"] = turn.arguments
        return SpanSpec(
            "ChatOpenAI", 0, scope, attributes, llm_expect(usage, ("cache_read", "reasoning"), "openai")
        )

    return [
        SpanSpec(
            "AgentExecutor",
            -1,
            scope,
            {
                "openinference.span.kind": "CHAIN",
                "input.value": json.dumps({"input": turn.question}),
                "input.mime_type": "application/json",
                "output.value": json.dumps({"output": turn.answer}),
                "output.mime_type": "application/json",
                "session.id": turn.session,
                "user.id": turn.user,
                "metadata": metadata,
            },
            Expect("chain", {}, input=True, output=True, session=turn.session),
        ),
        llm(False, turn.first),
        SpanSpec(
            TOOL_NAME,
            0,
            scope,
            {
                "openinference.span.kind": "TOOL",
                "tool.name": TOOL_NAME,
                "tool.description": TOOL_DESCRIPTION,
                "tool.parameters": json.dumps(TOOL_SCHEMA),
                "input.value": turn.arguments,
                "input.mime_type": "application/json",
                "output.value": turn.result,
                "output.mime_type": "application/json",
                "session.id": turn.session,
                "metadata": metadata,
            },
            tool_expect(session=turn.session),
        ),
        llm(True, turn.second),
    ]


# (2) OpenTelemetry GenAI, current names: the anthropic SDK's native spans (tool runner, content mode on).
def genai_current(turn: Turn) -> list[SpanSpec]:
    scope = "com.anthropic.sdk.python"
    keys = ("cache_read", "cache_write", "reasoning")

    def chat(answered: bool, usage: Usage, response_id: str) -> SpanSpec:
        return SpanSpec(
            "anthropic.messages.create",
            0,
            scope,
            {
                "gen_ai.provider.name": "anthropic",
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": ANTHROPIC_MODEL,
                "gen_ai.request.max_tokens": 4096,
                "gen_ai.request.stream": False,
                "gen_ai.conversation.id": turn.session,
                "gen_ai.response.id": f"msg_01{response_id}",
                "gen_ai.response.model": ANTHROPIC_RESPONSE_MODEL,
                "gen_ai.response.finish_reasons": ["end_turn" if answered else "tool_use"],
                "gen_ai.usage.input_tokens": usage.input,
                "gen_ai.usage.output_tokens": usage.output,
                "gen_ai.usage.cache_read.input_tokens": usage.cache_read,
                "gen_ai.usage.cache_write.input_tokens": usage.cache_write,
                "gen_ai.usage.reasoning.output_tokens": usage.reasoning,
                "anthropic.message.stop_reason": "end_turn" if answered else "tool_use",
                "anthropic.thinking.type": "enabled",
                "anthropic.thinking.budget_tokens": 2048,
                "anthropic.request.id": f"req_011C{response_id}",
                "server.address": "api.anthropic.com",
                "server.port": 443,
                "http.request.method": "POST",
                "http.response.status_code": 200,
                "gen_ai.system_instructions": json.dumps(genai_system()),
                "gen_ai.input.messages": json.dumps(genai_input(turn, answered=answered)),
                "gen_ai.output.messages": json.dumps(
                    genai_output(
                        turn, answered=answered, reasoning="The user says deploys fail with an expired key."
                    )
                ),
            },
            llm_expect(usage, keys, "anthropic", turn.session),
            kind=CLIENT,
        )

    first = turn.first
    first = Usage(first.input, first.output, first.cache_read // 2, first.cache_read // 4, first.reasoning)
    return [
        SpanSpec(
            "anthropic.messages.tool_runner",
            -1,
            scope,
            {
                "gen_ai.provider.name": "anthropic",
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.request.model": ANTHROPIC_MODEL,
                "gen_ai.conversation.id": turn.session,
            },
            Expect("agent", {}, "anthropic", model=True, session=turn.session),
        ),
        chat(False, first, turn.response_ids[0]),
        SpanSpec(
            f"anthropic.tool_use {TOOL_NAME}",
            0,
            scope,
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": TOOL_NAME,
                "gen_ai.tool.type": "function",
                "gen_ai.tool.call.id": turn.call_id,
                "gen_ai.tool.call.arguments": turn.arguments,
                "gen_ai.conversation.id": turn.session,
            },
            tool_expect(output=False, session=turn.session),
        ),
        chat(True, turn.second, turn.response_ids[1]),
    ]


# (3) OpenTelemetry GenAI, deprecated names with one span event per message (opentelemetry-instrumentation-
# openai-v2 before gen_ai.input.messages), under a FastAPI server span.
def genai_deprecated(turn: Turn) -> list[SpanSpec]:
    scope = "opentelemetry.instrumentation.openai_v2"
    envelope = {"gen_ai.system": "openai"}

    def chat(answered: bool, usage: Usage, response_id: str) -> SpanSpec:
        events = [
            ("gen_ai.system.message", {**envelope, "content": SYSTEM}),
            ("gen_ai.user.message", {**envelope, "content": turn.question}),
        ]
        call = {
            "id": turn.call_id,
            "type": "function",
            "function": {"name": TOOL_NAME, "arguments": turn.arguments},
        }
        if answered:
            events += [
                ("gen_ai.assistant.message", {**envelope, "tool_calls": [call]}),
                ("gen_ai.tool.message", {**envelope, "id": turn.call_id, "content": turn.result}),
            ]
        message = {"role": "assistant", "content": turn.answer} if answered else {"tool_calls": [call]}
        finish = "stop" if answered else "tool_calls"
        events.append(
            ("gen_ai.choice", {**envelope, "index": 0, "finish_reason": finish, "message": message})
        )
        return SpanSpec(
            f"chat {OPENAI_MODEL}",
            0,
            scope,
            {
                "gen_ai.system": "openai",
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": OPENAI_MODEL,
                "gen_ai.request.max_tokens": 4096,
                "gen_ai.response.model": OPENAI_RESPONSE_MODEL,
                "gen_ai.response.id": f"chatcmpl-{response_id}",
                "gen_ai.response.finish_reasons": [finish],
                "gen_ai.openai.response.service_tier": "default",
                "gen_ai.openai.response.system_fingerprint": "fp_7f1a3e2b9c",
                "gen_ai.usage.prompt_tokens": usage.input,
                "gen_ai.usage.completion_tokens": usage.output,
                "server.address": "api.openai.com",
                "server.port": 443,
            },
            llm_expect(usage, (), "openai"),
            kind=CLIENT,
            events=events,
        )

    return [
        SpanSpec(
            "POST /v1/support/chat",
            -1,
            "opentelemetry.instrumentation.fastapi",
            {
                "http.request.method": "POST",
                "http.route": "/v1/support/chat",
                "url.path": "/v1/support/chat",
                "url.scheme": "https",
                "server.address": "support.acme.example",
                "network.protocol.version": "1.1",
                "client.address": "10.0.3.17",
                "user_agent.original": "acme-web/4.12.0 (+https://acme.example)",
                "http.response.status_code": 200,
            },
            Expect("http"),
            kind=SERVER,
        ),
        chat(False, turn.first, turn.response_ids[0]),
        SpanSpec(
            f"execute_tool {TOOL_NAME}",
            0,
            "support_bot.tools",
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": TOOL_NAME,
                "gen_ai.tool.call.id": turn.call_id,
                "gen_ai.tool.call.arguments": turn.arguments,
                "gen_ai.tool.call.result": turn.result,
            },
            tool_expect(),
        ),
        chat(True, turn.second, turn.response_ids[1]),
    ]


# (4) OpenLLMetry before 0.48 (traceloop-sdk decorators, flattened gen_ai.prompt.N.* messages).
def openllmetry(turn: Turn) -> list[SpanSpec]:
    decorators, openai = "traceloop.tracer", "opentelemetry.instrumentation.openai.v1"
    association = {
        "traceloop.association.properties.session_id": turn.session,
        "traceloop.association.properties.user_id": turn.user,
        "traceloop.association.properties.tenant": "acme",
        "traceloop.workflow.name": "support_agent",
    }

    def chat(answered: bool, usage: Usage, response_id: str) -> SpanSpec:
        attributes: dict[str, Any] = {
            "llm.request.type": "chat",
            "gen_ai.system": "openai",
            "gen_ai.request.model": OPENAI_MODEL,
            "llm.headers": "None",
            "llm.is_streaming": False,
            "gen_ai.openai.api_base": "https://api.openai.com/v1/",
            "llm.request.functions.0.name": TOOL_NAME,
            "llm.request.functions.0.description": TOOL_DESCRIPTION,
            "llm.request.functions.0.parameters": json.dumps(TOOL_SCHEMA),
            "gen_ai.response.model": OPENAI_RESPONSE_MODEL,
            "gen_ai.response.id": f"chatcmpl-{response_id}",
            "gen_ai.openai.system_fingerprint": "fp_7f1a3e2b9c",
            "llm.usage.total_tokens": usage.input + usage.output,
            "gen_ai.usage.completion_tokens": usage.output,
            "gen_ai.usage.prompt_tokens": usage.input,
            "gen_ai.usage.cache_read_input_tokens": usage.cache_read,
            **association,
        }
        for index, message in enumerate(openai_messages(turn, answered=answered)):
            prefix = f"gen_ai.prompt.{index}."
            attributes[prefix + "role"] = message["role"]
            if message.get("content"):
                attributes[prefix + "content"] = message["content"]
            if message.get("tool_call_id"):
                attributes[prefix + "tool_call_id"] = message["tool_call_id"]
            for call_index, call in enumerate(message.get("tool_calls", ())):
                call_prefix = f"{prefix}tool_calls.{call_index}."
                attributes[call_prefix + "id"] = call["id"]
                attributes[call_prefix + "name"] = call["function"]["name"]
                attributes[call_prefix + "arguments"] = call["function"]["arguments"]
        attributes["gen_ai.completion.0.finish_reason"] = "stop" if answered else "tool_calls"
        attributes["gen_ai.completion.0.role"] = "assistant"
        if answered:
            attributes["gen_ai.completion.0.content"] = turn.answer
        else:
            attributes["gen_ai.completion.0.tool_calls.0.id"] = turn.call_id
            attributes["gen_ai.completion.0.tool_calls.0.name"] = TOOL_NAME
            attributes["gen_ai.completion.0.tool_calls.0.arguments"] = turn.arguments
        return SpanSpec(
            "openai.chat",
            0,
            openai,
            attributes,
            llm_expect(usage, ("cache_read",), "openai", turn.session),
            CLIENT,
        )

    return [
        SpanSpec(
            "support_agent.workflow",
            -1,
            decorators,
            {
                "traceloop.span.kind": "workflow",
                "traceloop.entity.name": "support_agent",
                "traceloop.entity.input": json.dumps({"args": [turn.question], "kwargs": {}}),
                "traceloop.entity.output": json.dumps(turn.answer),
                **association,
            },
            Expect("chain", {}, input=True, output=True, session=turn.session),
        ),
        chat(False, turn.first, turn.response_ids[0]),
        SpanSpec(
            f"{TOOL_NAME}.tool",
            0,
            decorators,
            {
                "traceloop.span.kind": "tool",
                "traceloop.entity.name": TOOL_NAME,
                "traceloop.entity.path": "support_agent",
                "traceloop.entity.input": json.dumps({"args": [], "kwargs": json.loads(turn.arguments)}),
                "traceloop.entity.output": turn.result,
                **association,
            },
            tool_expect(session=turn.session),
        ),
        chat(True, turn.second, turn.response_ids[1]),
    ]


# (5) Langfuse SDK v5: @observe agent, generations with usage_details / cost_details, a tool.
def langfuse(turn: Turn) -> list[SpanSpec]:
    scope = "langfuse-sdk"
    common = {
        "langfuse.environment": "production",
        "langfuse.release": "2026.11.3",
        "langfuse.version": "support-agent@3",
    }

    def generation(answered: bool, usage: Usage) -> SpanSpec:
        uncached, visible = usage.input - usage.cache_read, usage.output - usage.reasoning
        usage_details = {
            "input": uncached,
            "input_cache_read": usage.cache_read,
            "output": visible,
            "output_reasoning": usage.reasoning,
            "total": usage.input + usage.output,
        }
        costs = {
            "input": round(uncached * 1.1e-6, 8),
            "input_cache_read": round(usage.cache_read * 0.275e-6, 8),
            "output": round(visible * 4.4e-6, 8),
            "output_reasoning": round(usage.reasoning * 4.4e-6, 8),
        }
        costs["total"] = round(sum(costs.values()), 8)
        return SpanSpec(
            "OpenAI-generation",
            0,
            scope,
            {
                "langfuse.observation.type": "generation",
                "langfuse.observation.model.name": OPENAI_RESPONSE_MODEL,
                "langfuse.observation.model.parameters": json.dumps(
                    {"max_completion_tokens": 4096, "reasoning_effort": "medium"}
                ),
                "langfuse.observation.input": json.dumps(openai_messages(turn, answered=answered)),
                "langfuse.observation.output": json.dumps(openai_reply(turn, answered=answered)),
                "langfuse.observation.usage_details": json.dumps(usage_details),
                "langfuse.observation.cost_details": json.dumps(costs),
                "langfuse.observation.completion_start_time": json.dumps("2026-12-01T08:02:11.418000+00:00"),
                "langfuse.observation.metadata.prompt_name": json.dumps("support-system"),
                "langfuse.observation.metadata.tools": json.dumps([TOOL_NAME]),
                "langfuse.observation.prompt.name": "support-system",
                "langfuse.observation.prompt.version": 7,
                **common,
            },
            llm_expect(usage, ("cache_read", "reasoning"), None, cost=True),
        )

    return [
        SpanSpec(
            "support-agent",
            -1,
            scope,
            {
                "langfuse.observation.type": "agent",
                "langfuse.trace.name": "support-agent",
                "user.id": turn.user,
                "session.id": turn.session,
                "langfuse.trace.tags": ["support", "production"],
                "langfuse.trace.metadata.tenant": json.dumps("acme"),
                "langfuse.trace.metadata.plan": json.dumps("team"),
                "langfuse.trace.metadata.channel": json.dumps({"kind": "web", "widget": "help-center"}),
                "langfuse.trace.input": json.dumps({"question": turn.question}),
                "langfuse.trace.output": json.dumps({"answer": turn.answer}),
                "langfuse.observation.input": json.dumps({"args": [turn.question], "kwargs": {}}),
                "langfuse.observation.output": json.dumps(turn.answer),
                **common,
            },
            Expect("agent", {}, input=True, output=True, session=turn.session),
        ),
        generation(False, turn.first),
        SpanSpec(
            TOOL_NAME,
            0,
            scope,
            {
                "langfuse.observation.type": "tool",
                "langfuse.observation.input": json.dumps({"args": [], "kwargs": json.loads(turn.arguments)}),
                "langfuse.observation.output": turn.result,
                **common,
            },
            tool_expect(),
        ),
        generation(True, turn.second),
    ]


# (6) LangSmith SDK in OTel mode: a LangChain agent run (chain, chat model, tool).
def langsmith(turn: Turn) -> list[SpanSpec]:
    scope = "langsmith"
    run_ids = [f"01937c5e-{index:04x}-7b1e-9a42-{turn.response_ids[0][:12]}" for index in range(4)]
    common = {
        "langsmith.trace.session_name": "support-bot-prod",
        "langsmith.trace.id": run_ids[0],
        "langsmith.metadata.thread_id": turn.session,
        "langsmith.metadata.tenant": "acme",
        "langsmith.metadata.revision_id": "v2026.11.3-4-gd4ce04d",
        "langsmith.span.tags": "support, production",
    }

    def ids(index: int) -> dict[str, str]:
        order = ".".join(
            f"20261201T080211{418000 + i:06d}Z{run_ids[i]}" for i in ([0, index] if index else [0])
        )
        return {"langsmith.span.id": run_ids[index], "langsmith.span.dotted_order": order}

    def chat(index: int, answered: bool, usage: Usage) -> SpanSpec:
        reply = openai_reply(turn, answered=answered)
        usage_metadata = {
            "input_tokens": usage.input,
            "output_tokens": usage.output,
            "total_tokens": usage.input + usage.output,
            "input_token_details": {"audio": 0, "cache_read": usage.cache_read},
            "output_token_details": {"audio": 0, "reasoning": usage.reasoning},
        }
        return SpanSpec(
            "ChatOpenAI",
            0,
            scope,
            {
                "langsmith.span.kind": "llm",
                "gen_ai.operation.name": "chat",
                "gen_ai.system": "openai",
                "gen_ai.request.model": OPENAI_MODEL,
                "gen_ai.response.model": OPENAI_RESPONSE_MODEL,
                "gen_ai.usage.input_tokens": usage.input,
                "gen_ai.usage.output_tokens": usage.output,
                "gen_ai.usage.total_tokens": usage.input + usage.output,
                "gen_ai.usage.input_token_details": str({"audio": 0, "cache_read": usage.cache_read}),
                "gen_ai.usage.output_token_details": str({"audio": 0, "reasoning": usage.reasoning}),
                "langsmith.metadata.ls_provider": "openai",
                "langsmith.metadata.ls_model_name": OPENAI_MODEL,
                "langsmith.metadata.ls_model_type": "chat",
                "langsmith.span.parent_id": run_ids[0],
                "gen_ai.prompt": json.dumps({"messages": [openai_messages(turn, answered=answered)]}),
                "gen_ai.completion": json.dumps(
                    {
                        "generations": [
                            [{"text": reply["content"] or "", "type": "ChatGeneration", "message": reply}]
                        ],
                        "llm_output": {"model_name": OPENAI_RESPONSE_MODEL},
                        "usage_metadata": usage_metadata,
                    }
                ),
                **ids(index),
                **common,
            },
            llm_expect(usage, ("cache_read", "reasoning"), "openai", turn.session),
        )

    return [
        SpanSpec(
            "AgentExecutor",
            -1,
            scope,
            {
                "langsmith.span.kind": "chain",
                "gen_ai.operation.name": "chain",
                "langsmith.trace.name": "AgentExecutor",
                "gen_ai.prompt": json.dumps({"input": turn.question}),
                "gen_ai.completion": json.dumps({"output": turn.answer}),
                **ids(0),
                **common,
            },
            Expect("chain", {}, input=True, output=True, session=turn.session),
        ),
        chat(1, False, turn.first),
        SpanSpec(
            TOOL_NAME,
            0,
            scope,
            {
                "langsmith.span.kind": "tool",
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": TOOL_NAME,
                "langsmith.span.parent_id": run_ids[0],
                "gen_ai.prompt": json.dumps({"input": turn.arguments}),
                "gen_ai.completion": json.dumps({"output": turn.result}),
                **ids(2),
                **common,
            },
            tool_expect(session=turn.session),
        ),
        chat(3, True, turn.second),
    ]


# (7) Vercel AI SDK v6 (ai.* names): generateText with one tool step.
def vercel(turn: Turn) -> list[SpanSpec]:
    scope = "ai"
    telemetry = {
        "ai.model.id": OPENAI_MODEL,
        "ai.model.provider": "openai.responses",
        "ai.telemetry.functionId": "support-chat",
        "ai.telemetry.metadata.userId": turn.user,
        "ai.telemetry.metadata.sessionId": turn.session,
        "ai.telemetry.metadata.tenant": "acme",
        "ai.settings.maxRetries": 2,
    }

    tool_call = {
        "type": "tool-call",
        "toolCallId": turn.call_id,
        "toolName": TOOL_NAME,
        "input": turn.arguments,
    }

    def messages(answered: bool) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": [{"type": "text", "text": turn.question}]},
        ]
        if answered:
            items += [
                {"role": "assistant", "content": [tool_call]},
                {
                    "role": "tool",
                    "content": [
                        {
                            "type": "tool-result",
                            "toolCallId": turn.call_id,
                            "toolName": TOOL_NAME,
                            "output": {"type": "json", "value": json.loads(turn.result)},
                        }
                    ],
                },
            ]
        return items

    def usage_attributes(usage: Usage) -> dict[str, int]:
        return {
            "ai.usage.inputTokens": usage.input,
            "ai.usage.outputTokens": usage.output,
            "ai.usage.totalTokens": usage.input + usage.output,
            "ai.usage.inputTokenDetails.noCacheTokens": usage.input - usage.cache_read,
            "ai.usage.inputTokenDetails.cacheReadTokens": usage.cache_read,
            "ai.usage.outputTokenDetails.textTokens": usage.output - usage.reasoning,
            "ai.usage.outputTokenDetails.reasoningTokens": usage.reasoning,
            "ai.usage.cachedInputTokens": usage.cache_read,
            "ai.usage.reasoningTokens": usage.reasoning,
        }

    def step(answered: bool, usage: Usage, response_id: str) -> SpanSpec:
        finish = "stop" if answered else "tool-calls"
        attributes: dict[str, Any] = {
            "operation.name": "ai.generateText.doGenerate support-chat",
            "resource.name": "support-chat",
            "ai.operationId": "ai.generateText.doGenerate",
            **telemetry,
            "ai.prompt.messages": json.dumps(messages(answered)),
            "ai.prompt.tools": [
                json.dumps(
                    {
                        "type": "function",
                        "name": TOOL_NAME,
                        "description": TOOL_DESCRIPTION,
                        "inputSchema": TOOL_SCHEMA,
                    }
                )
            ],
            "ai.prompt.toolChoice": json.dumps({"type": "auto"}),
            "ai.response.finishReason": finish,
            "ai.response.id": f"resp_{response_id}",
            "ai.response.model": OPENAI_RESPONSE_MODEL,
            "ai.response.timestamp": "2026-12-01T08:02:11.418Z",
            "ai.response.providerMetadata": json.dumps(
                {"openai": {"responseId": f"resp_{response_id}", "serviceTier": "default"}}
            ),
            **usage_attributes(usage),
            "gen_ai.system": "openai.responses",
            "gen_ai.request.model": OPENAI_MODEL,
            "gen_ai.response.finish_reasons": [finish],
            "gen_ai.response.id": f"resp_{response_id}",
            "gen_ai.response.model": OPENAI_RESPONSE_MODEL,
            "gen_ai.usage.input_tokens": usage.input,
            "gen_ai.usage.output_tokens": usage.output,
        }
        if answered:
            attributes["ai.response.text"] = turn.answer
        else:
            attributes["ai.response.toolCalls"] = json.dumps([tool_call])
        return SpanSpec(
            "ai.generateText.doGenerate",
            0,
            scope,
            attributes,
            llm_expect(usage, ("cache_read", "reasoning"), "openai", turn.session),
            CLIENT,
        )

    total = Usage(*(a + b for a, b in zip(vars_of(turn.first), vars_of(turn.second), strict=True)))
    return [
        SpanSpec(
            "ai.generateText",
            -1,
            scope,
            {
                "operation.name": "ai.generateText support-chat",
                "resource.name": "support-chat",
                "ai.operationId": "ai.generateText",
                **telemetry,
                "ai.prompt": json.dumps({"system": SYSTEM, "prompt": turn.question}),
                "ai.response.text": turn.answer,
                "ai.response.finishReason": "stop",
                "ai.response.providerMetadata": json.dumps({"openai": {"serviceTier": "default"}}),
                **usage_attributes(total),
            },
            Expect("agent", {}, "openai", model=True, input=True, output=True, session=turn.session),
        ),
        step(False, turn.first, turn.response_ids[0]),
        SpanSpec(
            "ai.toolCall",
            0,
            scope,
            {
                "operation.name": "ai.toolCall support-chat",
                "resource.name": "support-chat",
                "ai.operationId": "ai.toolCall",
                "ai.telemetry.functionId": "support-chat",
                "ai.telemetry.metadata.sessionId": turn.session,
                "ai.toolCall.name": TOOL_NAME,
                "ai.toolCall.id": turn.call_id,
                "ai.toolCall.args": turn.arguments,
                "ai.toolCall.result": turn.result,
            },
            tool_expect(session=turn.session),
        ),
        step(True, turn.second, turn.response_ids[1]),
    ]


def vars_of(usage: Usage) -> tuple[int, ...]:
    return (usage.input, usage.output, usage.cache_read, usage.cache_write, usage.reasoning)


def mlflow_json(value: Any) -> str:
    return json.dumps(value)


# (8) MLflow tracing 3: an @mlflow.trace agent over mlflow.openai.autolog() calls and a traced tool.
def mlflow(turn: Turn) -> list[SpanSpec]:
    scope = "mlflow.tracing.fluent"
    request_id = mlflow_json(f"tr-{turn.response_ids[0]}{turn.response_ids[1][:8]}")

    def completions(answered: bool, usage: Usage, response_id: str) -> SpanSpec:
        reply = openai_reply(turn, answered=answered)
        return SpanSpec(
            "Completions",
            0,
            scope,
            {
                "mlflow.traceRequestId": request_id,
                "mlflow.spanType": mlflow_json("LLM"),
                "mlflow.spanInputs": mlflow_json(
                    {
                        "messages": openai_messages(turn, answered=answered),
                        "model": OPENAI_MODEL,
                        "tools": openai_tools(),
                    }
                ),
                "mlflow.spanOutputs": mlflow_json(
                    {
                        "id": f"chatcmpl-{response_id}",
                        "object": "chat.completion",
                        "created": 1796112131,
                        "model": OPENAI_RESPONSE_MODEL,
                        "choices": [
                            {
                                "index": 0,
                                "message": reply,
                                "finish_reason": "stop" if answered else "tool_calls",
                            }
                        ],
                        "usage": openai_usage(usage),
                        "service_tier": "default",
                    }
                ),
                "mlflow.chat.tokenUsage": mlflow_json(
                    {
                        "input_tokens": usage.input,
                        "output_tokens": usage.output,
                        "total_tokens": usage.input + usage.output,
                        "cache_read_input_tokens": usage.cache_read,
                    }
                ),
                "mlflow.chat.tools": mlflow_json(openai_tools()),
                "mlflow.message.format": mlflow_json("openai"),
                "mlflow.llm.model": mlflow_json(OPENAI_MODEL),
                "mlflow.llm.provider": mlflow_json("openai"),
                "mlflow.spanFunctionName": mlflow_json("create"),
            },
            llm_expect(usage, ("cache_read",), "openai"),
        )

    return [
        SpanSpec(
            "answer_question",
            -1,
            scope,
            {
                "mlflow.traceRequestId": request_id,
                "mlflow.spanType": mlflow_json("AGENT"),
                "mlflow.spanFunctionName": mlflow_json("answer_question"),
                "mlflow.spanInputs": mlflow_json({"question": turn.question}),
                "mlflow.spanOutputs": mlflow_json(turn.answer),
                "session.id": turn.session,
                "user.id": turn.user,
            },
            Expect("agent", {}, input=True, output=True, session=turn.session),
        ),
        completions(False, turn.first, turn.response_ids[0]),
        SpanSpec(
            TOOL_NAME,
            0,
            scope,
            {
                "mlflow.traceRequestId": request_id,
                "mlflow.spanType": mlflow_json("TOOL"),
                "mlflow.spanFunctionName": mlflow_json(TOOL_NAME),
                "mlflow.spanInputs": mlflow_json(json.loads(turn.arguments)),
                "mlflow.spanOutputs": mlflow_json(json.loads(turn.result)),
            },
            tool_expect(),
        ),
        completions(True, turn.second, turn.response_ids[1]),
    ]


# (9) pydantic-ai agent, instrumented by Logfire together with its OpenAI client (logfire.instrument_openai):
# each pydantic-ai chat span has the logfire.openai request span under it.
def logfire(turn: Turn) -> list[SpanSpec]:
    agent_scope, openai_scope = "pydantic-ai", "logfire.openai"
    schema = json.dumps({"type": "object", "properties": {"gen_ai.input.messages": {"type": "array"}}})

    def chat(answered: bool, usage: Usage, response_id: str) -> SpanSpec:
        cost = round(
            (usage.input - usage.cache_read) * 1.1e-6 + usage.cache_read * 0.275e-6 + usage.output * 4.4e-6, 8
        )
        return SpanSpec(
            f"chat {OPENAI_MODEL}",
            0,
            agent_scope,
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.system": "openai",
                "gen_ai.request.model": OPENAI_MODEL,
                "server.address": "api.openai.com",
                "server.port": 443,
                "model_request_parameters": json.dumps(
                    {
                        "function_tools": [{"name": TOOL_NAME, "parameters_json_schema": TOOL_SCHEMA}],
                        "allow_text_output": True,
                    }
                ),
                "gen_ai.tool.definitions": json.dumps(openai_tools()),
                "gen_ai.system_instructions": json.dumps(genai_system()),
                "gen_ai.input.messages": json.dumps(genai_input(turn, answered=answered)),
                "gen_ai.output.messages": json.dumps(genai_output(turn, answered=answered)),
                "gen_ai.response.model": OPENAI_RESPONSE_MODEL,
                "gen_ai.response.id": f"chatcmpl-{response_id}",
                "gen_ai.response.finish_reasons": ["stop" if answered else "tool_call"],
                "gen_ai.usage.input_tokens": usage.input,
                "gen_ai.usage.output_tokens": usage.output,
                "gen_ai.usage.cache_read.input_tokens": usage.cache_read,
                "gen_ai.usage.details.reasoning_tokens": usage.reasoning,
                "gen_ai.usage.details.cache_read_tokens": usage.cache_read,
                "gen_ai.usage.details.accepted_prediction_tokens": 0,
                "gen_ai.usage.details.rejected_prediction_tokens": 0,
                "operation.cost": cost,
                "logfire.span_type": "span",
                "logfire.msg": f"chat {OPENAI_MODEL}",
                "logfire.json_schema": schema,
                "logfire.tags": ["support"],
            },
            llm_expect(usage, ("cache_read", "reasoning"), "openai", cost=True),
            CLIENT,
        )

    def request(parent: int, answered: bool, usage: Usage, response_id: str) -> SpanSpec:
        return SpanSpec(
            f"Chat Completion with {OPENAI_MODEL!r}",
            parent,
            openai_scope,
            {
                "logfire.msg_template": "Chat Completion with {request_data[model]!r}",
                "logfire.msg": f"Chat Completion with {OPENAI_MODEL!r}",
                "logfire.span_type": "span",
                "logfire.tags": ["LLM"],
                "logfire.json_schema": json.dumps(
                    {"type": "object", "properties": {"request_data": {"type": "object"}, "async": {}}}
                ),
                "request_data": json.dumps(
                    {
                        "messages": openai_messages(turn, answered=answered),
                        "model": OPENAI_MODEL,
                        "tools": openai_tools(),
                    }
                ),
                "async": True,
                "gen_ai.provider.name": "openai",
                "gen_ai.system": "openai",
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": OPENAI_MODEL,
                "gen_ai.response.model": OPENAI_RESPONSE_MODEL,
                "gen_ai.response.id": f"chatcmpl-{response_id}",
                "gen_ai.usage.input_tokens": usage.input,
                "gen_ai.usage.output_tokens": usage.output,
                "gen_ai.usage.cache_read.input_tokens": usage.cache_read,
                "response_data": json.dumps(
                    {"message": openai_reply(turn, answered=answered), "usage": openai_usage(usage)}
                ),
            },
            llm_expect(usage, ("cache_read",), "openai"),
            CLIENT,
        )

    all_messages = genai_input(turn, answered=True) + genai_output(turn, answered=True)
    return [
        SpanSpec(
            "invoke_agent support_agent",
            -1,
            agent_scope,
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "support_agent",
                "gen_ai.provider.name": "openai",
                "gen_ai.system": "openai",
                "gen_ai.request.model": OPENAI_MODEL,
                "gen_ai.conversation.id": turn.session,
                "logfire.span_type": "span",
                "logfire.msg": "support_agent run",
                "logfire.json_schema": schema,
                "pydantic_ai.all_messages": json.dumps(all_messages),
                "final_result": turn.answer,
                "gen_ai.aggregated_usage.input_tokens": turn.first.input + turn.second.input,
                "gen_ai.aggregated_usage.output_tokens": turn.first.output + turn.second.output,
            },
            Expect("agent", {}, "openai", model=True, input=True, output=True, session=turn.session),
        ),
        chat(False, turn.first, turn.response_ids[0]),
        request(1, False, turn.first, turn.response_ids[0]),
        SpanSpec(
            f"execute_tool {TOOL_NAME}",
            0,
            agent_scope,
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": TOOL_NAME,
                "gen_ai.tool.call.id": turn.call_id,
                "gen_ai.tool.call.arguments": turn.arguments,
                "gen_ai.tool.call.result": turn.result,
                "logfire.span_type": "span",
                "logfire.msg": f"running tool: {TOOL_NAME}",
            },
            tool_expect(),
        ),
        chat(True, turn.second, turn.response_ids[1]),
        request(4, True, turn.second, turn.response_ids[1]),
    ]


@dataclass(frozen=True, slots=True)
class Shape:
    name: str
    build: Callable[[Turn], list[SpanSpec]]
    sdk: str  # telemetry.sdk.language of the resource


SHAPES = (
    Shape("openinference", openinference, "python"),
    Shape("genai_current", genai_current, "python"),
    Shape("genai_deprecated_events", genai_deprecated, "python"),
    Shape("openllmetry_flattened", openllmetry, "python"),
    Shape("langfuse", langfuse, "python"),
    Shape("langsmith", langsmith, "python"),
    Shape("vercel_ai", vercel, "nodejs"),
    Shape("mlflow", mlflow, "python"),
    Shape("logfire_pydantic_ai", logfire, "python"),
)

# -- OTLP payloads ---------------------------------------------------------------------------------------


def resource_attributes(shape: Shape) -> dict[str, Any]:
    return {
        "service.name": f"support-bot-{shape.name.replace('_', '-')}",
        "service.version": "2026.11.3",
        "deployment.environment.name": "production",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.language": shape.sdk,
        "telemetry.sdk.version": "1.38.0" if shape.sdk == "python" else "2.2.0",
        "host.name": "support-bot-7d9c4b8f6-x2lqp",
        "process.pid": 4711,
    }


@dataclass(slots=True)
class Payloads:
    bodies: list[bytes]
    spans: int
    spans_per_trace: int
    expected: dict[str, Expect]  # span id (hex) -> what it must normalize to, for the first requests


def make_payloads(
    shape: Shape, total_spans: int, spans_per_request: int, seed: int, checked: int
) -> Payloads:
    rng = random.Random(seed)
    spans_per_trace = len(shape.build(make_turn(random.Random(0))))
    traces_per_request = max(1, spans_per_request // spans_per_trace)
    traces_left = max(1, total_spans // spans_per_trace)
    start_ns = time.time_ns()
    bodies: list[bytes] = []
    expected: dict[str, Expect] = {}
    spans = 0
    while traces_left > 0:
        request = ExportTraceServiceRequest()
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.extend(key_values(resource_attributes(shape).items()))
        scopes: dict[str, Any] = {}
        for _ in range(min(traces_per_request, traces_left)):
            trace_id = rng.randbytes(16)
            specs = shape.build(make_turn(rng))
            ids = [rng.randbytes(8) for _ in specs]
            for index, spec in enumerate(specs):
                scope_spans = scopes.get(spec.scope)
                if scope_spans is None:
                    scope_spans = scopes[spec.scope] = resource_spans.scope_spans.add()
                    scope_spans.scope.name = spec.scope
                    scope_spans.scope.version = "1.4.2"
                start = start_ns + index * 2_000_000
                scope_spans.spans.append(
                    OtlpSpan(
                        trace_id=trace_id,
                        span_id=ids[index],
                        parent_span_id=ids[spec.parent] if spec.parent >= 0 else b"",
                        name=spec.name,
                        kind=spec.kind,
                        start_time_unix_nano=start,
                        end_time_unix_nano=start + rng.randrange(5_000_000, 4_000_000_000),
                        attributes=key_values(spec.attributes.items()),
                        events=[
                            OtlpSpan.Event(
                                name=name, time_unix_nano=start + 1000, attributes=key_values(attrs.items())
                            )
                            for name, attrs in spec.events
                        ],
                    )
                )
                if len(bodies) < checked:
                    expected[ids[index].hex()] = spec.expect
            spans += len(specs)
            start_ns += 10_000_000
            traces_left -= 1
        bodies.append(request.SerializeToString())
    return Payloads(bodies, spans, spans_per_trace, expected)


# -- timing and checking ---------------------------------------------------------------------------------


def timed_run(bodies: list[bytes]) -> tuple[float, float]:
    """(decode seconds, normalize seconds) for every body, decoded and normalized as the pipeline does."""
    decode_s = normalize_s = 0.0
    clock = time.perf_counter
    for body in bodies:
        started = clock()
        raw_spans = decode_request(body, PROTOBUF).spans
        decoded = clock()
        spans = [normalize(raw, project="bench") for raw in raw_spans]
        normalize_s += clock() - decoded
        decode_s += decoded - started
        del spans
    return decode_s, normalize_s


def problems(shape: Shape, payloads: Payloads, checked: int) -> list[str]:
    found: list[str] = []
    seen = 0
    for body in payloads.bodies[:checked]:
        batch = decode_request(body, PROTOBUF)
        if batch.rejected or batch.warnings:
            found.append(f"{shape.name}: decoder complained: {batch.rejected + batch.warnings}")
        for raw in batch.spans:
            expect = payloads.expected[raw.span_id]
            span = normalize(raw, project="bench")
            seen += 1
            found += [f"{shape.name} / {raw.name}: {problem}" for problem in mismatches(span, expect)]
    if seen != len(payloads.expected):
        found.append(f"{shape.name}: checked {seen} spans, expected {len(payloads.expected)}")
    return found[:20]


def nonzero(usage: dict[str, int]) -> dict[str, int]:
    """Usage without its zero counts (a stated zero and an absent count say the same)."""
    return {key: count for key, count in usage.items() if count}


def mismatches(span: Span, expect: Expect) -> list[str]:
    wrong = []
    if span.kind.value != expect.kind:
        wrong.append(f"kind {span.kind.value!r}, expected {expect.kind!r}")
    if expect.usage is not None and nonzero(span.usage) != nonzero(expect.usage):
        wrong.append(f"usage {span.usage}, expected {expect.usage}")
    if expect.provider is not None and span.provider != expect.provider:
        wrong.append(f"provider {span.provider!r}, expected {expect.provider!r}")
    if expect.model and not (span.request_model or span.response_model):
        wrong.append("no model")
    if expect.input and len(span.input) < 20:
        wrong.append(f"input {span.input!r}")
    if expect.output and len(span.output) < 20:
        wrong.append(f"output {span.output!r}")
    if expect.session is not None and span.session_id != expect.session:
        wrong.append(f"session {span.session_id!r}, expected {expect.session!r}")
    if expect.cost and not span.reported_cost:
        wrong.append("no reported cost")
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=20_000, help="spans per shape (default 20,000)")
    parser.add_argument("--spans-per-request", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each shape; the best is shown")
    parser.add_argument(
        "--checked-requests", type=int, default=2, help="requests per shape checked after timing"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    payloads = {
        shape.name: make_payloads(shape, args.spans, args.spans_per_request, args.seed, args.checked_requests)
        for shape in SHAPES
    }
    for shape in SHAPES:  # warm-up: every table and code path once
        timed_run(payloads[shape.name].bodies[:1])
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeat):  # interleaved, so a noisy neighbour slows every shape alike
        for shape in SHAPES:
            gc.collect()
            decode_s, normalize_s = timed_run(payloads[shape.name].bodies)
            held = best.get(shape.name)
            if held is None or decode_s + normalize_s < sum(held):
                best[shape.name] = (decode_s, normalize_s)

    found = [
        problem
        for shape in SHAPES
        for problem in problems(shape, payloads[shape.name], args.checked_requests)
    ]
    if found:
        print("spans do not normalize as they should; the figures would be meaningless:", file=sys.stderr)
        print("\n".join(found), file=sys.stderr)
        raise SystemExit(1)

    baseline_rate = payloads[BASELINE].spans / sum(best[BASELINE])
    shapes = []
    for shape in SHAPES:
        data = payloads[shape.name]
        decode_s, normalize_s = best[shape.name]
        rate = data.spans / (decode_s + normalize_s)
        shapes.append(
            {
                "shape": shape.name,
                "spans": data.spans,
                "spans_per_trace": data.spans_per_trace,
                "bytes_per_span": round(sum(map(len, data.bodies)) / data.spans),
                "decode_us_per_span": round(decode_s / data.spans * 1e6, 2),
                "normalize_us_per_span": round(normalize_s / data.spans * 1e6, 2),
                "spans_per_s": round(rate),
                "ratio_vs_openinference": round(rate / baseline_rate, 3),
                "meets_target": rate / baseline_rate >= TARGET_RATIO,
            }
        )
    result = {
        "spans_per_shape": args.spans,
        "spans_per_request": args.spans_per_request,
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "baseline": BASELINE,
        "baseline_spans_per_s": round(baseline_rate),
        "target_ratio": TARGET_RATIO,
        "shapes": shapes,
        "meets_target": all(entry["meets_target"] for entry in shapes),
        "checked_spans": sum(len(data.expected) for data in payloads.values()),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
