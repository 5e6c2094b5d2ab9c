"""Span payloads read as canonical messages and documents, in the shapes the conventions write them."""

from __future__ import annotations

import json

import pytest

from tokentrail.semconv.conversation import (
    Document,
    Message,
    Payloads,
    ToolCall,
    conversation,
    documents,
    read,
)


def roles_and_texts(messages):
    return [(m.role, m.text) for m in messages]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(
            [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Refunds?"}],
            [("system", "Be brief."), ("user", "Refunds?")],
            id="openai-style content strings",
        ),
        pytest.param(
            [{"role": "user", "parts": [{"type": "text", "content": "Refunds?"}]}],
            [("user", "Refunds?")],
            id="genai parts",
        ),
        pytest.param(
            [{"role": "user", "contents": [{"type": "text", "text": "Refunds?"}]}],
            [("user", "Refunds?")],
            id="openinference rebuilt contents",
        ),
        pytest.param(
            [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
            [("user", "a\n\nb")],
            id="content parts joined",
        ),
        pytest.param(
            {"messages": [{"role": "human", "content": "hi"}]}, [("user", "hi")], id="wrapped, human"
        ),
        pytest.param("plain question", [("user", "plain question")], id="plain text"),
    ],
)
def test_inputs_read_as_messages(payload, expected):
    text = payload if isinstance(payload, str) else json.dumps(payload)
    assert roles_and_texts(conversation(text, "")) == expected


def test_the_output_is_the_answer_and_tool_calls_keep_their_arguments():
    output = json.dumps(
        {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "function": {"name": "web_search", "arguments": '{"q": "refunds"}'},
                            }
                        ],
                    }
                }
            ]
        }
    )
    (message,) = conversation("", output)

    assert message.from_output and message.role == "assistant"
    assert [(c.name, c.arguments, c.id) for c in message.tool_calls] == [
        ("web_search", '{"q": "refunds"}', "call_1")
    ]


def test_anthropic_blocks_become_tool_calls_and_tool_results():
    payload = json.dumps(
        [
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "tu_1", "name": "lookup", "input": {"id": 7}}],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": "found"}]},
        ]
    )
    call, result = conversation(payload, "")

    assert call.tool_calls[0].name == "lookup" and json.loads(call.tool_calls[0].arguments) == {"id": 7}
    assert (result.role, result.text, result.tool_call_id) == ("tool", "found", "tu_1")


def test_unreadable_json_is_shown_as_it_came():
    assert roles_and_texts(conversation("{not json", "")) == [("user", "{not json")]
    assert conversation("", "") == []


def test_retrieved_documents_keep_ids_scores_and_content():
    found = documents(
        json.dumps([{"document": {"id": "kb-1", "score": 0.82, "content": "Refunds within 30 days"}}, "raw"])
    )

    assert [(d.id, d.score, d.content) for d in found] == [
        ("kb-1", "0.82", "Refunds within 30 days"),
        ("", "", "raw"),
    ]
    assert documents("not a list") == []


RETRIEVED = json.dumps([{"id": "kb-1", "score": 0.9, "content": "Refunds within 30 days"}])
CHAT_IN = json.dumps([{"role": "user", "content": "Refunds?"}])


def test_a_retrieval_reads_as_the_documents_it_found():
    payloads = read("retrieval", "refunds", RETRIEVED)
    assert payloads.messages == []
    assert payloads.documents == [Document("Refunds within 30 days", "kb-1", "0.9")]


def test_a_rerank_without_documents_reads_as_messages():
    payloads = read("rerank", "refunds", "no documents here")
    assert (payloads.documents, [(m.role, m.text) for m in payloads.messages]) == (
        [],
        [("user", "refunds"), ("assistant", "no documents here")],
    )


def test_a_call_reads_as_its_messages_in_then_out():
    payloads = read("llm", CHAT_IN, "Within 30 days.")
    assert payloads.messages == [
        Message("user", "Refunds?"),
        Message("assistant", "Within 30 days.", from_output=True),
    ]
    assert payloads.documents == []


def test_a_tools_arguments_and_result_are_neither_messages_nor_documents():
    assert read("tool", '{"q": "refunds"}', RETRIEVED) == Payloads()


def test_a_tool_call_in_a_message_keeps_its_name_arguments_and_id():
    output = json.dumps(
        [{"role": "assistant", "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "{}"}}]}]
    )
    (message,) = read("llm", "", output).messages
    assert message.tool_calls == [ToolCall("f", "{}", "c1")]


def test_langchain_serialized_messages_in_a_batch_are_read_with_their_tool_calls_and_results():
    def serialized(kind, **kwargs):
        return {"lc": 1, "type": "constructor", "id": ["langchain", kind], "kwargs": kwargs}

    call = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}
    payload = {
        "messages": [
            [
                serialized("SystemMessage", content="Be brief.", type="system"),
                serialized("HumanMessage", content="Weather?", type="human"),
                serialized("AIMessage", content="", type="ai", tool_calls=[call]),
                serialized(
                    "ToolMessage", content="sunny", type="tool", name="get_weather", tool_call_id="call_1"
                ),
            ]
        ]
    }

    found = conversation(json.dumps(payload), "")

    assert roles_and_texts(found) == [
        ("system", "Be brief."),
        ("user", "Weather?"),
        ("assistant", ""),
        ("tool", "sunny"),
    ]
    assert found[2].tool_calls == [ToolCall("get_weather", '{"city": "Paris"}', "call_1")]
    assert (found[3].tool_call_id, found[3].name) == ("call_1", "get_weather")
