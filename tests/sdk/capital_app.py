"""The app the experiment tests run: it asks a model for a country's capital through the real ``openai``
client, traced by a real instrumentation (opentelemetry-instrumentation-openai-v2), against a stand-in
OpenAI API that answers in the real wire format, deterministically from the question.

Country ``n`` has capital ``City n``. ``gpt-4o-mini`` answers with the city's name alone, wrongly
(``Town n``) for every fifth country; ``gpt-4o`` answers a sentence, always right. Usage: the prompt's words
plus 20, the answer's words.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.sdk.trace import TracerProvider

from providers.loopback import JSONHandler, ScriptedAPI, new_id, serve

COUNTRIES = 50
PROMPTS = {
    "gpt-4o-mini": "Name the capital of {country}.",
    "gpt-4o": "In a sentence: what is the capital of {country}?",
}


def country(n: int) -> str:
    return f"Country {n}"


def capital(n: int) -> str:
    return f"City {n}"


def answer(model: str, n: int) -> str:
    if model == "gpt-4o":
        return f"The capital of {country(n)} is {capital(n)}."
    return f"Town {n}" if n % 5 == 0 else capital(n)


def usage(model: str, n: int) -> tuple[int, int]:
    """(prompt tokens, completion tokens) the stand-in reports for country ``n``."""
    prompt = PROMPTS[model].format(country=country(n))
    return len(prompt.split()) + 20, len(answer(model, n).split())


class _Handler(JSONHandler):
    def do_POST(self) -> None:
        body = self._receive(self.path).body
        model, question = body["model"], body["messages"][-1]["content"]
        n = int(question.rstrip(".?").split()[-1])
        prompt_tokens, completion_tokens = usage(model, n)
        self._send_json(
            {
                "id": new_id("chatcmpl-"),
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer(model, n)},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )


@contextmanager
def capital_api(provider: TracerProvider) -> Iterator[str]:
    """The stand-in's base URL, with the ``openai`` client instrumented onto ``provider`` meanwhile."""
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        with serve(_Handler, ScriptedAPI[Any]) as api:
            yield api.url + "/v1"
    finally:
        instrumentor.uninstrument()


def app(base_url: str, model: str) -> Any:
    """The app function: ``{"country": name}`` -> the model's answer."""
    import openai

    client = openai.OpenAI(base_url=base_url, api_key="test", max_retries=0)

    def ask(question: dict[str, str]) -> str:
        completion = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": PROMPTS[model].format(**question)}]
        )
        return str(completion.choices[0].message.content)

    return ask
