"""Stored LangSmith run parts: each (run, post|patch) reads back as its newest version, only in its project,
and the project a run was stored in is found by its id."""

from __future__ import annotations

from tokentrail.store.database import Store
from tokentrail.store.langsmith_runs import RunPart, project_of_run, read_run_parts, save_run_parts


def test_parts_read_back_newest_first_and_only_in_their_project(store: Store) -> None:
    save_run_parts(
        store, "shop", [RunPart("r1", "post", "t1", {"name": "old"}), RunPart("r1", "patch", "t1", {})]
    )
    save_run_parts(store, "shop", [RunPart("r1", "post", "t1", {"name": "new"})])
    save_run_parts(store, "other", [RunPart("r2", "post", "t2", {"name": "elsewhere"})])

    parts = read_run_parts(store, "shop", ["r1", "r2"])

    assert set(parts) == {"r1"} and set(parts["r1"]) == {"post", "patch"}
    assert parts["r1"]["post"] == RunPart("r1", "post", "t1", {"name": "new"})
    assert read_run_parts(store, "shop", []) == {}


def test_the_project_of_a_run_is_where_its_parts_are(store: Store) -> None:
    save_run_parts(store, "other", [RunPart("r2", "post", "t2", {})])
    assert project_of_run(store, "r2") == "other"
    assert project_of_run(store, "missing") is None
