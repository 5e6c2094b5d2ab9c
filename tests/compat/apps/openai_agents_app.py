"""An OpenAI Agents SDK app traced by OpenInference: an agent with one function tool, run with
``Runner.run_sync`` against the stand-in OpenAI Responses API.

The Agents SDK traces through its own trace processors; ``OpenAIAgentsInstrumentor`` replaces them with
one that writes OpenTelemetry spans (by default it is the only one, so the SDK's own exporter, which would
POST every trace to api.openai.com, is gone).

How the session and the user reach the trace is chosen by ``COMPAT_AGENTS_SESSION``:

- ``context`` (default): OpenInference's ``using_session`` / ``using_user`` (and ``using_metadata``,
  ``using_tags``) around the run, which put ``session.id`` and ``user.id`` (``metadata``, ``tag.tags``) on
  every span the instrumentation starts;
- ``root-span``: the app's own root span carrying them, the agent's trace inside it.

Either way the run is inside the SDK's ``trace(workflow_name, group_id=..., metadata=...)``.
``COMPAT_AGENTS_API`` picks the model API: ``responses`` (default) or ``chat_completions``;
``COMPAT_AGENTS_INSTRUMENT_OPENAI=1`` also instruments the ``openai`` client (openinference-instrumentation-
openai), so each model call has a second span, the client's, inside the SDK's.
"""

from __future__ import annotations

import os
from contextlib import ExitStack

from agents import (
    Agent,
    Runner,
    function_tool,
    set_default_openai_api,
    set_default_openai_client,
    trace,
)
from agents.tracing import get_trace_provider
from common import report, stand_in_url, trace_id_of, tracer_provider
from openai import AsyncOpenAI
from openinference.instrumentation import using_metadata, using_session, using_tags, using_user
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor

SESSION = "s-agents"
USER = "ana@example.com"
GROUP = "thread-agents-1"
TICKET = "T-1001"
WORKFLOW = "Weather workflow"


@function_tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"sunny in {city}"


def main() -> None:
    provider = tracer_provider("openai-agents-app")
    OpenAIAgentsInstrumentor().instrument(tracer_provider=provider)
    if os.environ.get("COMPAT_AGENTS_INSTRUMENT_OPENAI"):  # the openai client's calls too, one layer down
        from openinference.instrumentation.openai import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=provider)
    # use_for_tracing=False: the key must not become the SDK's trace-export key either.
    client = AsyncOpenAI(base_url=stand_in_url() + "/v1", api_key="test", max_retries=0)
    set_default_openai_client(client, use_for_tracing=False)
    set_default_openai_api(os.environ.get("COMPAT_AGENTS_API", "responses"))  # type: ignore[arg-type]

    agent = Agent(
        name="Weather agent",
        instructions="Answer with the weather.",
        model="gpt-5-mini",
        tools=[get_weather],
    )
    facts: dict[str, object] = {}
    with ExitStack() as stack:
        if os.environ.get("COMPAT_AGENTS_SESSION", "context") == "root-span":
            root = stack.enter_context(
                provider.get_tracer("app").start_as_current_span(
                    "conversation", attributes={"session.id": SESSION, "user.id": USER}
                )
            )
            facts["trace_id"] = trace_id_of(root)
        else:
            stack.enter_context(using_session(SESSION))
            stack.enter_context(using_user(USER))
            stack.enter_context(using_metadata({"customer": "acme"}))
            stack.enter_context(using_tags(["weather"]))
        with trace(WORKFLOW, group_id=GROUP, metadata={"ticket": TICKET}) as agents_trace:
            try:
                facts["final_output"] = Runner.run_sync(agent, "What's the weather in Paris?").final_output
            except Exception as error:  # a refused model call: the run fails, its spans say so
                facts["error"] = f"{type(error).__name__}: {error}"
        facts["agents_trace_id"] = agents_trace.trace_id
    # The SDK's processors (a private list, read as the instrumentor reads it): OpenInference's alone, the
    # SDK's exporter to api.openai.com is gone.
    processors = getattr(getattr(get_trace_provider(), "_multi_processor", None), "_processors", ())
    facts["trace_processors"] = [type(processor).__name__ for processor in processors]
    report(facts, provider)


if __name__ == "__main__":
    main()
