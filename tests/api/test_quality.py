"""``/api/v1/quality`` on a live server: a score against cost per model, trace name, experiment and prompt
version, the cheaper model found as good as the dearer one, each project its own, and what it refuses."""

from __future__ import annotations

import time
from statistics import fmean

import httpx
import pytest

from priced_turns import send, turn

HOUR = 3_600 * 10**9
#: The dearer model's scores and the cheaper one's: means 0.88 and 0.86, spread wide enough to overlap.
DEAR, CHEAP = [1.0, 0.76] * 10, [0.98, 0.74] * 10


def _score(server, scores, **params):
    response = httpx.post(f"{server.url}/api/v1/scores", json=scores, params=params, timeout=30)
    assert response.status_code == 201, response.text


def _scored(server, values, model, *, name="answer", **score_fields):
    """Send a trace per value (1000 input and 200 output tokens on ``model``) and score each."""
    now = time.time_ns()
    traces = [turn(now - HOUR + i, 1000, 200, model, name=name) for i in range(len(values))]
    send(server, traces)
    _score(
        server,
        [
            {"name": "helpful", "trace_id": trace_id, "value": value, **score_fields}
            for (trace_id, _), value in zip(traces, values, strict=True)
        ],
    )
    return [trace_id for trace_id, _ in traces]


def _quality(server, **params):
    response = server.get("/api/v1/quality", **{"score": "helpful", **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_cheaper_model_as_good_within_the_interval_is_said_so(server):
    _scored(server, DEAR, "gpt-4o")
    _scored(server, CHEAP, "gpt-4o-mini")

    body = _quality(server, by="model")

    dear, cheap = body["groups"]
    assert (dear["key"], cheap["key"]) == ("gpt-4o", "gpt-4o-mini")
    assert dear["mean"] == pytest.approx(fmean(DEAR), rel=1e-12)
    assert cheap["mean"] == pytest.approx(fmean(CHEAP), rel=1e-12)
    # $2.50/M input and $10/M output; $0.15/M and $0.60/M: exact per trace.
    assert (dear["cost_per_trace"], cheap["cost_per_trace"]) == ("0.0045", "0.00027")
    assert (dear["cost"], dear["traces"], dear["tokens_per_trace"]) == ("0.09", 20, 1200.0)
    assert dear["score_per_dollar"] == pytest.approx(fmean(DEAR) / 0.0045)
    assert dear["frontier"] and cheap["frontier"]
    assert cheap["low"] < fmean(CHEAP) < cheap["high"] and cheap["high"] > dear["low"]
    assert body["interval"] == "normal 95%"
    assert body["as_good"] == [
        {
            "key": "gpt-4o-mini",
            "best": "gpt-4o",
            "times_cheaper": "16.67",
            "sentence": "gpt-4o-mini scores 0.86 ± 0.05 at $0.00027/trace vs gpt-4o 0.88 ± 0.05 at "
            "$0.0045/trace: as good within the interval, 17x cheaper",
        }
    ]


def test_a_dearer_worse_group_is_off_the_frontier_and_by_trace_name(server):
    _scored(server, [0.9, 0.7] * 3, "gpt-4o-mini", name="summarize")
    _scored(server, [0.5, 0.3] * 3, "gpt-4o", name="answer")

    by_name = _quality(server, by="name")["groups"]

    assert [(g["key"], g["frontier"], g["traces"]) for g in by_name] == [
        ("summarize", True, 6),
        ("answer", False, 6),
    ]
    assert _quality(server, by="name", name="summ")["groups"][0]["key"] == "summarize"
    assert len(_quality(server, by="name", name="summ")["groups"]) == 1


def test_scores_on_spans_count_for_their_trace_and_several_are_averaged(server):
    now = time.time_ns()
    trace_id, spans = turn(now - HOUR, 1000, 200, "gpt-4o")
    send(server, [(trace_id, spans)])
    _score(
        server,
        [
            {"name": "helpful", "trace_id": trace_id, "value": 1.0},
            {"name": "helpful", "span_id": spans[1]["span_id"], "value": 0.5},
            {"name": "other", "trace_id": trace_id, "value": 0.0},
        ],
    )

    (group,) = _quality(server, by="model")["groups"]

    assert (group["traces"], group["mean"], group["low"]) == (1, 0.75, None)


def test_grouped_by_experiment_with_boolean_scores(server):
    _scored(server, [1] * 8 + [0] * 2, "gpt-4o", experiment_id="exp-a", data_type="boolean")
    _scored(server, [1] * 4 + [0] * 6, "gpt-4o-mini", experiment_id="exp-b", data_type="boolean")

    body = _quality(server, by="experiment")

    assert body["interval"] == "wilson 95%"
    assert [(g["key"], g["label"], g["mean"]) for g in body["groups"]] == [
        ("exp-a", "exp-a", 0.8),
        ("exp-b", "exp-b", 0.4),
    ]
    # Wilson's interval for 8 of 10.
    assert body["groups"][0]["low"] == pytest.approx(0.4902, abs=1e-4)
    assert body["groups"][0]["high"] == pytest.approx(0.9433, abs=1e-4)


def test_experiments_read_by_their_names_where_the_store_keeps_them(server):
    # The experiments table as datasets and experiments define it (created here when they are absent).
    server.store.command(
        "CREATE TABLE IF NOT EXISTS experiments (project String, id String, name String, dataset_id String, "
        "metadata Map(String, String), created_ns Int64, updated_ns Int64) "
        "ENGINE = ReplacingMergeTree(updated_ns) ORDER BY (project, id)"
    )
    server.store.command(
        "INSERT INTO experiments (project, id, name, updated_ns) VALUES "
        "('default', 'exp-a', 'baseline prompt', 1), ('other', 'exp-b', 'not this project', 1)"
    )
    _scored(server, [0.9, 0.7], "gpt-4o", experiment_id="exp-a")
    _scored(server, [0.5, 0.3], "gpt-4o", experiment_id="exp-b")
    _scored(server, [0.1, 0.2], "gpt-4o")

    groups = _quality(server, by="experiment")["groups"]

    assert [(g["key"], g["label"]) for g in groups] == [
        ("exp-a", "baseline prompt"),
        ("exp-b", "exp-b"),
        ("", "(none)"),
    ]


def test_grouped_by_the_prompt_version_conventions_name(server):
    now = time.time_ns()
    langfuse_v1 = {"langfuse.observation.prompt.name": "qa", "langfuse.observation.prompt.version": "1"}
    langfuse_v2 = {**langfuse_v1, "langfuse.observation.prompt.version": "2"}
    traces = [
        *(turn(now - HOUR + i, 1000, 200, "gpt-4o", call_attributes=langfuse_v1) for i in range(3)),
        *(turn(now - HOUR + i, 1000, 200, "gpt-4o", call_attributes=langfuse_v2) for i in range(3)),
        turn(now - HOUR, 1000, 200, "gpt-4o", call_attributes={"traceloop.prompt.key": "qa-tl"}),
        turn(now - HOUR, 1000, 200, "gpt-4o"),
        turn(
            now - HOUR,
            1000,
            200,
            "gpt-4o",
            call_attributes={"gen_ai.prompt.name": "g", "gen_ai.prompt.version": "7"},
        ),
        turn(now - HOUR, 1000, 200, "gpt-4o", call_attributes={"llm.prompt_template.version": "v3"}),
    ]
    send(server, traces)
    values = [0.2, 0.3, 0.4, 0.8, 0.9, 1.0, 0.5, 0.1, 0.45, 0.35]
    scores = [
        {"name": "helpful", "trace_id": t, "value": v} for (t, _), v in zip(traces, values, strict=True)
    ]
    _score(server, scores)

    groups = _quality(server, by="prompt")["groups"]

    assert [(g["key"], g["label"], g["traces"]) for g in groups] == [
        ("qa@2", "qa@2", 3),
        ("qa-tl", "qa-tl", 1),
        ("g@7", "g@7", 1),
        ("v3", "v3", 1),
        ("qa@1", "qa@1", 3),
        ("", "(none)", 1),
    ]


def test_categorical_scores_read_as_the_share_of_a_category(server):
    ids = _scored(server, [1.0] * 4, "gpt-4o")
    _score(
        server,
        [
            {"name": "tone", "trace_id": t, "data_type": "categorical", "string_value": c}
            for t, c in zip(ids, ["kind", "kind", "kind", "rude"], strict=True)
        ],
    )

    commonest = _quality(server, score="tone", by="model")
    rude = _quality(server, score="tone", by="model", category="rude")

    assert (commonest["category"], commonest["groups"][0]["mean"]) == ("kind", 0.75)
    assert (rude["category"], rude["groups"][0]["mean"]) == ("rude", 0.25)


def test_each_project_sees_its_own_scores_and_the_window_counts(server):
    ids = _scored(server, [0.5, 0.7], "gpt-4o")
    _score(server, [{"name": "helpful", "trace_id": t, "value": 0.0} for t in ids], project="other")

    assert _quality(server, project="other")["groups"] == []
    assert _quality(server, start="2000-01-01T00:00:00Z", end="2000-01-02T00:00:00Z")["groups"] == []
    (group,) = _quality(server, start="2000-01-01T00:00:00Z")["groups"]
    assert (group["traces"], group["mean"]) == (2, 0.6)


@pytest.mark.parametrize(
    "params",
    [{"score": "helpful", "by": "colour"}, {"by": "model"}, {"score": "helpful", "start": "yesterday"}],
)
def test_what_the_view_cannot_answer_is_a_400(server, params):
    response = server.get("/api/v1/quality", **params)

    assert response.status_code == 400, response.text
