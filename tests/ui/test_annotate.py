"""``POST /traces/{trace_id}/scores``, the annotate form's endpoint: a human's score on a stored trace or
one of its spans, checked against its config; nothing else is stored. And the pages that show scores."""

from __future__ import annotations

import httpx

from otlp_builders import new_span_id, new_trace_id, protobuf_request, span


def _trace(server):
    trace_id, root, child = new_trace_id(), new_span_id(), new_span_id()
    spans = [
        span("answer", trace_id, root, attributes={"session.id": "chat-9"}),
        span("step", trace_id, child, root),
    ]
    server.post_otlp(protobuf_request(spans), "application/x-protobuf")
    server.settle()
    return trace_id, child


def _annotate(server, trace_id, **body):
    return httpx.post(f"{server.url}/traces/{trace_id}/scores", json=body, timeout=30)


def test_a_score_on_the_trace_or_its_span_is_stored_as_a_humans(server):
    trace_id, child = _trace(server)

    on_trace = _annotate(server, trace_id, name="helpful", value=1)
    on_span = _annotate(
        server, trace_id, name="tone", span_id=child, data_type="categorical", string_value="ok"
    )

    assert on_trace.status_code == on_span.status_code == 201
    scores = {s["name"]: s for s in server.get("/api/v1/scores", trace_id=trace_id).json()["scores"]}
    assert (scores["helpful"]["span_id"], scores["helpful"]["source"]) == ("", "human")
    assert (scores["tone"]["span_id"], scores["tone"]["string_value"]) == (child, "ok")


def test_what_cannot_be_annotated_is_refused_and_nothing_stored(server):
    trace_id, _ = _trace(server)
    _, other_span = _trace(server)
    httpx.post(f"{server.url}/api/v1/score-configs", json={"name": "helpful", "min": 0, "max": 1}, timeout=30)

    answers = {
        "unknown trace": _annotate(server, new_trace_id(), name="x", value=1),
        "span of another trace": _annotate(server, trace_id, name="x", span_id=other_span, value=1),
        "misfit": _annotate(server, trace_id, name="helpful", value=3),
        "no value": _annotate(server, trace_id, name="x"),
    }

    assert {case: answer.status_code for case, answer in answers.items()} == {
        "unknown trace": 404,
        "span of another trace": 404,
        "misfit": 400,
        "no value": 400,
    }
    assert "outside its config's range 0..1" in answers["misfit"].text
    assert server.get("/api/v1/scores").json()["scores"] == []


def test_the_trace_and_session_pages_show_their_scores(server):
    trace_id, child = _trace(server)
    _annotate(server, trace_id, name="helpful", span_id=child, value=0.5, comment="partly")
    httpx.post(
        f"{server.url}/api/v1/scores",
        json=[{"name": "resolved", "session_id": "chat-9", "data_type": "boolean", "value": 1}],
        timeout=30,
    )

    trace_page = server.get(f"/traces/{trace_id}").text
    span_panel = server.get(f"/traces/{trace_id}/spans/{child}").text
    session_page = server.get("/sessions/chat-9").text

    assert 'data-score="helpful"' in trace_page and "partly" in trace_page
    assert 'data-score="helpful"' in span_panel
    assert 'data-score="resolved"' in session_page and "true" in session_page
    assert "helpful <strong>0.5</strong>" in session_page  # the turn's badge
