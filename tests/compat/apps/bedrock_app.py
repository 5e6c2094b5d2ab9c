"""Claude on Amazon Bedrock through ``boto3``, traced by ``opentelemetry-instrumentation-botocore``, as a user
sets it up: ``BotocoreInstrumentor().instrument()`` with the global tracer provider, and a ``bedrock-runtime``
client (here with ``endpoint_url`` set to the stand-in, ``STAND_IN_URL``, dummy credentials and a region).

The app opens its own root span, ``support turn``, with ``session.id`` and ``user.id`` (``BEDROCK_SESSION``,
``BEDROCK_USER``); the instrumentation writes neither. ``BEDROCK_MODEL`` is the model id (an inference profile
such as ``us.anthropic.claude-haiku-4-5-20251001-v1:0``). ``BEDROCK_SCENARIO`` says what the turn does:

- ``tool_turn``: ``Converse`` with a cached system prompt (a ``cachePoint``), extended thinking and one tool;
  the app runs the tool in its own ``execute_tool`` span and answers with a second ``Converse``.
- ``stream``: one ``ConverseStream`` with the cached system prompt, read to its end.
- ``invoke``: ``InvokeModel`` twice with an Anthropic Messages body whose system prompt has
  ``cache_control``: the first call writes the cache, the second reads it.
- ``invoke_stream``: ``InvokeModelWithResponseStream`` once with that body, read to its end.
- ``refused``: one ``Converse`` the API refuses (the test scripts no reply, so the stand-in answers 400
  ``ValidationException``); the app catches the ``ClientError``.

``BEDROCK_HOOK`` adds a ``response_hook`` to the instrumentor for InvokeModel, since the instrumentation keeps
only ``input_tokens`` and ``output_tokens`` of an Anthropic body's usage: ``attributes`` writes the body's
cache counts as ``gen_ai.usage.cache_read.input_tokens`` and ``gen_ai.usage.cache_creation.input_tokens``
(the names the instrumentation writes for Converse); ``raw`` writes the whole ``usage`` object as JSON in
``gen_ai.usage.raw``. ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`` is the instrumentation's own
switch for message content (which it emits as log records, not on the span).

The app reports the trace id and what each response said (usage, stop reason, text), so the test can check
the stand-in's answers arrived whole.
"""

from __future__ import annotations

import io
import json
import os
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from common import report, stand_in_url, trace_id_of, tracer_provider
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor

ROOT = "support turn"
SYSTEM = "You answer questions about the weather. " * 200
QUESTION = "Is it sunny in Lisbon?"
ANTHROPIC_VERSION = "bedrock-2023-05-31"
WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "inputSchema": {
            "json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        },
    }
}


def _client() -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=stand_in_url(),
        region_name="us-east-1",
        aws_access_key_id="AKIDSTANDIN",
        aws_secret_access_key="stand-in-secret",
        config=Config(retries={"total_max_attempts": 1}),
    )


def _usage_hook(how: str) -> Any:
    """A response hook putting InvokeModel's Anthropic ``usage`` on the span ``how`` says, leaving the body
    readable for the app."""

    def hook(span: Any, service: str, operation: str, result: Any) -> None:
        if service != "bedrock-runtime" or operation != "InvokeModel" or not result or "body" not in result:
            return
        content = result["body"].read()
        result["body"] = StreamingBody(io.BytesIO(content), len(content))
        usage = json.loads(content).get("usage") or {}
        if how == "raw":
            span.set_attribute("gen_ai.usage.raw", json.dumps(usage))
            return
        span.set_attribute("gen_ai.usage.cache_read.input_tokens", usage.get("cache_read_input_tokens", 0))
        span.set_attribute(
            "gen_ai.usage.cache_creation.input_tokens", usage.get("cache_creation_input_tokens", 0)
        )

    return hook


def tool_turn(client: Any, model: str, tracer: Any) -> list[dict[str, Any]]:
    system = [{"text": SYSTEM}, {"cachePoint": {"type": "default"}}]
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"text": QUESTION}]}]
    options: dict[str, Any] = {
        "modelId": model,
        "system": system,
        "toolConfig": {"tools": [WEATHER_TOOL]},
        "inferenceConfig": {"maxTokens": 2048},
        "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}},
    }
    first = client.converse(messages=messages, **options)
    (tool_use,) = [block["toolUse"] for block in first["output"]["message"]["content"] if "toolUse" in block]
    attributes = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": tool_use["name"],
        "gen_ai.tool.call.id": tool_use["toolUseId"],
    }
    with tracer.start_as_current_span(f"execute_tool {tool_use['name']}", attributes=attributes):
        weather = f"sunny in {tool_use['input']['city']}"
    messages += [
        first["output"]["message"],
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": tool_use["toolUseId"], "content": [{"text": weather}]}}],
        },
    ]
    second = client.converse(messages=messages, **options)
    return [_converse_facts(first), _converse_facts(second)]


def _converse_facts(response: dict[str, Any]) -> dict[str, Any]:
    texts = [block["text"] for block in response["output"]["message"]["content"] if "text" in block]
    return {"usage": response["usage"], "stop_reason": response["stopReason"], "text": "".join(texts)}


def stream(client: Any, model: str, tracer: Any) -> list[dict[str, Any]]:
    response = client.converse_stream(
        modelId=model,
        system=[{"text": SYSTEM}, {"cachePoint": {"type": "default"}}],
        messages=[{"role": "user", "content": [{"text": QUESTION}]}],
        inferenceConfig={"maxTokens": 512, "temperature": 0.2},
    )
    text, usage, stop_reason = "", None, None
    for event in response["stream"]:
        if "contentBlockDelta" in event:
            text += event["contentBlockDelta"]["delta"].get("text", "")
        elif "messageStop" in event:
            stop_reason = event["messageStop"]["stopReason"]
        elif "metadata" in event:
            usage = event["metadata"]["usage"]
    return [{"usage": usage, "stop_reason": stop_reason, "text": text}]


#: An InvokeModel body for Claude: Anthropic's Messages API, the system prompt marked for the cache.
ANTHROPIC_BODY = {
    "anthropic_version": ANTHROPIC_VERSION,
    "max_tokens": 512,
    "system": [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}],
    "messages": [{"role": "user", "content": QUESTION}],
}


def invoke(client: Any, model: str, tracer: Any) -> list[dict[str, Any]]:
    body = json.dumps(ANTHROPIC_BODY)
    facts = []
    for _ in range(2):
        response = client.invoke_model(modelId=model, body=body, contentType="application/json")
        message = json.loads(response["body"].read())
        texts = [block["text"] for block in message["content"] if block["type"] == "text"]
        facts.append(
            {"usage": message["usage"], "stop_reason": message["stop_reason"], "text": "".join(texts)}
        )
    return facts


def invoke_stream(client: Any, model: str, tracer: Any) -> list[dict[str, Any]]:
    response = client.invoke_model_with_response_stream(modelId=model, body=json.dumps(ANTHROPIC_BODY))
    text, usage, stop_reason = "", {}, None
    for event in response["body"]:
        chunk = json.loads(event["chunk"]["bytes"])
        if chunk["type"] == "message_start":
            usage = chunk["message"]["usage"]
        elif chunk["type"] == "content_block_delta" and chunk["delta"]["type"] == "text_delta":
            text += chunk["delta"]["text"]
        elif chunk["type"] == "message_delta":
            usage = {**usage, **chunk["usage"]}
            stop_reason = chunk["delta"]["stop_reason"]
    return [{"usage": usage, "stop_reason": stop_reason, "text": text}]


def refused(client: Any, model: str, tracer: Any) -> list[dict[str, Any]]:
    try:
        client.converse(modelId=model, messages=[{"role": "user", "content": [{"text": QUESTION}]}])
    except ClientError as error:
        return [{"error": error.response["Error"]["Code"], "message": error.response["Error"]["Message"]}]
    raise AssertionError("the stand-in was expected to refuse the call")


SCENARIOS = {
    "tool_turn": tool_turn,
    "stream": stream,
    "invoke": invoke,
    "invoke_stream": invoke_stream,
    "refused": refused,
}


def main() -> None:
    provider = tracer_provider("bedrock-app")
    scenario = os.environ["BEDROCK_SCENARIO"]
    how = os.environ.get("BEDROCK_HOOK")
    BotocoreInstrumentor().instrument(response_hook=_usage_hook(how) if how else None)
    tracer = provider.get_tracer("bedrock-app")
    client = _client()
    attributes = {"session.id": os.environ["BEDROCK_SESSION"], "user.id": os.environ["BEDROCK_USER"]}
    with tracer.start_as_current_span(ROOT, attributes=attributes) as root:
        calls = SCENARIOS[scenario](client, os.environ["BEDROCK_MODEL"], tracer)
    report({"trace_id": trace_id_of(root), "calls": calls}, provider)


if __name__ == "__main__":
    main()
