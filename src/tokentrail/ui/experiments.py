"""The datasets and experiments pages: the project's datasets, one dataset's items (with an upload form),
a dataset's experiments with their totals, and experiments side by side with each output's changes
against the first experiment's.

They read what the API reads (:mod:`tokentrail.store.datasets`, :func:`tokentrail.analysis.experiments.
compare`, shaped by :mod:`tokentrail.documents.experiments`), so the pages and the JSON never disagree.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tokentrail.analysis.experiments import compare, compared_experiments
from tokentrail.documents.experiments import comparison_json, dataset_json, item_json
from tokentrail.errors import BadRequest, NotFound
from tokentrail.params import checked
from tokentrail.store.datasets import Dataset, dataset_by_id, read_datasets, read_items
from tokentrail.store.experiments import read_experiments
from tokentrail.ui.diff import word_diff
from tokentrail.ui.routes import page, reading, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

ITEMS_PAGE = 50


def shown(value: Any) -> str:
    """An input or output as the page shows it: text as it is, anything else as indented JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)


async def _dataset(request: Request, dataset_id: str) -> Dataset:
    store, project = reading(request)
    dataset = await run_in_threadpool(dataset_by_id, store, project, dataset_id)
    if dataset is None:
        raise NotFound(f"no dataset {dataset_id!r} in project {project!r}")
    return dataset


def _item(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "input_text": shown(item["input"]), "expected_text": shown(item["expected_output"])}


@router.get("/datasets", name="datasets_page")
@page
async def datasets_page(request: Request) -> Response:
    store, project = reading(request)
    datasets = await run_in_threadpool(read_datasets, store, project)
    return render(request, "datasets.html", {"datasets": [dataset_json(one) for one in datasets]})


@router.get("/datasets/{dataset_id}", name="dataset_page")
@page
async def dataset_page(request: Request, dataset_id: str) -> Response:
    dataset = await _dataset(request, dataset_id)
    offset = checked(int, "offset", request.query_params.get("offset") or 0)
    if offset < 0:
        raise BadRequest("offset: must not be negative")
    items = await run_in_threadpool(
        read_items, request.app.state.store, dataset.project, dataset.id, offset=offset, limit=ITEMS_PAGE + 1
    )
    return render(
        request,
        "dataset.html",
        {
            "dataset": dataset_json(dataset),
            "items": [_item(item_json(item)) for item in items[:ITEMS_PAGE]],
            "offset": offset,
            "next_offset": offset + ITEMS_PAGE if len(items) > ITEMS_PAGE else None,
            "previous_offset": max(0, offset - ITEMS_PAGE) if offset else None,
        },
    )


@router.get("/experiments", name="experiments_page")
@page
async def experiments_page(request: Request) -> Response:
    store, project = reading(request)
    datasets = await run_in_threadpool(read_datasets, store, project)
    wanted = request.query_params.get("dataset_id") or (datasets[0].id if datasets else None)
    chosen = next((one for one in datasets if one.id == wanted), None)
    if wanted and chosen is None:
        raise NotFound(f"no dataset {wanted!r} in project {project!r}")
    rows: list[dict[str, Any]] = []
    if chosen is not None:
        experiments = await run_in_threadpool(read_experiments, store, project, chosen.id)
        if experiments:
            document = comparison_json(await run_in_threadpool(compare, store, project, experiments))
            rows = [
                {**experiment, "totals": totals}
                for experiment, totals in zip(document["experiments"], document["totals"], strict=True)
            ]
    return render(
        request,
        "experiments.html",
        {
            "datasets": [dataset_json(one) for one in datasets],
            "dataset": chosen and dataset_json(chosen),
            "experiments": rows,
        },
    )


def _ids(request: Request) -> list[str]:
    """The experiment ids asked for: ``ids=a,b`` or ``ids=a&ids=b`` (the page's checkboxes)."""
    ids = [one.strip() for given in request.query_params.getlist("ids") for one in given.split(",")]
    return [one for one in ids if one]


def _row(row: dict[str, Any]) -> dict[str, Any]:
    """A compared item as the page shows it: each output's text with its changes against the first."""
    texts = [shown(run["output"]) if run else "" for run in row["runs"]]
    runs = [
        run
        and {**run, "diff": [("same", texts[0])] if position == 0 else word_diff(texts[0], texts[position])}
        for position, run in enumerate(row["runs"])
    ]
    return {"item": _item(row["item"]), "runs": runs, "changed": len(set(texts)) > 1}


@router.get("/experiments/compare", name="compare_page")
@page
async def compare_page(request: Request) -> Response:
    store, project = reading(request)
    experiments = await run_in_threadpool(compared_experiments, store, project, _ids(request))
    document = comparison_json(await run_in_threadpool(compare, store, project, experiments))
    dataset = await _dataset(request, experiments[0].dataset_id)
    score_names = sorted({name for totals in document["totals"] for name in totals["score_means"]})
    return render(
        request,
        "compare.html",
        {
            "dataset": dataset_json(dataset),
            "experiments": document["experiments"],
            "totals": document["totals"],
            "rows": [_row(row) for row in document["items"]],
            "score_names": score_names,
        },
    )
