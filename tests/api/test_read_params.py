"""Every number a read route takes (query parameter or cursor) is held to what its type holds.

A value the store cannot hold (a cost past ``Decimal(38, 18)``, a time or duration past ``Int64``
nanoseconds), NaN, an infinity, a negative count or a non-number is answered 400 with a message that
starts with the parameter's name, never 500 and never a silently wrapped number; the extremes the store
does hold still work. The pages taking the same parameters show their error page with 400.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
from collections.abc import Iterator

import httpx
import pytest

from conftest import LiveServer, start_server
from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span
from tokentrail.store.database import Store

#: The first and last times Int64 Unix nanoseconds hold, to the microsecond; and one microsecond past.
FIRST = "1677-09-21T00:12:43.145225Z"
LAST = "2262-04-11T23:47:16.854775Z"
BEFORE_FIRST = "1677-09-21T00:12:43.145224Z"
AFTER_LAST = "2262-04-11T23:47:16.854776Z"
#: The largest amount ``Decimal(38, 18)`` holds.
MAX_MONEY = "99999999999999999999.999999999999999999"
INT64_MAX = 2**63 - 1

NOT_FINITE = ["NaN", "inf", "-inf", "1e400"]
NOT_A_COUNT = ["0", "-1", "99999999999999999999999", "NaN", "1.5", "lots"]
BAD_TIMES = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", BEFORE_FIRST, AFTER_LAST]

_databases = itertools.count(1)


@pytest.fixture(scope="module")
def server(chdb_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module (these tests only read), with three traces in two sessions, so that
    every list has a second page."""
    store = Store(chdb_url, f"read_params_{os.getpid()}_{next(_databases)}")
    try:
        for live in start_server(store, tmp_path_factory.mktemp("read_params")):
            spans = [
                span(
                    "turn",
                    new_trace_id(),
                    start_ns=NOW_NS + index * 10**9,
                    duration_ms=10 + index,
                    attributes={"session.id": f"chat-{index % 2}", "tool.cost_usd": f"0.{index + 1}"},
                )
                for index in range(3)
            ]
            response = live.post_otlp(protobuf_request(spans), "application/x-protobuf")
            assert response.status_code == 200, response.content
            yield live
    finally:
        store.client().command(f"DROP DATABASE IF EXISTS {store.database}")
        store.close()


def _cursor(*parts: object) -> str:
    """A cursor as ``_encode_cursor`` makes one (base64url of a JSON list), holding anything."""
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


def _get(server: LiveServer, path: str, params: dict[str, object]) -> httpx.Response:
    """GET, reading no further than the headers of a stream (the live tail never ends)."""
    server.settle()
    with httpx.stream("GET", server.url + path, params=params, timeout=30) as response:
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            response.read()
        return response


def _assert_refused(response: httpx.Response, name: str) -> None:
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert response.json() == {"error": {"status": 400, "message": message}}
    assert message.startswith(f"{name}: "), message


def _cases(table: list[tuple[str, str, dict[str, object], list[str]]]) -> list[object]:
    return [
        pytest.param(path, name, works, bad, id=f"{path} {name}={bad}")
        for path, name, works, refused in table
        for bad in refused
    ]


#: Each numeric parameter of each read route: (path, parameter, a request it works in, values refused).
NUMBERS: list[tuple[str, str, dict[str, object], list[str]]] = [
    ("/api/v1/traces", "min_cost", {"min_cost": MAX_MONEY}, [*NOT_FINITE, "1e25", "-1", "1e-19", "lots"]),
    (
        "/api/v1/traces",
        "min_duration_ms",
        {"min_duration_ms": INT64_MAX // 10**6},
        [*NOT_FINITE, "1e25", str(INT64_MAX // 10**6 + 1), "-1", "lots"],
    ),
    ("/api/v1/traces", "limit", {"limit": 1000}, NOT_A_COUNT),
    ("/api/v1/sessions", "limit", {"limit": 1000}, NOT_A_COUNT),
    ("/api/v1/errors", "limit", {"limit": 1000}, NOT_A_COUNT),
    ("/api/v1/costs/retries", "limit", {"limit": 1000}, NOT_A_COUNT),
    ("/api/v1/costs/timeseries", "buckets", {"buckets": 200}, NOT_A_COUNT),
    ("/api/v1/costs/timeseries", "top", {"top": 50}, NOT_A_COUNT),
    ("/api/v1/traces/live", "keepalive_s", {"keepalive_s": 300}, [*NOT_FINITE, "0", "-1", "lots"]),
    *(
        (path, name, {name: FIRST if name == "start" else LAST}, BAD_TIMES)
        for path in (
            "/api/v1/traces",
            "/api/v1/sessions",
            "/api/v1/costs",
            "/api/v1/costs/unpriced",
            "/api/v1/costs/retries",
            "/api/v1/errors",
        )
        for name in ("start", "end")
    ),
    # A series from 1677 to now would have thousands of weekly buckets: the bounds come with a range.
    ("/api/v1/costs/timeseries", "start", {"start": FIRST, "end": "1677-09-22T00:00:00Z"}, BAD_TIMES),
    ("/api/v1/costs/timeseries", "end", {"end": LAST}, BAD_TIMES),
    ("/api/v1/prices/lookup", "at", {"model": "gpt-4o", "provider": "openai", "at": LAST}, BAD_TIMES),
]


@pytest.mark.parametrize(("path", "name", "works", "bad"), _cases(NUMBERS))
def test_a_number_the_parameter_cannot_hold_is_a_400_naming_it(server, path, name, works, bad):
    assert _get(server, path, works).status_code == 200

    _assert_refused(_get(server, path, {**works, name: bad}), name)


#: Each paged list and sort: (path, sort, the sort a cursor names, the cursor values its type refuses).
INT64_REFUSED = ["NaN", "inf", "1e400", "1.5", "1e30", str(2**63), str(-(2**63) - 1), "lots"]
# Past Decimal(76, 18), the type costs are summed and bound in (past Decimal(38, 18) too).
MONEY_REFUSED = ["NaN", "inf", "-inf", "1e400", "1e60", "-1e60", "lots"]
SORTS = [
    ("/api/v1/traces", "time", "time", INT64_REFUSED),
    ("/api/v1/traces", "duration", "duration", INT64_REFUSED),
    ("/api/v1/traces", "cost", "cost", MONEY_REFUSED),
    ("/api/v1/sessions", "time", "session-time", INT64_REFUSED),
    ("/api/v1/sessions", "cost", "session-cost", MONEY_REFUSED),
]


@pytest.mark.parametrize(
    ("path", "sort", "cursor_sort", "value"),
    [
        pytest.param(path, sort, cursor_sort, value, id=f"{path}?sort={sort} {value}")
        for path, sort, cursor_sort, refused in SORTS
        for value in refused
    ],
)
def test_a_cursor_value_the_sort_column_cannot_hold_is_a_400(server, path, sort, cursor_sort, value):
    first = server.get(path, sort=sort, limit=1).json()
    assert server.get(path, sort=sort, limit=1, cursor=first["next_cursor"]).status_code == 200

    _assert_refused(server.get(path, sort=sort, cursor=_cursor(cursor_sort, value, "a" * 32)), "cursor")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("time", "1"),
        _cursor("time", "1", "a", "b"),
        _cursor("time", 1, "a"),
        _cursor("time", "1", 5),
        _cursor(None, "1", "a"),
        _cursor("time", ["1"], "a"),
        base64.urlsafe_b64encode(b'{"time": "1", "a": "b"}').decode(),
        base64.urlsafe_b64encode(b'"abc"').decode(),
        base64.urlsafe_b64encode(b"null").decode(),
        base64.urlsafe_b64encode(b"[" * 5000).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "not base64!",
        "é",
    ],
)
def test_a_cursor_of_another_shape_is_a_400(server, cursor):
    _assert_refused(server.get("/api/v1/traces", cursor=cursor), "cursor")


#: The pages and the parameters they pass on: (path, parameter, a request it works in, values refused).
PAGES: list[tuple[str, str, dict[str, object], list[str]]] = [
    ("/traces", "min_cost", {"min_cost": "0.1"}, ["1e400", "NaN", "1e25", "-1"]),
    ("/traces", "min_duration_ms", {"min_duration_ms": "0.5"}, ["NaN", "inf", "1e25", "-1"]),
    ("/traces", "cursor", {}, [_cursor("time", "NaN", "a"), _cursor("time", "1e30", "a")]),
    ("/sessions", "cursor", {"sort": "cost"}, [_cursor("session-cost", "1e60", "a")]),
    *(
        (path, name, {name: FIRST if name == "start" else LAST}, BAD_TIMES[:2])
        for path in ("/traces", "/sessions", "/errors", "/costs/panels/kinds")
        for name in ("start", "end")
    ),
    ("/costs", "start", {"start": FIRST, "end": "1677-09-22T00:00:00Z"}, BAD_TIMES[:2]),
    ("/costs", "end", {"end": LAST}, BAD_TIMES[:2]),
]


@pytest.mark.parametrize(("path", "name", "works", "bad"), _cases(PAGES))
def test_a_page_shows_a_bad_number_as_its_error_page_with_400(server, path, name, works, bad):
    assert server.get(path, **works).status_code == 200

    response = server.get(path, **{**works, name: bad})

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert f"{name}: " in response.text
