"""A span's payloads read as canonical messages, or as retrieved documents: the one reader of the shapes
the conventions write their input and output in.

Spans keep their payloads as each convention wrote them: OpenAI-style ``{"role", "content"}`` lists (content
a string or a list of parts), GenAI ``parts`` (``text``, ``tool_call``, ``tool_call_response``),
OpenInference's rebuilt ``contents``, Anthropic content blocks (``tool_use``, ``tool_result``), LangChain's
serialized messages (``{"lc": 1, "kwargs": {"type": "human", ...}}``, in a list per prompt of a batch), a
whole provider response (``choices``), or plain text. :func:`read` turns them into :class:`Message` and
:class:`Document` lists; whatever cannot be read as messages is a message of its text as it came.

The store keeps the payloads, not this reading: it is computed when a span is shown (measured in
docs/architecture.md, "Canonical messages").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Document", "Message", "Payloads", "ToolCall", "conversation", "documents", "messages", "read"]


@dataclass
class ToolCall:
    name: str
    arguments: str
    id: str = ""


@dataclass
class Message:
    role: str  # system, user, assistant, tool
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str = ""
    from_output: bool = False
    #: The name the message gives its author (a tool result's tool, for some conventions).
    name: str = ""


@dataclass
class Document:
    content: str
    id: str = ""
    score: str = ""
    metadata: str = ""


@dataclass
class Payloads:
    """A span's input and output as canonical messages, or, for a retrieval, as the documents found."""

    messages: list[Message] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)


#: Kinds whose output is the documents they found.
DOCUMENT_KINDS = frozenset({"retrieval", "rerank"})
#: Kinds whose payloads are a call's arguments and result, not messages.
ARGUMENT_KINDS = frozenset({"tool"})

_ROLE_NAMES = {
    "human": "user",
    "ai": "assistant",
    "model": "assistant",
    "function": "tool",
    "developer": "system",
}
_TEXT_PART_KEYS = ("text", "content", "message_content")


def read(kind: str, input_text: str, output_text: str) -> Payloads:
    """A span's payloads as its kind reads them: a retrieval's (or rerank's) documents, else the messages
    of a call; a tool's arguments and result are neither."""
    if kind in ARGUMENT_KINDS:
        return Payloads()
    found = documents(output_text) if kind in DOCUMENT_KINDS else []
    return Payloads(messages=[] if found else conversation(input_text, output_text), documents=found)


def conversation(input_text: str, output_text: str) -> list[Message]:
    """The messages of a call: its input's, then its output's (the answer)."""
    found = messages(input_text, default_role="user")
    found += [
        Message(m.role, m.text, m.tool_calls, m.tool_call_id, from_output=True, name=m.name)
        for m in messages(output_text, default_role="assistant")
    ]
    return found


def _load(text: str) -> Any:
    if not text or text.lstrip()[:1] not in ("[", "{", '"'):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def messages(text: str, *, default_role: str) -> list[Message]:
    """One payload's messages; ``default_role`` for those that name none."""
    value = _load(text)
    if isinstance(value, str):
        return [Message(default_role, value)] if value.strip() else []
    if isinstance(value, dict):
        for key in ("messages", "choices", "output", "input"):
            if isinstance(value.get(key), list | dict):
                return messages(json.dumps(value[key]), default_role=default_role)
        if "message" in value and isinstance(value["message"], dict):
            value = value["message"]
        value = [value]
    if not isinstance(value, list):
        return [Message(default_role, json.dumps(value))]
    found = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("message"), dict):  # a choice
            item = item["message"]
        if isinstance(item, list):  # one prompt of a batch (LangChain's chat model input)
            found += messages(json.dumps(item), default_role=default_role)
        elif isinstance(item, dict):
            found.append(_message(item, default_role))
        elif isinstance(item, str):
            found.append(Message(default_role, item))
    return found


def _message(item: Mapping[str, Any], default_role: str) -> Message:
    if item.get("lc") and isinstance(item.get("kwargs"), dict):  # a serialized LangChain message
        item = {"role": item["kwargs"].get("type"), **item["kwargs"]}
    role = str(item.get("role") or default_role).lower()
    message = Message(
        _ROLE_NAMES.get(role, role),
        tool_call_id=str(item.get("tool_call_id") or ""),
        name=str(item.get("name") or ""),
    )
    texts: list[str] = []
    for key in ("content", "parts", "contents"):
        _read_content(item.get(key), message, texts)
    for call in item.get("tool_calls") or []:
        if isinstance(call, dict):
            message.tool_calls.append(_tool_call(call))
    message.text = "\n\n".join(text for text in texts if text)
    return message


def _read_content(content: Any, message: Message, texts: list[str]) -> None:
    if isinstance(content, str):
        texts.append(content)
        return
    if not isinstance(content, list):
        return
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict):
            _read_part(part, message, texts)


def _read_part(part: Mapping[str, Any], message: Message, texts: list[str]) -> None:
    kind = part.get("type") or part.get("message_content.type") or "text"
    if kind in ("tool_call", "tool_use", "function_call"):
        message.tool_calls.append(_tool_call(part))
    elif kind in ("tool_call_response", "tool_result"):
        message.tool_call_id = str(part.get("id") or part.get("tool_use_id") or message.tool_call_id)
        response = part.get("response", part.get("content", ""))
        if isinstance(response, list):  # content blocks (Anthropic's, GenAI's): their text
            _read_content(response, message, texts)
        else:
            texts.append(response if isinstance(response, str) else json.dumps(response, ensure_ascii=False))
        if message.role == "user":
            message.role = "tool"
    else:
        for key in _TEXT_PART_KEYS:
            value = part.get(key)
            if isinstance(value, str):
                texts.append(value)
                return
            if isinstance(value, dict):
                _read_part(value, message, texts)
                return


def _tool_call(call: Mapping[str, Any]) -> ToolCall:
    function = call.get("function") if isinstance(call.get("function"), dict) else call
    assert isinstance(function, Mapping)
    arguments = function.get("arguments", function.get("input", function.get("args", "")))
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return ToolCall(str(function.get("name") or ""), arguments, str(call.get("id") or ""))


def documents(text: str) -> list[Document]:
    """Retrieved documents from a retrieval or rerank span's output."""
    value = _load(text)
    if isinstance(value, dict):
        value = value.get("documents", value.get("results", [value]))
    if not isinstance(value, list):
        return []
    found = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("document"), dict):
            item = item["document"]
        if isinstance(item, str):
            found.append(Document(item))
        elif isinstance(item, dict):
            content = item.get("content", item.get("page_content", item.get("text", "")))
            metadata = item.get("metadata")
            found.append(
                Document(
                    content if isinstance(content, str) else json.dumps(content, ensure_ascii=False),
                    str(item.get("id") or ""),
                    str(item.get("score") if item.get("score") is not None else ""),
                    json.dumps(metadata, ensure_ascii=False) if metadata else "",
                )
            )
    return found
