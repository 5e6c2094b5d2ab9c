"""``tokentrail.dataset(name)``: a dataset on the server, made on first use, to read items from and add
items to (through :mod:`tokentrail.sdk.api`).

    qa = tokentrail.dataset("capitals")
    qa.add({"country": "France"}, expected_output="Paris")
    for item in qa.items():
        ...
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tokentrail.sdk.api import ApiError, request

__all__ = ["Dataset", "Item", "dataset"]

#: Items read per call.
_PAGE = 1000


@dataclass(frozen=True)
class Item:
    """One item of a dataset: an input and the output expected for it (None when none)."""

    id: str
    input: Any
    expected_output: Any = None
    metadata: Mapping[str, str] = field(default_factory=dict)


def _item(document: Mapping[str, Any]) -> Item:
    return Item(document["id"], document["input"], document["expected_output"], document["metadata"])


@dataclass(frozen=True)
class Dataset:
    """A dataset stored on the server."""

    id: str
    name: str
    description: str = ""

    def items(self) -> list[Item]:
        """Every item, oldest first."""
        found: list[Item] = []
        offset: int | None = 0
        while offset is not None:
            page = request("GET", f"/api/v1/datasets/{self.id}", params={"offset": offset, "limit": _PAGE})
            found += [_item(document) for document in page["items"]]
            offset = page["next_offset"]
        return found

    def add(self, input: Any, expected_output: Any = None, metadata: Mapping[str, str] | None = None) -> Item:
        """Add one item (``input`` and ``expected_output`` are any JSON values); returns it, with its id."""
        sent = {"input": input, "expected_output": expected_output, "metadata": dict(metadata or {})}
        added = request("POST", f"/api/v1/datasets/{self.id}/items", json={"items": [sent]})
        return _item(added["items"][0])


def _named(name: str) -> Dataset | None:
    found = request("GET", "/api/v1/datasets", params={"name": name})["datasets"]
    return Dataset(found[0]["id"], found[0]["name"], found[0]["description"]) if found else None


def dataset(name: str, description: str = "") -> Dataset:
    """The project's dataset named ``name``, created (empty) when there is none."""
    existing = _named(name)
    if existing is not None:
        return existing
    try:
        made = request("POST", "/api/v1/datasets", json={"name": name, "description": description})
    except ApiError as exc:
        raced = _named(name) if exc.status == 409 else None  # made meanwhile by another process
        if raced is None:
            raise
        return raced
    return Dataset(made["id"], made["name"], made["description"])
