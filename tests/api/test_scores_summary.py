"""``/api/v1/scores/summary``: each score's distribution over time, by when it was given: numeric means,
medians and a histogram, boolean shares true, categorical counts, all per bucket (empty ones too), and
counts per source and evaluator; each project its own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tokentrail.store.scores import Score, save_scores

HOUR = 3_600 * 10**9
START = int(datetime(2026, 11, 2, tzinfo=UTC).timestamp()) * 10**9
WINDOW = {"start": "2026-11-02T00:00:00Z", "end": "2026-11-02T04:00:00Z", "buckets": 4}


def _at(hour: float, name: str, project: str = "default", **fields) -> Score:
    return Score(project, name, trace_id="t" * 32, created_ns=START + int(hour * HOUR), **fields)


def _summary(server, **params):
    response = server.get("/api/v1/scores/summary", **{**WINDOW, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_numeric_score_per_hour_with_its_histogram_sources_and_evaluators(server):
    save_scores(
        server.store,
        [
            _at(0.1, "helpful", value=0.2, source="human"),
            _at(0.2, "helpful", value=0.4, source="human"),
            _at(0.3, "helpful", value=0.9, source="evaluator", evaluator="judge"),
            _at(2.5, "helpful", value=1.0, source="evaluator", evaluator="judge"),
            _at(5.0, "helpful", value=0.0),  # after the window
        ],
    )

    (helpful,) = _summary(server)["scores"]

    assert (helpful["name"], helpful["data_type"], helpful["scores"]) == ("helpful", "numeric", 4)
    assert helpful["sources"] == {"evaluator": 2, "human": 2}
    assert helpful["evaluators"] == {"judge": 2}
    assert [(b["start"], b["scores"]) for b in helpful["buckets"]] == [
        ("2026-11-02T00:00:00Z", 3),
        ("2026-11-02T01:00:00Z", 0),
        ("2026-11-02T02:00:00Z", 1),
        ("2026-11-02T03:00:00Z", 0),
    ]
    first = helpful["buckets"][0]
    assert first["mean"] == pytest.approx(0.5) and first["p50"] == 0.4
    assert helpful["buckets"][1]["mean"] is None
    assert [b["scores"] for b in helpful["histogram"]] == [1, 0, 1, 0, 0, 0, 0, 0, 1, 1]
    assert helpful["histogram"][0]["low"] == 0.2 and helpful["histogram"][-1]["high"] == pytest.approx(1.0)


def test_boolean_shares_true_and_categorical_counts_per_bucket(server):
    save_scores(
        server.store,
        [
            _at(0.5, "correct", data_type="boolean", value=1),
            _at(0.6, "correct", data_type="boolean", value=1),
            _at(0.7, "correct", data_type="boolean", value=0),
            _at(1.5, "correct", data_type="boolean", value=0),
            _at(0.5, "tone", data_type="categorical", string_value="kind"),
            _at(0.6, "tone", data_type="categorical", string_value="rude"),
            _at(3.5, "tone", data_type="categorical", string_value="kind"),
        ],
    )

    correct, tone = _summary(server)["scores"]

    assert [(b["scores"], b["true"], b["share_true"]) for b in correct["buckets"]] == [
        (3, 2, pytest.approx(2 / 3)),
        (1, 0, 0.0),
        (0, 0, None),
        (0, 0, None),
    ]
    assert tone["categories"] == {"kind": 2, "rude": 1}
    assert [b["categories"] for b in tone["buckets"]] == [{"kind": 1, "rude": 1}, {}, {}, {"kind": 1}]
    assert "histogram" not in tone


def test_each_project_sees_its_own_and_a_bad_window_is_a_400(server):
    save_scores(server.store, [_at(0.5, "secret", project="other", value=1.0)])

    assert _summary(server)["scores"] == []
    assert [s["name"] for s in _summary(server, project="other")["scores"]] == ["secret"]
    backwards = server.get("/api/v1/scores/summary", start="2026-11-02T04:00:00Z", end="2026-11-02T00:00:00Z")
    assert backwards.status_code == 400
    assert "'end' must be after 'start'" in backwards.json()["error"]["message"]
    assert server.get("/api/v1/scores/summary", buckets=0).status_code == 400
