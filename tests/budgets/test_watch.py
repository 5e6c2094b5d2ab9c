"""The budget watch on a live server: spans sent over OTLP cross a budget's thresholds, a check stores one
alert per threshold, and a receiver on loopback gets each one's signed JSON exactly once; a projection
alert fires before the spend crosses; a 500 is retried until taken, every attempt recorded; a restarted
server sends what the stopped one left pending."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime

import httpx
import pytest

from budgets.receiver import receiver
from conftest import start_server
from otlp_builders import new_trace_id, protobuf_request, span
from tokentrail.budgets.periods import period_of

HOUR = 3600 * 10**9
JAN_20_NOON = int(datetime(2026, 1, 20, 12, tzinfo=UTC).timestamp()) * 10**9
JAN_2 = int(datetime(2026, 1, 2, tzinfo=UTC).timestamp()) * 10**9


@pytest.fixture
def live(store, tmp_path):
    """A server that checks budgets only when a test says so (pending webhooks are still sent)."""
    yield from start_server(store, tmp_path, budget_check_s=0)


def spend(server, usd: str, start_ns: int, **attributes: str) -> None:
    """One span costing ``usd`` (a tool's stated cost), queryable when this returns."""
    one = span("search", new_trace_id(), start_ns=start_ns, attributes={"tool.cost_usd": usd, **attributes})
    assert server.post_otlp(protobuf_request([one]), "application/x-protobuf").status_code == 200
    server.settle()


def create(server, **body) -> dict:
    response = httpx.post(server.url + "/api/v1/budgets", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def alerts(server, budget_id: str) -> list[dict]:
    return httpx.get(f"{server.url}/api/v1/budgets/{budget_id}/alerts", timeout=30).json()["alerts"]


def test_each_threshold_is_sent_once_signed(live):
    with receiver() as hook:
        budget = create(live, name="january", amount="10", thresholds=["0.5", "1"], webhook_url=hook.url)
        spend(live, "6", JAN_2)
        assert [a["threshold"] for a in live.app.state.budgets.check(JAN_20_NOON)] == [0.5]
        assert live.app.state.budgets.check(JAN_20_NOON) == []  # found again, not fired again
        spend(live, "5", JAN_2 + HOUR)
        fired = live.app.state.budgets.check(JAN_20_NOON)
        assert [(a["kind"], a["threshold"], a["spend"]) for a in fired] == [("threshold", 1, 11)]
        half, full = hook.wait_for(2)
        assert len(hook.wait_for(3, timeout=2)) == 2  # and no more

    assert [r.json["threshold"] for r in (half, full)] == ["0.5", "1"]
    assert (half.json["spend"], full.json["spend"], full.json["amount"]) == ("6", "11", "10")
    assert full.json["period"] == {
        "kind": "month",
        "start": "2026-01-01T00:00:00Z",
        "end": "2026-02-01T00:00:00Z",
    }
    assert full.json["links"]["explain"].startswith(live.url + "/explain?start=2026-01-01T00%3A00%3A00Z")
    explained = httpx.get(full.json["links"]["explain"], timeout=60)
    assert explained.status_code == 200 and "$11" in explained.text, explained.text[:500]
    secret = budget["webhook_secret"]
    for request in (half, full):
        expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        assert request.headers["x-tokentrail-signature"] == expected
        assert request.headers["x-tokentrail-alert-id"] == request.json["id"]
    stored = alerts(live, budget["id"])
    assert {(a["threshold"], a["state"], len(a["deliveries"])) for a in stored} == {
        ("0.5", "delivered", 1),
        ("1", "delivered", 1),
    }


def test_a_projection_alert_fires_before_the_spend_crosses(live):
    day = int(datetime(2026, 1, 7, tzinfo=UTC).timestamp()) * 10**9
    with receiver() as hook:
        budget = create(live, period="day", amount="10", thresholds=["1"], webhook_url=hook.url)
        for hour in (9, 10, 11):  # $6 in the six hours before noon: $1 an hour, 12 hours left
            spend(live, "2", day + hour * HOUR)
        fired = live.app.state.budgets.check(day + 12 * HOUR)
        assert [(a["kind"], a["spend"], a["projected"]) for a in fired] == [("projected", 6, 18)]
        (sent,) = hook.wait_for(1)
    assert (sent.json["kind"], sent.json["projected"], sent.json["spend"]) == ("projected", "18", "6")
    assert alerts(live, budget["id"])[0]["state"] == "delivered"


def test_a_user_budget_counts_only_that_users_spend(live):
    budget = create(live, amount="10", thresholds=["0.5"], scope={"kind": "user", "value": "ana"})
    spend(live, "9", JAN_2, **{"user.id": "bo"})
    assert live.app.state.budgets.check(JAN_20_NOON) == []
    spend(live, "5", JAN_2, **{"user.id": "ana"})
    (fired,) = live.app.state.budgets.check(JAN_20_NOON)
    assert (fired["budget_id"], fired["spend"], fired["state"]) == (
        budget["id"],
        5,
        "unsent",
    )  # no webhook


def test_a_500_is_sent_again_after_its_retry_after_and_both_attempts_are_recorded(live):
    with receiver((500, {"Retry-After": "1"})) as hook:
        budget = create(live, amount="1", thresholds=["1"], webhook_url=hook.url)
        spend(live, "1", JAN_2)
        live.app.state.budgets.check(JAN_20_NOON)
        first, second = hook.wait_for(2)
    assert (
        first.body == second.body
        and first.headers["x-tokentrail-alert-id"] == second.headers["x-tokentrail-alert-id"]
    )
    (alert,) = alerts(live, budget["id"])
    assert alert["state"] == "delivered" and alert["attempts"] == 2
    assert [(d["attempt"], d["status_code"]) for d in alert["deliveries"]] == [(1, 500), (2, 200)]
    assert (
        alert["deliveries"][0]["next_retry_at"] is not None and "HTTP 500" in alert["deliveries"][0]["error"]
    )


def test_a_restarted_server_sends_what_was_left_pending(store, tmp_path):
    with receiver((503, {"Retry-After": "2"})) as hook:
        first = start_server(store, tmp_path, budget_check_s=0)
        server = next(first)
        budget = create(server, amount="1", thresholds=["1"], webhook_url=hook.url)
        spend(server, "2", JAN_2)
        server.app.state.budgets.check(JAN_20_NOON)
        hook.wait_for(1)
        next(first, None)  # stopped with the alert pending, its next attempt 2 s away
        assert len(hook.received) == 1
        assert [a["state"] for a in _stored_alerts(store)] == ["pending"]

        for restarted in start_server(store, tmp_path, budget_check_s=0):
            assert len(hook.wait_for(2)) == 2
            (alert,) = alerts(restarted, budget["id"])
            assert alert["state"] == "delivered"
            assert [(d["attempt"], d["status_code"]) for d in alert["deliveries"]] == [(1, 503), (2, 200)]


def _stored_alerts(store):
    return store.query_dicts("SELECT state FROM budget_alerts FINAL")


def test_a_permanent_refusal_is_not_retried(live):
    with receiver((410, {})) as hook:
        budget = create(live, amount="1", thresholds=["1"], webhook_url=hook.url)
        spend(live, "1", JAN_2)
        live.app.state.budgets.check(JAN_20_NOON)
        hook.wait_for(1)
        assert len(hook.wait_for(2, timeout=2)) == 1
    (alert,) = alerts(live, budget["id"])
    assert (alert["state"], [d["status_code"] for d in alert["deliveries"]]) == ("failed", [410])


def test_the_servers_own_checks_find_a_crossing_without_being_asked(store, tmp_path):
    with receiver() as hook:
        for server in start_server(store, tmp_path, budget_check_s=1):
            create(server, amount="1", thresholds=["0.5"], webhook_url=hook.url)
            spend(server, "2", period_of("month", time.time_ns()).start_ns + 10**9)
            (sent,) = hook.wait_for(1)
            assert len(hook.wait_for(2, timeout=3)) == 1  # later checks find it sent
    assert (sent.json["kind"], sent.json["spend"]) == ("threshold", "2")
