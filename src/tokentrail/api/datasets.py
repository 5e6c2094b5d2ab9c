"""``/api/v1/datasets``: datasets and their items, given one by one, made from stored traces or uploaded
as a JSON Lines or CSV file (see :mod:`tokentrail.store.datasets`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tokentrail.api.otlp import read_body
from tokentrail.documents.dataset_files import BadLine, ItemFields, read_items_file
from tokentrail.documents.experiments import dataset_json, item_json
from tokentrail.errors import BadRequest, Conflict, NotFound
from tokentrail.json_text import parsed
from tokentrail.params import Limit, Project, project_of
from tokentrail.store import datasets as stored
from tokentrail.store.database import Store
from tokentrail.store.datasets import Dataset, DatasetItem, as_json_text

__all__ = ["router"]

router = APIRouter(tags=["datasets"])

#: Most items one call adds.
MAX_ITEMS = 10_000
#: Content types that say an upload is CSV (anything else is read as JSON Lines).
_CSV_TYPES = ("text/csv", "application/csv")


class DatasetBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""


class ItemBody(BaseModel):
    input: Any = Field(description="Any JSON value; not null")
    expected_output: Any = None
    metadata: dict[str, str] = Field(default_factory=dict)
    id: str | None = Field(default=None, description="An item's id replaces that item")


class ItemsBody(BaseModel):
    items: list[ItemBody] = Field(max_length=MAX_ITEMS)


class TraceRef(BaseModel):
    trace_id: str = Field(min_length=1)
    span_id: str = Field(default="", description="A span of the trace (default: its root span)")


class FromTracesBody(BaseModel):
    traces: list[TraceRef] = Field(min_length=1, max_length=1000)


async def _dataset(request: Request, project: str | None, dataset_id: str) -> tuple[Store, Dataset]:
    store = request.app.state.store
    name = project_of(request, project)
    dataset = await run_in_threadpool(stored.dataset_by_id, store, name, dataset_id)
    if dataset is None:
        raise NotFound(f"no dataset {dataset_id!r} in project {name!r}")
    return store, dataset


@router.get("/datasets", summary="List datasets")
async def list_datasets(
    request: Request, project: Project = None, name: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    """The project's datasets with their item counts, by name (only the one named ``name`` if given)."""
    found = await run_in_threadpool(
        stored.read_datasets, request.app.state.store, project_of(request, project)
    )
    return {"datasets": [dataset_json(dataset) for dataset in found if name in (None, dataset.name)]}


@router.post("/datasets", summary="Create a dataset", status_code=201)
async def create_dataset(request: Request, body: DatasetBody, project: Project = None) -> dict[str, Any]:
    """A new, empty dataset; 409 when the project has one of that name."""
    store, name = request.app.state.store, project_of(request, project)
    if await run_in_threadpool(stored.dataset_by_name, store, name, body.name) is not None:
        raise Conflict(f"project {name!r} has a dataset named {body.name!r}")
    dataset = Dataset(name, body.name, body.description)
    await run_in_threadpool(stored.save_dataset, store, dataset)
    return dataset_json(dataset)


@router.get("/datasets/{dataset_id}", summary="One dataset with a page of its items")
async def get_dataset(
    request: Request,
    dataset_id: str,
    project: Project = None,
    offset: Annotated[int, Query(ge=0, description="Items to skip (oldest first)")] = 0,
    limit: Limit = 100,
) -> dict[str, Any]:
    """The dataset and ``limit`` of its items from ``offset``; ``next_offset`` is null on the last page."""
    store, dataset = await _dataset(request, project, dataset_id)
    items = await run_in_threadpool(
        stored.read_items, store, dataset.project, dataset.id, offset=offset, limit=limit + 1
    )
    return {
        **dataset_json(dataset),
        "items": [item_json(item) for item in items[:limit]],
        "next_offset": offset + limit if len(items) > limit else None,
    }


@router.delete("/datasets/{dataset_id}", summary="Delete a dataset")
async def delete_dataset(request: Request, dataset_id: str, project: Project = None) -> dict[str, Any]:
    """The dataset and its items are no longer listed (its experiments' runs and traces stay)."""
    store, dataset = await _dataset(request, project, dataset_id)
    await run_in_threadpool(stored.delete_dataset, store, dataset)
    return {"deleted": dataset.id}


async def _add(store: Store, items: list[DatasetItem]) -> dict[str, Any]:
    await run_in_threadpool(stored.save_items, store, items)
    return {"items": [item_json(item) for item in items]}


def _item(dataset: Dataset, fields: ItemFields, **extra: Any) -> DatasetItem:
    return DatasetItem(
        dataset.project,
        dataset.id,
        as_json_text(fields.input),
        as_json_text(fields.expected_output),
        dict(fields.metadata),
        **extra,
    )


@router.post("/datasets/{dataset_id}/items", summary="Add or replace items", status_code=201)
async def add_items(
    request: Request, dataset_id: str, body: ItemsBody, project: Project = None
) -> dict[str, Any]:
    """Add the items; an item given with an id replaces the stored item of that id."""
    store, dataset = await _dataset(request, project, dataset_id)
    items = []
    for number, sent in enumerate(body.items):
        if sent.input is None:
            raise BadRequest(f"items[{number}]: an item needs an input")
        extra = {"id": sent.id} if sent.id else {}
        items.append(_item(dataset, ItemFields(sent.input, sent.expected_output, sent.metadata), **extra))
    return await _add(store, items)


@router.post(
    "/datasets/{dataset_id}/items/from-traces", summary="Add items from stored traces", status_code=201
)
async def add_from_traces(
    request: Request, dataset_id: str, body: FromTracesBody, project: Project = None
) -> dict[str, Any]:
    """One item per trace (or span): its root span's (or the span's) input as the input and output as the
    expected output, the trace's name and model as metadata, the trace and span ids kept; 404 naming the
    first trace or span not stored."""
    store, dataset = await _dataset(request, project, dataset_id)
    wanted = [(ref.trace_id, ref.span_id) for ref in body.traces]
    found = await run_in_threadpool(stored.span_payloads_of, store, dataset.project, wanted)
    items = []
    for (trace_id, span_id), payload in zip(wanted, found, strict=True):
        if payload is None:
            raise NotFound(
                f"no span {span_id!r} in trace {trace_id!r}" if span_id else f"no trace {trace_id!r}"
            )
        metadata = {"trace_name": payload.trace_name, "model": payload.model}
        items.append(
            DatasetItem(
                dataset.project,
                dataset.id,
                _json_text(payload.input),
                _json_text(payload.output),
                {key: value for key, value in metadata.items() if value},
                payload.trace_id,
                payload.span_id,
            )
        )
    return await _add(store, items)


def _json_text(payload: str) -> str:
    """A span's payload as an item's JSON text: JSON as it is, other text as a JSON string."""
    return as_json_text(parsed(payload)) if payload else ""


@router.post(
    "/datasets/{dataset_id}/upload", summary="Add items from a JSON Lines or CSV file", status_code=201
)
async def upload(
    request: Request,
    dataset_id: str,
    project: Project = None,
    format: Annotated[
        Literal["jsonl", "csv"] | None,
        Query(description="The file's format (default: csv for a text/csv body, else jsonl)"),
    ] = None,
) -> dict[str, Any]:
    """The file is the request's body (at most ``TOKENTRAIL_MAX_BODY_BYTES``, else 413); a bad line is a
    400 naming its line number, and nothing is stored."""
    store, dataset = await _dataset(request, project, dataset_id)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    file_format = format or ("csv" if content_type in _CSV_TYPES else "jsonl")
    try:
        body = await read_body(request, request.app.state.settings.max_body_bytes)
        text = body.decode("utf-8-sig")
        fields = read_items_file(text, file_format)
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the file is not UTF-8 text ({exc.reason})") from None
    except BadLine as exc:
        raise BadRequest(str(exc)) from None
    if len(fields) > MAX_ITEMS:
        raise BadRequest(f"a file adds at most {MAX_ITEMS} items, this one has {len(fields)}")
    return await _add(store, [_item(dataset, one) for one in fields])
