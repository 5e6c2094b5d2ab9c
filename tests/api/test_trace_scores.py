"""Scores in ``/api/v1/traces``: filtered by score conditions (all met; a trace's score of a name is the
mean of its scores of that name, on it or its spans), sorted by a score with unscored traces last in
either order and paged exactly once, and each row's scores as badges."""

from __future__ import annotations

import httpx

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span

SECOND = 1_000_000_000


def _traces(server, count):
    ids, spans = [], []
    for index in range(count):
        trace_id = new_trace_id()
        ids.append(trace_id)
        spans.append(
            span(f"t{index}", trace_id, span_id=f"{index + 1:016x}", start_ns=NOW_NS + index * SECOND)
        )
    assert server.post_otlp(protobuf_request(spans), "application/x-protobuf").status_code == 200
    return ids


def _score(server, **score):
    answer = httpx.post(f"{server.url}/api/v1/scores", json=[score], timeout=30)
    assert answer.status_code == 201, answer.text


def _ids(server, **params):
    answer = server.get("/api/v1/traces", **params)
    assert answer.status_code == 200, answer.text
    return [row["trace_id"] for row in answer.json()["traces"]]


def test_score_conditions_filter_the_list_and_all_must_hold(server):
    a, b, c = _traces(server, 3)
    _score(server, name="helpful", trace_id=a, value=0.9)
    _score(server, name="helpful", trace_id=b, span_id=f"{2:016x}", value=0.5)
    _score(server, name="helpful", trace_id=b, value=0.7)  # b's mean: 0.6
    _score(server, name="correct", trace_id=a, data_type="boolean", value=1)
    _score(server, name="correct", trace_id=c, data_type="boolean", value=0)
    _score(server, name="tone", trace_id=c, data_type="categorical", string_value="rude")
    _score(server, name="helpful", session_id="chat-1", value=1)  # a session's own: in no trace

    assert _ids(server, score="helpful>=0.8") == [a]
    assert _ids(server, score="helpful<0.8") == [b]
    assert _ids(server, score="helpful=0.6") == [b]
    assert _ids(server, score="helpful!=0.6") == [a]
    assert _ids(server, score="correct=true") == [a]
    assert _ids(server, score="correct=false") == [c]
    assert _ids(server, score="tone=rude") == [c]
    assert sorted(_ids(server, score="correct")) == sorted([a, c])  # scored with it at all
    assert _ids(server, score=["helpful>0", "correct=true"]) == [a]
    assert _ids(server, score=["helpful>0", "correct=false"]) == []


def test_sorting_by_a_score_puts_unscored_traces_last_and_pages_each_trace_once(server):
    ids = _traces(server, 7)
    for trace_id, value in zip(ids, [0.2, 0.9, 0.5, 0.8, 0.1], strict=False):
        _score(server, name="helpful", trace_id=trace_id, value=value)
    by_score = [ids[1], ids[3], ids[2], ids[0], ids[4]]

    for order, scored in (("desc", by_score), ("asc", by_score[::-1])):
        listed = _ids(server, sort="score:helpful", order=order)
        assert listed[:5] == scored, order
        assert set(listed[5:]) == {ids[5], ids[6]}, order
        seen, cursor = [], None
        while True:
            params = {"sort": "score:helpful", "order": order, "limit": 2, "cursor": cursor}
            page = server.get("/api/v1/traces", **params).json()
            seen += [row["trace_id"] for row in page["traces"]]
            if (cursor := page["next_cursor"]) is None:
                break
        assert seen == listed, order


def test_each_row_carries_its_scores_by_name(server):
    (trace_id,) = _traces(server, 1)
    _score(server, name="helpful", trace_id=trace_id, value=0.5)
    _score(server, name="helpful", trace_id=trace_id, span_id=f"{1:016x}", value=1.0)
    _score(server, name="tone", trace_id=trace_id, data_type="categorical", string_value="polite")

    (row,) = server.get("/api/v1/traces").json()["traces"]

    assert row["scores"] == [
        {"name": "helpful", "data_type": "numeric", "value": 0.75, "categories": [], "count": 2},
        {"name": "tone", "data_type": "categorical", "value": None, "categories": ["polite"], "count": 1},
    ]


def test_a_bad_score_condition_or_sort_is_a_400_that_says_why(server):
    for params, words in [
        ({"score": "helpful>"}, "<name><op><value>"),
        ({"score": "tone>polite"}, "only = applies"),
        ({"sort": "score:"}, "score:<name>"),
    ]:
        answer = server.get("/api/v1/traces", **params)
        assert answer.status_code == 400, params
        assert words in answer.json()["error"]["message"], params
