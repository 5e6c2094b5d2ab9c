"""A LangChain chain with a tool, traced by openinference-instrumentation-langchain, over langchain-openai's
``ChatOpenAI`` pointed at a stand-in OpenAI API: chain, prompt, model and tool spans normalized, each model
call priced once, the chains' echoed token usage not counted again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from openinference.instrumentation.langchain import LangChainInstrumentor
from openinference.instrumentation.openai import OpenAIInstrumentor
from pydantic import SecretStr
from tests.compat.conftest import Exported, trace_id_of
from tests.compat.expected import (
    attributed,
    costs,
    named,
    nonzero,
    openai_call,
    openai_cost,
    priced_facts,
    prompt_turns,
    trace_row,
)
from tests.compat.openai_scenarios import instrumenting

from providers import openai_api as stand_in
from providers.openai_api import OpenAIAPI, Reply, ToolCall
from tiktoken_reference import reference_count

openai_api = stand_in.openai_api  # the stand-in OpenAI API, as this module's fixture

MODEL = "gpt-4o-mini-2024-07-18"
FIRST_USAGE = {"input": 1200, "output": 20, "cache_read": 1024}
SECOND_USAGE = {"input": 1250, "output": 12, "cache_read": 1024}


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"sunny in {city}"


@pytest.fixture
def instrumented(exported: Exported) -> Iterator[Exported]:
    """LangChain instrumented by OpenInference for this test only."""
    with instrumenting(LangChainInstrumentor(), exported):
        yield exported


@pytest.fixture
def with_openai_layer(instrumented: Exported) -> Iterator[Exported]:
    """The openai client under ChatOpenAI instrumented by OpenInference too: a second layer per call."""
    with instrumenting(OpenAIInstrumentor(), instrumented):
        yield instrumented


def _weather_turn(exported: Exported, openai_api: OpenAIAPI) -> tuple[Any, ToolCall, str]:
    """prompt | model-with-tools, asked twice around the tool the model calls; returns the root span,
    the scripted tool call and the final answer."""
    call = ToolCall("get_weather", {"city": "Paris"})
    openai_api.reply(
        Reply(
            text=None,
            tool_calls=[call],
            model=MODEL,
            prompt_tokens=FIRST_USAGE["input"],
            completion_tokens=FIRST_USAGE["output"],
            cached_tokens=FIRST_USAGE["cache_read"],
        ),
        Reply(
            text="It is sunny in Paris.",
            model=MODEL,
            prompt_tokens=SECOND_USAGE["input"],
            completion_tokens=SECOND_USAGE["output"],
            cached_tokens=SECOND_USAGE["cache_read"],
        ),
    )
    model = ChatOpenAI(
        model="gpt-4o-mini", base_url=openai_api.base_url, api_key=SecretStr("test"), max_retries=0
    )
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You answer weather questions."), MessagesPlaceholder("history")]
    )
    chain = prompt | model.bind_tools([get_weather])
    with exported.provider.get_tracer("app").start_as_current_span(
        "turn", attributes={"session.id": "s-langchain", "user.id": "ana@example.com"}
    ) as turn:
        history: list[BaseMessage] = [HumanMessage("What is the weather in Paris?")]
        asked = chain.invoke({"history": history})
        history.append(asked)
        history += [get_weather.invoke(requested) for requested in asked.tool_calls]
        answer = chain.invoke({"history": history})
    assert [requested["id"] for requested in asked.tool_calls] == [call.id]
    return turn, call, str(answer.content)


def test_chain_with_a_tool_prices_each_model_call_once(instrumented: Exported, openai_api: OpenAIAPI) -> None:
    turn, call, answer = _weather_turn(instrumented, openai_api)

    assert answer == "It is sunny in Paris."
    tree = instrumented.trace(trace_id_of(turn), spans=8)
    assert [(node["name"], node["depth"]) for node in tree["spans"]] == [
        ("turn", 0),
        ("RunnableSequence", 1),
        ("ChatPromptTemplate", 2),
        ("ChatOpenAI", 2),
        ("get_weather", 1),
        ("RunnableSequence", 1),
        ("ChatPromptTemplate", 2),
        ("ChatOpenAI", 2),
    ]
    (root,) = named(tree, "turn")
    asking, answering = named(tree, "ChatOpenAI")
    (weather,) = named(tree, "get_weather")
    first_call = openai_call(asking, model=MODEL, usage=FIRST_USAGE)
    second_call = openai_call(answering, model=MODEL, usage=SECOND_USAGE)
    assert priced_facts(asking) == first_call
    assert priced_facts(answering) == second_call
    assert "What is the weather in Paris?" in asking["input"]
    assert "get_weather" in asking["output"] and call.id in asking["output"]
    assert "sunny in Paris" in answering["input"]
    assert "It is sunny in Paris." in answering["output"]
    assert asking["metadata"]["ls_provider"] == "openai"

    assert weather["kind"] == "tool"
    assert weather["input"] == "Paris" and "sunny in Paris" in weather["output"]
    assert not nonzero(weather["usage"]) and Decimal(weather["cost"]["total"] or 0) == 0

    # The chains echo the model's token usage in their output; it is not a second call.
    for chain in named(tree, "RunnableSequence") + named(tree, "ChatPromptTemplate"):
        assert chain["kind"] == "chain"
        assert not nonzero(chain["usage"])
        assert Decimal(chain["cost"]["total"] or 0) == 0
    for sequence in named(tree, "RunnableSequence"):
        assert "token_usage" in sequence["output"]

    both = first_call["cost"] + second_call["cost"]
    assert Decimal(tree["cost"]) == both == costs(tree)
    assert Decimal(root["subtree_cost"]["total"]) == both
    assert not [node["span_id"] for node in tree["spans"] if node["duplicate_of"]]
    row = trace_row(instrumented, tree["trace_id"])
    assert (row["session_id"], row["user_id"]) == ("s-langchain", "ana@example.com")
    assert Decimal(row["cost"]) == both
    assert nonzero(row["usage"]) == {"input": 2450, "output": 32, "cache_read": 2048}


def test_chain_over_an_instrumented_openai_client_counts_each_call_once(
    with_openai_layer: Exported, openai_api: OpenAIAPI
) -> None:
    """OpenInference's LangChain tracer never makes its spans current, so the openai client's span for a
    call is not inside the ``ChatOpenAI`` span of that call but beside its chain, under the app's root.
    They are still one call (same model, same usage, overlapping in time, the same ``chatcmpl`` id in
    both outputs), and the trace must count it once."""
    turn, _, _ = _weather_turn(with_openai_layer, openai_api)

    tree = with_openai_layer.trace(trace_id_of(turn), spans=10)
    (root,) = named(tree, "turn")
    framework = named(tree, "ChatOpenAI")
    sdk = named(tree, "ChatCompletion")
    assert len(framework) == len(sdk) == 2
    assert {node["parent_span_id"] for node in sdk} == {root["span_id"]}

    for usage, langchain_layer, openai_layer in zip((FIRST_USAGE, SECOND_USAGE), framework, sdk, strict=True):
        assert nonzero(langchain_layer["usage"]) == nonzero(openai_layer["usage"]) == usage
        layers = {langchain_layer["span_id"]: langchain_layer, openai_layer["span_id"]: openai_layer}
        marked = [node for node in layers.values() if node["duplicate_of"]]
        marks = {node["name"]: node["duplicate_of"] for node in layers.values()}
        assert len(marked) == 1, f"exactly one layer of the call should be marked duplicate: {marks}"
        assert marked[0]["duplicate_of"] in layers and marked[0]["duplicate_of"] != marked[0]["span_id"]
        assert marked[0]["duplicate_reason"]

    one_each = openai_call(sdk[0], model=MODEL, usage=FIRST_USAGE)["cost"]
    one_each += openai_call(sdk[1], model=MODEL, usage=SECOND_USAGE)["cost"]
    assert Decimal(tree["cost"]) == one_each == costs(tree)
    assert Decimal(root["subtree_cost"]["total"]) == one_each
    assert Decimal(trace_row(with_openai_layer, tree["trace_id"])["cost"]) == one_each


def test_captured_prompts_are_attributed_by_source_with_tiktoken_counts(
    instrumented: Exported, openai_api: OpenAIAPI
) -> None:
    turn, call, _ = _weather_turn(instrumented, openai_api)

    tree_of_turn = instrumented.trace(trace_id_of(turn), spans=8)
    first, second = prompt_turns(instrumented, trace_id_of(turn))

    system = reference_count("You answer weather questions.")
    question = reference_count("What is the weather in Paris?")
    assert first["sources"] == attributed({"system": system, "user": question}, FIRST_USAGE["input"])
    requested = reference_count("get_weather" + json.dumps(call.arguments))
    expected = {
        "system": system,
        "user": question,
        "assistant": requested,
        "tool:get_weather": reference_count("sunny in Paris"),
    }
    assert second["sources"] == attributed(expected, SECOND_USAGE["input"])
    assert second["method"] == "tokenizer:o200k_base"
    assert second["history_tokens"] == question + requested
    # Cached or not, every prompt token is a source's: the sources share the prompt's whole cost.
    (answering,) = (
        node for node in named(tree_of_turn, "ChatOpenAI") if node["span_id"] == second["span_id"]
    )
    prompt_usage = {"input": SECOND_USAGE["input"], "cache_read": SECOND_USAGE["cache_read"]}
    assert Decimal(second["cost"]) == openai_cost(MODEL, answering["start_ns"], prompt_usage)


GUIDE = "Paris in May: days near 21 C, evenings near 12 C, showers on one day in three."


class _Guide(BaseRetriever):
    """A retriever of one travel guide page (a real LangChain retriever, traced as one)."""

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [Document(page_content=GUIDE)]


def test_a_retriever_s_documents_in_the_prompt_are_attributed_to_the_retriever(
    instrumented: Exported, openai_api: OpenAIAPI
) -> None:
    openai_api.reply(
        Reply(text="Mild days, cool evenings.", model=MODEL, prompt_tokens=400, completion_tokens=8)
    )
    model = ChatOpenAI(
        model="gpt-4o-mini", base_url=openai_api.base_url, api_key=SecretStr("test"), max_retries=0
    )
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from this guide:\n{guide}"), ("human", "{question}")]
    )
    question = "What is Paris like in May?"
    with instrumented.provider.get_tracer("app").start_as_current_span("ask") as root:
        found = _Guide().invoke(question)
        (prompt | model).invoke({"guide": "\n".join(doc.page_content for doc in found), "question": question})

    tree = instrumented.trace(trace_id_of(root), spans=5)
    (retrieval,) = [node for node in tree["spans"] if node["kind"] == "retrieval"]
    (call,) = prompt_turns(instrumented, tree["trace_id"])

    guide = reference_count(GUIDE)
    system = reference_count("Answer from this guide:\n")
    expected = {f"retrieval:{retrieval['name']}": guide, "system": system, "user": reference_count(question)}
    assert call["sources"] == attributed(expected, 400)
