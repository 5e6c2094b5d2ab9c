"""App scenarios over the real ``openai`` client and the stand-in OpenAI API, shared by the tests of the
instrumentations that trace that client: each scripts the stand-in's replies, makes the app's calls inside
a root span ``turn`` (with a session and a user) and returns that span and what the app got back, for the
test to check what its instrumentation and tokentrail made of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from providers.openai_api import EmbeddingReply, OpenAIAPI, Reply, ToolCall

if TYPE_CHECKING:
    from opentelemetry.trace import Span
    from tests.compat.conftest import Exported

#: The model the stand-in says served the ``gpt-4o-mini`` calls.
GPT_4O_MINI = "gpt-4o-mini-2024-07-18"
USER = "ana@example.com"

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}

#: A tool span for the model's tool call: its name and attributes, from the call the client received.
ToolSpan = Callable[[Any], tuple[str, dict[str, Any]]]


@contextmanager
def instrumenting(instrumentor: Any, exported: Exported) -> Iterator[Exported]:
    """``instrumentor`` instrumenting onto the test's tracer provider for the duration of the block."""
    instrumentor.instrument(tracer_provider=exported.provider)
    try:
        yield exported
    finally:
        instrumentor.uninstrument()


def turn(exported: Exported, session: str, user: str = USER) -> Any:
    """The app's root span (a context manager), carrying the session and the user."""
    return exported.provider.get_tracer("app").start_as_current_span(
        "turn", attributes={"session.id": session, "user.id": user}
    )


def ask_with_cached_prompt(exported: Exported, openai_api: OpenAIAPI, *, session: str) -> Span:
    """A system and a user message answered from 1200 prompt tokens, 1000 of them cached, and 80
    completion tokens."""
    openai_api.reply(
        Reply(
            text="Cached prompts are cheaper.",
            model=GPT_4O_MINI,
            prompt_tokens=1200,
            completion_tokens=80,
            cached_tokens=1000,
        )
    )
    with turn(exported, session) as root:
        openai_api.client().chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Why is a cached prompt cheaper?"},
            ],
        )
    return root


def stream_a_short_answer(exported: Exported, openai_api: OpenAIAPI, *, session: str) -> tuple[Span, str]:
    """A streamed chat completion asking for its usage (300 prompt tokens, 128 cached, 40 completion
    tokens) in a final chunk; returns the root span and the text the app put together."""
    openai_api.reply(
        Reply(
            text="Streamed, chunk by chunk.",
            model=GPT_4O_MINI,
            prompt_tokens=300,
            completion_tokens=40,
            cached_tokens=128,
        )
    )
    with turn(exported, session) as root:
        stream = openai_api.client().chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "Stream a short answer."}],
            stream=True,
            stream_options={"include_usage": True},
        )
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    return root, text


def tool_round_trip(
    exported: Exported, openai_api: OpenAIAPI, *, session: str, tool_span: ToolSpan
) -> tuple[Span, ToolCall, Any]:
    """Ask (150 prompt, 20 completion tokens), run the ``get_weather`` tool the model asked for in the
    span ``tool_span`` describes, ask again (190 and 12). Returns the root span, the scripted tool call
    and the tool call the client received."""
    call = ToolCall("get_weather", {"city": "Paris"})
    openai_api.reply(
        Reply(text=None, tool_calls=[call], model=GPT_4O_MINI, prompt_tokens=150, completion_tokens=20),
        Reply(text="It is sunny in Paris.", model=GPT_4O_MINI, prompt_tokens=190, completion_tokens=12),
    )
    client = openai_api.client()
    tracer = exported.provider.get_tracer("app")
    with turn(exported, session) as root:
        messages: list[Any] = [{"role": "user", "content": "What is the weather in Paris?"}]
        first = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[WEATHER_TOOL])
        (requested,) = first.choices[0].message.tool_calls
        messages.append(first.choices[0].message.model_dump(exclude_none=True))
        name, attributes = tool_span(requested)
        with tracer.start_as_current_span(name, attributes=attributes):
            messages.append({"role": "tool", "tool_call_id": requested.id, "content": "sunny"})
        client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[WEATHER_TOOL])
    return root, call, requested


def embed(exported: Exported, openai_api: OpenAIAPI, *, session: str) -> tuple[Span, Any]:
    """One input embedded by ``text-embedding-3-small`` (6 prompt tokens, 4 dimensions); returns the root
    span and the client's result."""
    openai_api.reply(EmbeddingReply(model="text-embedding-3-small", prompt_tokens=6, dimensions=4))
    with turn(exported, session) as root:
        result = openai_api.client().embeddings.create(
            model="text-embedding-3-small", input="tokentrail stores traces"
        )
    return root, result


def reason(exported: Exported, openai_api: OpenAIAPI, *, session: str) -> Span:
    """An ``o4-mini`` call with low reasoning effort: 500 prompt tokens, 900 completion tokens of which
    768 are reasoning."""
    openai_api.reply(
        Reply(
            text="42.",
            model="o4-mini-2025-04-16",
            prompt_tokens=500,
            completion_tokens=900,
            reasoning_tokens=768,
        )
    )
    with turn(exported, session) as root:
        openai_api.client().chat.completions.create(
            model="o4-mini",
            messages=[{"role": "user", "content": "Think hard, answer briefly."}],
            reasoning_effort="low",
        )
    return root
