"""Message payloads: flattened attribute lists rebuilt into JSON, system instructions folded in."""

from __future__ import annotations

from typing import Any

from tokentrail.model import AttributeValue
from tokentrail.semconv.values import dumps, loads

#: Deepest flattened path rebuilt (real ones are under ten segments); deeper ones stay raw attributes.
MAX_DEPTH = 64


def rebuild(
    items: list[tuple[str, AttributeValue]], prefix_length: int, *, wrapped: bool = True
) -> str | None:
    """``0.message.contents.1.message_content.text = "hi"`` and friends -> ``[{"contents": [..]}]``.

    OpenInference flattens lists as ``<plural>.<index>.<singular>.<field>``; with ``wrapped`` the singular
    wrapper after an index carries no information and is dropped (OpenLLMetry's ``0.tool_calls.1.name``
    has none). Returns None when the paths do not form a list.
    """
    flat = _flat_rows(items, prefix_length, wrapped)
    if flat is not None:
        return dumps(flat)
    root: dict[Any, Any] = {}
    for name, value in items:
        parts = name[prefix_length:].split(".")
        if len(parts) > MAX_DEPTH:
            return None
        node = root
        last = len(parts) - 1
        position = 0
        while position < last:
            part = parts[position]
            key: int | str = part
            if part.isdigit() and part.isascii():
                key = int(part)
                if wrapped and position + 2 <= last:
                    position += 1  # skip the wrapper ("message", "tool_call", ...)
            child = node.setdefault(key, {})
            if type(child) is not dict:
                return None
            node = child
            position += 1
        leaf_name = parts[last]
        leaf: int | str = int(leaf_name) if leaf_name.isdigit() and leaf_name.isascii() else leaf_name
        if leaf in node:
            return None
        node[leaf] = value
    rebuilt = listify(root)
    return dumps(rebuilt) if type(rebuilt) is list else None


def _flat_rows(
    items: list[tuple[str, AttributeValue]], prefix_length: int, wrapped: bool
) -> list[Any] | None:
    """The common shape, ``<index>[.<wrapper>].<field>`` with plain fields, without the general walk.

    None when any name is deeper or unusual; :func:`rebuild` then takes the general path, which gives
    the same result for the names this accepts.
    """
    rows: dict[int, dict[str, AttributeValue]] = {}
    for name, value in items:
        index, _, field = name[prefix_length:].partition(".")
        if wrapped and "." in field:
            field = field.partition(".")[2]
        if not field or "." in field or field.isdigit() or not (index.isdigit() and index.isascii()):
            return None
        row = rows.setdefault(int(index), {})
        if field in row:
            return None
        row[field] = value
    return [rows[index] for index in sorted(rows)]


def listify(node: Any) -> Any:
    if type(node) is not dict:
        return node
    if all(type(key) is int for key in node):
        return [listify(node[key]) for key in sorted(node)]
    return {str(key): listify(item) for key, item in node.items()}


def with_system(instructions: str, messages: str) -> str | None:
    """GenAI keeps system instructions apart; put them first, as a system message, in the input list."""
    try:
        parts = loads(instructions)
    except ValueError:
        parts = None
    if not isinstance(parts, list):
        parts = [{"type": "text", "content": instructions}]
    rest: Any = []
    if messages:
        try:
            rest = loads(messages)
        except ValueError:
            return None
        if not isinstance(rest, list):
            return None
    return dumps([{"role": "system", "parts": parts}, *rest])
