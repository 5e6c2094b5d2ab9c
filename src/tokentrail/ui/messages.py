"""Reading a span's input and output as a conversation, or as retrieved documents, for display.

Spans keep their payloads as each convention wrote them: OpenAI-style ``{"role", "content"}`` lists (content
a string or a list of parts), GenAI ``parts`` (``text``, ``tool_call``, ``tool_call_response``),
OpenInference's rebuilt ``contents``, Anthropic content blocks (``tool_use``, ``tool_result``), a whole
provider response (``choices``), or plain text. Whatever cannot be read as messages is shown as it came.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Document", "Message", "ToolCall", "conversation", "documents", "turn"]


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


@dataclass
class Document:
    content: str
    id: str = ""
    score: str = ""
    metadata: str = ""


_ROLE_NAMES = {
    "human": "user",
    "ai": "assistant",
    "model": "assistant",
    "function": "tool",
    "developer": "system",
}
_TEXT_PART_KEYS = ("text", "content", "message_content")


def conversation(input_text: str, output_text: str) -> list[Message]:
    """The messages of a call: its input's, then its output's (the answer)."""
    found = _messages(input_text, default_role="user")
    found += [
        Message(m.role, m.text, m.tool_calls, m.tool_call_id, from_output=True)
        for m in _messages(output_text, default_role="assistant")
    ]
    return found


def turn(trace: Mapping[str, Any]) -> dict[str, Any]:
    """One session turn: the trace, what the user said and what came back (from its root span)."""
    said = _messages(trace.get("input") or "", default_role="user")
    answered = _messages(trace.get("output") or "", default_role="assistant")
    question = next((m.text for m in reversed(said) if m.role == "user" and m.text), "")
    answer = next((m.text for m in reversed(answered) if m.text), "")
    return {"trace": trace, "question": question, "answer": answer}


def _load(text: str) -> Any:
    if not text or text.lstrip()[:1] not in ("[", "{", '"'):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _messages(text: str, *, default_role: str) -> list[Message]:
    value = _load(text)
    if isinstance(value, str):
        return [Message(default_role, value)] if value.strip() else []
    if isinstance(value, dict):
        for key in ("messages", "choices", "output", "input"):
            if isinstance(value.get(key), list | dict):
                return _messages(json.dumps(value[key]), default_role=default_role)
        if "message" in value and isinstance(value["message"], dict):
            value = value["message"]
        value = [value]
    if not isinstance(value, list):
        return [Message(default_role, json.dumps(value))]
    found = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("message"), dict):  # a choice
            item = item["message"]
        if isinstance(item, dict):
            found.append(_message(item, default_role))
        elif isinstance(item, str):
            found.append(Message(default_role, item))
    return found


def _message(item: Mapping[str, Any], default_role: str) -> Message:
    role = str(item.get("role") or default_role).lower()
    message = Message(_ROLE_NAMES.get(role, role), tool_call_id=str(item.get("tool_call_id") or ""))
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
    arguments = function.get("arguments", function.get("input", ""))
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
