"""Dataset items from a file: JSON Lines (one object a line) or CSV (a header row), each item with an
``input``, an optional ``expected_output`` and optional ``metadata`` (an object of strings).

A CSV cell holding JSON is read as JSON (``{"q": "hi"}``, ``42``), anything else as text; an empty
``expected_output`` means none. A bad line is a :class:`BadLine` naming its line number, so a file is
stored whole or not at all.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tokentrail.json_text import parsed

__all__ = ["FORMATS", "BadLine", "ItemFields", "item_fields", "read_items_file"]

_KEYS = frozenset({"input", "expected_output", "metadata"})


class BadLine(ValueError):
    """A line of an uploaded file that is not an item."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line


@dataclass(frozen=True, slots=True)
class ItemFields:
    """What a file says of one item."""

    input: Any
    expected_output: Any = None
    metadata: dict[str, str] = field(default_factory=dict)


def item_fields(values: dict[str, Any]) -> ItemFields:
    """The item an object describes; ValueError when it is not one."""
    unknown = sorted(set(values) - _KEYS)
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)}; an item has input, expected_output, metadata")
    if values.get("input") is None:
        raise ValueError("an item needs an input")
    metadata = values.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ValueError("metadata must be an object")
    return ItemFields(
        values["input"],
        values.get("expected_output"),
        {str(key): value if isinstance(value, str) else json.dumps(value) for key, value in metadata.items()},
    )


def _jsonl(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadLine(number, f"not JSON ({exc.msg})") from None
        if not isinstance(values, dict):
            raise BadLine(number, "not a JSON object")
        yield number, values


def _csv(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        for row in reader:
            if None in row:
                raise BadLine(reader.line_num, "more cells than the header has columns")
            values = {key: parsed(cell) for key, cell in row.items() if cell not in ("", None)}
            metadata = values.get("metadata")
            if isinstance(metadata, str):
                raise BadLine(reader.line_num, "metadata must be a JSON object")
            yield reader.line_num, values
    except csv.Error as exc:
        raise BadLine(reader.line_num, str(exc)) from None


#: File format -> its reader: (line number, the line's object) for each item.
FORMATS: dict[str, Callable[[str], Iterator[tuple[int, dict[str, Any]]]]] = {"jsonl": _jsonl, "csv": _csv}


def read_items_file(text: str, file_format: str) -> list[ItemFields]:
    """Every item of a file in ``file_format`` (one of :data:`FORMATS`); BadLine at the first bad line."""
    items = []
    for number, values in FORMATS[file_format](text):
        try:
            items.append(item_fields(values))
        except ValueError as exc:
            raise BadLine(number, str(exc)) from None
    if not items:
        raise BadLine(1, "the file holds no item")
    return items
