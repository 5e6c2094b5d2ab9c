"""A webhook's body is the stored alert as JSON with absolute links, signed with the budget's secret so a
receiver can check it came from this server unchanged."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from tokentrail.budgets.budget import Budget
from tokentrail.budgets.periods import period_of
from tokentrail.budgets.webhook import ALERT_ID_HEADER, SIGNATURE_HEADER, alert_body, headers, links

MAY_2026 = 1_777_593_600 * 10**9  # 2026-05-01T00:00:00Z


def budget(**fields):
    base = {
        "project": "shop",
        "id": "b1",
        "name": "checkout",
        "scope_kind": "tag",
        "scope_value": "checkout",
        "period": "month",
        "amount": Decimal(100),
        "webhook_url": "https://hooks.example.com/in",
        "webhook_secret": "s3cret",
    }
    return Budget(**{**base, **fields})


def alert():
    period = period_of("month", MAY_2026)
    return {
        "id": "a1",
        "kind": "threshold",
        "period_start_ns": period.start_ns,
        "period_end_ns": period.end_ns,
        "threshold": Decimal("0.8"),
        "amount": Decimal(100),
        "spend": Decimal("80.000000000000000001"),
        "projected": None,
        "fired_ns": MAY_2026 + 3600 * 10**9,
    }


def test_the_body_carries_exact_money_the_period_and_links():
    body = json.loads(alert_body("https://tt.example.com/", budget(), alert()))
    assert (
        body["spend"] == "80.000000000000000001" and body["threshold"] == "0.8" and body["projected"] is None
    )
    assert body["period"] == {"kind": "month", "start": "2026-05-01T00:00:00Z", "end": "2026-06-01T00:00:00Z"}
    assert body["scope"] == {"kind": "tag", "value": "checkout"}
    assert body["fired_at"] == "2026-05-01T01:00:00Z"
    explain = urlsplit(body["links"]["explain"])
    assert (explain.scheme, explain.netloc, explain.path) == ("https", "tt.example.com", "/explain")
    # The month so far (to the alert) against the same stretch of April.
    assert parse_qs(explain.query) == {
        "start": ["2026-05-01T00:00:00Z"],
        "end": ["2026-05-01T01:00:00Z"],
        "vs_start": ["2026-04-01T00:00:00Z"],
        "vs_end": ["2026-04-01T01:00:00Z"],
        "tag": ["checkout"],
        "project": ["shop"],
    }
    assert body["links"]["costs"].startswith("https://tt.example.com/costs?start=2026-05-01T00")


def test_a_project_budgets_explain_link_has_no_scope_filter():
    day = period_of("day", MAY_2026)
    link = links("http://h", budget(scope_kind="project", scope_value=""), day, day.start_ns + 3600 * 10**9)
    assert set(parse_qs(urlsplit(link["explain"]).query)) == {"start", "end", "vs_start", "vs_end", "project"}


def test_the_stretch_compared_ends_with_the_shorter_period_before():
    """March 31st, late: against February, which ends sooner (a leap year's 29th), and never empty."""
    march = period_of("month", 1_836_691_200 * 10**9)  # 2028-03-15
    late = march.end_ns - 3600 * 10**9
    query = parse_qs(urlsplit(links("http://h", budget(), march, late)["explain"]).query)
    assert (query["vs_start"], query["vs_end"]) == (["2028-02-01T00:00:00Z"], ["2028-03-01T00:00:00Z"])
    first = parse_qs(urlsplit(links("http://h", budget(), march, march.start_ns)["explain"]).query)
    assert (first["start"], first["end"]) == (["2028-03-01T00:00:00Z"], ["2028-03-01T00:00:01Z"])


def test_a_receiver_verifies_the_signature_with_the_shared_secret():
    body = alert_body("http://h", budget(), alert())
    sent = headers(budget(), "a1", body)
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sent[SIGNATURE_HEADER], expected)
    assert sent[ALERT_ID_HEADER] == "a1"
    assert headers(budget(webhook_secret="other"), "a1", body)[SIGNATURE_HEADER] != expected


def test_every_attempt_sends_the_same_bytes():
    assert alert_body("http://h", budget(), alert()) == alert_body("http://h", budget(), alert())
