"""``tokentrail.dataset``: a dataset found by name or made on first use, items added and read back in
order across pages."""

from __future__ import annotations

import tokentrail
from conftest import LiveServer
from sdk.conftest import Traced
from tokentrail.sdk import datasets


def test_a_dataset_is_made_once_and_found_by_name_after(server: LiveServer, traced_live: Traced) -> None:
    made = tokentrail.dataset("support", description="tickets")
    found = tokentrail.dataset("support")

    assert (found.id, found.name, found.description) == (made.id, "support", "tickets")
    assert [d["name"] for d in server.get("/api/v1/datasets").json()["datasets"]] == ["support"]


def test_items_are_added_and_read_back_in_order_across_pages(
    server: LiveServer, traced_live: Traced, monkeypatch
) -> None:
    monkeypatch.setattr(datasets, "_PAGE", 2)
    qa = tokentrail.dataset("paged")
    added = [qa.add({"n": n}, expected_output=n * n, metadata={"even": str(n % 2 == 0)}) for n in range(5)]

    items = qa.items()

    assert items == added
    last = items[4]
    assert (last.input, last.expected_output, dict(last.metadata)) == ({"n": 4}, 16, {"even": "True"})
