"""Datasets: named lists of items (an input, the output expected for it, metadata) an app is run on in
experiments (migration 15). Inputs and expected outputs are JSON text.

A dataset and each item are one row version per change: writing an item again with its id replaces it
(keeping its place, its first ``created_ns``). A dataset is deleted by a version with ``deleted_ns`` set;
its items are then unreachable. An item made from a stored trace keeps the trace's and span's ids.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tokentrail.store.database import Store

__all__ = [
    "DATASET_COLUMNS",
    "ITEM_COLUMNS",
    "Dataset",
    "DatasetItem",
    "SpanPayload",
    "as_json_text",
    "dataset_by_id",
    "dataset_by_name",
    "delete_dataset",
    "read_datasets",
    "read_items",
    "save_dataset",
    "save_items",
    "span_payloads_of",
]

DATASET_COLUMNS = ("project", "id", "name", "description", "created_ns", "deleted_ns")
ITEM_COLUMNS = (
    "project",
    "dataset_id",
    "id",
    "input",
    "expected_output",
    "metadata",
    "source_trace_id",
    "source_span_id",
    "created_ns",
)


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(slots=True)
class Dataset:
    """A named list of items in a project."""

    project: str
    name: str
    description: str = ""
    id: str = field(default_factory=_new_id)
    created_ns: int = field(default_factory=time.time_ns)
    deleted_ns: int = 0
    #: How many items it holds (read, never written).
    item_count: int = 0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a dataset needs a name")


@dataclass(slots=True)
class DatasetItem:
    """One input of a dataset with the output expected for it ("" when none), both JSON text."""

    project: str
    dataset_id: str
    input: str
    expected_output: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    source_trace_id: str = ""
    source_span_id: str = ""
    id: str = field(default_factory=_new_id)
    created_ns: int = field(default_factory=time.time_ns)


def as_json_text(value: Any) -> str:
    """``value`` as the JSON text an item holds: None as "" (nothing expected)."""
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def save_dataset(store: Store, dataset: Dataset) -> None:
    """Store ``dataset`` (replacing the version with its id)."""
    row = tuple(getattr(dataset, column) for column in DATASET_COLUMNS)
    store.client().insert("datasets", [(*row, time.time_ns())], column_names=[*DATASET_COLUMNS, "updated_ns"])


def delete_dataset(store: Store, dataset: Dataset) -> None:
    """Mark ``dataset`` deleted: it and its items are no longer listed."""
    dataset.deleted_ns = time.time_ns()
    save_dataset(store, dataset)


_ITEM_COUNTS = (
    "LEFT JOIN (SELECT dataset_id, count() AS item_count FROM dataset_items FINAL "
    "WHERE project = {project:String} GROUP BY dataset_id) AS counted ON counted.dataset_id = d.id "
)


def _datasets(store: Store, project: str, condition: str, params: dict[str, Any]) -> list[Dataset]:
    columns = ", ".join(f"d.{column} AS {column}" for column in DATASET_COLUMNS)
    rows = store.query_dicts(
        f"SELECT {columns}, counted.item_count AS item_count FROM datasets AS d FINAL {_ITEM_COUNTS}"
        f"WHERE d.project = {{project:String}} AND d.deleted_ns = 0 {condition} ORDER BY d.name, d.id",
        {"project": project, **params},
    )
    return [Dataset(**row) for row in rows]


def read_datasets(store: Store, project: str) -> list[Dataset]:
    """The project's datasets with their item counts, by name."""
    return _datasets(store, project, "", {})


def dataset_by_id(store: Store, project: str, dataset_id: str) -> Dataset | None:
    """The dataset with this id, None when there is none (or it was deleted)."""
    found = _datasets(store, project, "AND d.id = {id:String}", {"id": dataset_id})
    return found[0] if found else None


def dataset_by_name(store: Store, project: str, name: str) -> Dataset | None:
    """The first dataset (by id) of this name, None when there is none."""
    found = _datasets(store, project, "AND d.name = {name:String}", {"name": name})
    return found[0] if found else None


def save_items(store: Store, items: Sequence[DatasetItem]) -> int:
    """Store ``items``; an item whose id is stored already replaces it and keeps its first time."""
    if not items:
        return 0
    first = _created(store, items[0].project, items[0].dataset_id, [item.id for item in items])
    now = time.time_ns()
    rows = [
        (*(getattr(item, column) for column in ITEM_COLUMNS[:-1]), first.get(item.id, item.created_ns), now)
        for item in items
    ]
    store.client().insert("dataset_items", rows, column_names=[*ITEM_COLUMNS, "updated_ns"])
    return len(rows)


def _created(store: Store, project: str, dataset_id: str, ids: list[str]) -> dict[str, int]:
    rows = store.query(
        "SELECT id, min(created_ns) FROM dataset_items WHERE project = {project:String} "
        "AND dataset_id = {dataset:String} AND id IN {ids:Array(String)} GROUP BY id",
        {"project": project, "dataset": dataset_id, "ids": ids},
    )
    return {item_id: int(created) for item_id, created in rows}


def read_items(
    store: Store, project: str, dataset_id: str, *, offset: int = 0, limit: int | None = None
) -> list[DatasetItem]:
    """The dataset's items, oldest first (then by id): ``limit`` of them from ``offset``, or all."""
    params: dict[str, Any] = {"project": project, "dataset": dataset_id, "offset": offset, "limit": limit}
    page = "" if limit is None else " LIMIT {limit:UInt32} OFFSET {offset:UInt64}"
    rows = store.query_dicts(
        f"SELECT {', '.join(ITEM_COLUMNS)} FROM dataset_items FINAL WHERE project = {{project:String}} "
        "AND dataset_id = {dataset:String} ORDER BY created_ns, id" + page,
        params,
    )
    return [DatasetItem(**{**row, "metadata": dict(row["metadata"])}) for row in rows]


@dataclass(frozen=True, slots=True)
class SpanPayload:
    """What an item made from a stored span takes from it."""

    trace_id: str
    span_id: str
    input: str
    output: str
    trace_name: str
    model: str


def span_payloads_of(
    store: Store, project: str, wanted: Iterable[tuple[str, str]]
) -> list[SpanPayload | None]:
    """For each (trace id, span id) the span's payloads, or with span id "" its trace's root span's, with
    the trace's name and a model (the span's own, else any its trace used); None for a pair not stored."""
    wanted = list(wanted)
    trace_ids = sorted({trace_id for trace_id, _ in wanted})
    if not trace_ids:
        return []
    rows = store.query_dicts(
        "SELECT trace_id, span_id, parent_span_id = '' AS is_root, input, output, "
        "if(trace_name != '', trace_name, name) AS trace_name, "
        "if(response_model != '', response_model, request_model) AS model FROM spans FINAL "
        "PREWHERE project = {project:String} AND trace_id IN {ids:Array(String)} ORDER BY start_ns, span_id",
        {"project": project, "ids": trace_ids},
    )
    spans = {(row["trace_id"], row["span_id"]): row for row in rows}
    roots = {row["trace_id"]: row for row in reversed(rows) if row["is_root"]}
    models = {row["trace_id"]: row["model"] for row in reversed(rows) if row["model"]}
    found: list[SpanPayload | None] = []
    for trace_id, span_id in wanted:
        row = spans.get((trace_id, span_id)) if span_id else roots.get(trace_id)
        if row is None:
            found.append(None)
            continue
        model = row["model"] or models.get(trace_id, "")
        # A trace is named by its root span (or the name the root gave it).
        name = roots[trace_id]["trace_name"] if trace_id in roots else ""
        found.append(SpanPayload(trace_id, row["span_id"], row["input"], row["output"], name, model))
    return found
