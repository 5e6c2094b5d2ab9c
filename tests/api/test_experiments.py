"""``/api/v1/experiments``: an experiment on a stored dataset, its runs recorded (a run of an item again
replaces it), items not run yet shown without a run, and comparisons refused with a reason when they
cannot be made."""

from __future__ import annotations

import httpx


def _post(server, path, body, status=201):
    response = httpx.post(f"{server.url}/api/v1{path}", json=body, timeout=30)
    assert response.status_code == status, response.text
    return response.json()


def _dataset(server, name, items):
    dataset = _post(server, "/datasets", {"name": name})["id"]
    added = _post(server, f"/datasets/{dataset}/items", {"items": [{"input": item} for item in items]})
    return dataset, [item["id"] for item in added["items"]]


def test_runs_are_recorded_replaced_by_item_and_missing_ones_shown_as_not_run(server):
    dataset, (first, second) = _dataset(server, "qa", ["a", "b"])
    experiment = _post(server, "/experiments", {"name": "e1", "dataset_id": dataset, "metadata": {"v": "1"}})
    run = {"item_id": first, "output": '"x"', "started_ns": 1_000_000, "ended_ns": 3_000_000}
    _post(server, f"/experiments/{experiment['id']}/runs", {"runs": [run]})
    _post(server, f"/experiments/{experiment['id']}/runs", {"runs": [{**run, "error": "boom", "output": ""}]})

    document = server.get(f"/api/v1/experiments/{experiment['id']}").json()

    assert (document["name"], document["metadata"]) == ("e1", {"v": "1"})
    assert [row["item"]["id"] for row in document["items"]] == [first, second]
    assert (document["items"][0]["run"]["error"], document["items"][0]["run"]["latency_ms"]) == ("boom", 2.0)
    assert document["items"][1]["run"] is None
    assert document["totals"] | {"experiment_id": None} == {
        "experiment_id": None,
        "runs": 1,
        "errors": 1,
        "cost": "0",
        "mean_cost": "0",
        "tokens": 0,
        "mean_tokens": 0.0,
        "mean_latency_ms": 2.0,
        "score_means": {},
    }


def test_what_cannot_be_compared_is_refused_with_its_reason(server):
    one, _ = _dataset(server, "one", ["a"])
    other, _ = _dataset(server, "other", ["b"])
    first = _post(server, "/experiments", {"name": "e", "dataset_id": one})["id"]
    second = _post(server, "/experiments", {"name": "e", "dataset_id": other})["id"]
    cases = {
        f"{first},{second}": (400, "must be of one dataset"),
        ",".join([first] * 6): (400, "give 1 to 5 experiment ids, not 6"),
        f"{first},nope": (404, "no experiment 'nope'"),
    }
    for ids, (status, message) in cases.items():
        refused = server.get("/api/v1/experiments/compare", ids=ids)
        assert (refused.status_code, message in refused.text) == (status, True), refused.text
    unknown = _post(server, "/experiments", {"name": "e", "dataset_id": "missing"}, status=404)
    assert "no dataset 'missing'" in unknown["error"]["message"]
    listed = server.get("/api/v1/experiments", dataset_id=one).json()["experiments"]
    assert [e["id"] for e in listed] == [first]
