"""``/api/v1/traces/live``: new traces as server-sent events, per project, kept alive, reset when behind."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span
from tokentrail.api.live import TraceFeed

PROTOBUF = "application/x-protobuf"


class EventStream:
    """An open live tail, read event by event."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines

    def next(self) -> tuple[str, str]:
        """The next event or comment, as (event name or ":" for a comment, data or comment text)."""
        name, data = "message", []
        for line in self._lines:
            if line == "":
                if data:
                    return name, "\n".join(data)
                continue
            if line.startswith(":"):
                return ":", line[1:].strip()
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        raise AssertionError("the stream ended")

    def next_event(self) -> tuple[str, str]:
        """The next event, comments skipped."""
        while True:
            name, data = self.next()
            if name != ":":
                return name, data


def _open(server, **params):
    return httpx.stream(
        "GET", server.url + "/api/v1/traces/live", params=params, timeout=httpx.Timeout(20, read=20)
    )


def _send(server, spans, **headers):
    response = server.post_otlp(protobuf_request(spans), PROTOBUF, **headers)
    assert response.status_code == 200, response.content


def test_a_new_trace_arrives_as_an_event_with_its_list_row(server):
    trace_id = new_trace_id()
    root = span("checkout", trace_id, attributes={"tool.cost_usd": "0.25", "session.id": "s-9"})
    with _open(server) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = EventStream(response.iter_lines())
        assert stream.next() == (":", "live")  # the stream is open before anything arrives

        _send(server, [root])
        name, data = stream.next_event()

    assert name == "trace"
    row = json.loads(data)
    assert row == server.get("/api/v1/traces").json()["traces"][0]
    assert (row["trace_id"], row["cost"], row["session_id"]) == (trace_id, "0.25", "s-9")


def test_a_trace_is_sent_again_when_more_of_its_spans_arrive(server):
    trace_id = new_trace_id()
    root = span("turn", trace_id, attributes={"tool.cost_usd": "0.1"})
    child = span(
        "tool", trace_id, parent=root["span_id"], start_ns=NOW_NS + 1, attributes={"tool.cost_usd": "0.2"}
    )
    with _open(server) as response:
        stream = EventStream(response.iter_lines())
        _send(server, [root])
        first = json.loads(stream.next_event()[1])
        _send(server, [child])
        second = json.loads(stream.next_event()[1])

    assert (first["trace_id"], first["span_count"], first["cost"]) == (trace_id, 1, "0.1")
    assert (second["trace_id"], second["span_count"], second["cost"]) == (trace_id, 2, "0.3")


def test_only_the_streams_project_is_sent(server):
    other, mine = new_trace_id(), new_trace_id()
    with _open(server, project="shop") as response:
        stream = EventStream(response.iter_lines())
        _send(server, [span("elsewhere", other)])
        _send(server, [span("here", mine)], **{"x-tokentrail-project": "shop"})
        name, data = stream.next_event()

    assert name == "trace" and json.loads(data)["trace_id"] == mine


def test_an_idle_stream_gets_keepalive_comments(server):
    with _open(server, keepalive_s=0.2) as response:
        stream = EventStream(response.iter_lines())
        assert stream.next() == (":", "live")
        assert stream.next() == (":", "keepalive")
        assert stream.next() == (":", "keepalive")


def test_bad_live_parameters_get_a_400(server):
    assert server.get("/api/v1/traces/live", keepalive_s=0).status_code == 400
    assert server.get("/api/v1/traces/live", project="bad project!").status_code == 400


def test_a_feed_sends_each_trace_once_in_arrival_order_and_resets_when_too_far_behind():
    async def scenario():
        loop = asyncio.get_running_loop()
        feed = TraceFeed(loop, "default", backlog=3)
        # The writer calls from its insert thread.
        await loop.run_in_executor(None, feed, frozenset({("default", "a"), ("other", "x")}))
        await loop.run_in_executor(None, feed, frozenset({("default", "b")}))
        await loop.run_in_executor(None, feed, frozenset({("default", "a")}))
        first = await feed.next(5)
        idle = await feed.next(0.05)
        await loop.run_in_executor(None, feed, frozenset({("default", t) for t in "cdef"}))
        behind = await feed.next(5)
        await loop.run_in_executor(None, feed, frozenset({("default", "g")}))
        after = await feed.next(5)
        return first, idle, behind, after

    first, idle, behind, after = asyncio.run(scenario())

    assert first == ["a", "b"] and idle == []
    assert behind is None  # four waiting, more than the backlog of three: the client reloads instead
    assert after == ["g"]
