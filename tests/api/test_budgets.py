"""``/api/v1/budgets``: made, read, changed and deleted by an admin, listed by a reader of the project
only; bad fields refused with a 400 that names them; the webhook secret never shown once stored."""

from __future__ import annotations

import httpx
import pytest

from budgets.receiver import receiver
from conftest import ADMIN_KEY, bearer

ADMIN = bearer(ADMIN_KEY)


def post(server, body, headers=None):
    return httpx.post(server.url + "/api/v1/budgets", json=body, headers=headers or {}, timeout=30)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"amount": "10", "scope": {"kind": "team", "value": "x"}},
            "scope must be one of project, tag, user, service",
        ),
        ({"amount": "-1"}, "amount: Input should be greater than or equal to 0"),
        ({"amount": "0"}, "amount must be a positive number"),
        ({"amount": "10", "webhook_url": "hooks.example.com"}, "webhook_url must be an http(s) URL"),
        ({"amount": "10", "period": "week"}, "period must be one of day, month"),
        ({"amount": "10", "thresholds": ["80"]}, "thresholds are fractions"),
        ({}, "amount: Field required"),
        ({"amount": "10", "colour": "red"}, "colour: Extra inputs are not permitted"),
    ],
)
def test_a_bad_budget_is_refused_with_a_400_naming_the_field(server, body, message):
    response = post(server, body)
    assert response.status_code == 400 and message in response.json()["error"]["message"], response.text


def test_a_budget_is_made_read_changed_and_deleted(server):
    made = post(
        server, {"name": "ops", "amount": "12.50", "period": "day", "webhook_url": "https://h.example.com/x"}
    )
    assert made.status_code == 201, made.text
    budget = made.json()
    secret = budget.pop("webhook_secret")
    assert len(secret) >= 32 and budget["webhook_secret_set"]
    assert (budget["amount"], budget["thresholds"], budget["scope"]) == (
        "12.5",
        ["0.5", "0.8", "1"],
        {"kind": "project", "value": ""},
    )
    url = f"{server.url}/api/v1/budgets/{budget['id']}"
    read = httpx.get(url).json()
    assert secret not in str(read) and "webhook_secret" not in read
    assert read["status"]["spend"] == "0" and read["status"]["links"]["explain"].startswith(
        server.url + "/explain?"
    )

    changed = httpx.patch(url, json={"amount": "20", "enabled": False, "thresholds": ["1", "0.9"]})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["amount"], changed.json()["enabled"], changed.json()["thresholds"]) == (
        "20",
        False,
        ["0.9", "1"],
    )
    assert "webhook_secret" not in changed.json()
    assert httpx.patch(url, json={"period": "month"}).status_code == 400  # another budget: make a new one
    assert httpx.patch(url, json={"amount": None}).status_code == 400

    listed = httpx.get(server.url + "/api/v1/budgets").json()["budgets"]
    assert [b["id"] for b in listed] == [budget["id"]] and listed[0]["alerts"] == []
    assert httpx.delete(url).status_code == 200
    assert httpx.get(url).status_code == 404
    assert httpx.get(server.url + "/api/v1/budgets").json()["budgets"] == []


def test_a_given_secret_is_never_returned(server):
    made = post(
        server,
        {"amount": "1", "webhook_url": "https://h.example.com/x", "webhook_secret": "mine-" + "x" * 30},
    )
    assert made.status_code == 201 and "webhook_secret" not in made.json() and "mine-" not in made.text


def test_a_test_webhook_is_sent_once_and_recorded_nowhere(server):
    with receiver() as hook:
        budget = post(server, {"amount": "5", "webhook_url": hook.url}).json()
        sent = httpx.post(f"{server.url}/api/v1/budgets/{budget['id']}/test", timeout=30)
        assert sent.json() == {"delivered": True, "status_code": 200, "error": None}
        (request,) = hook.wait_for(1)
    assert request.json["kind"] == "test" and request.json["budget"]["id"] == budget["id"]
    assert httpx.get(f"{server.url}/api/v1/budgets/{budget['id']}/alerts").json() == {"alerts": []}
    no_hook = post(server, {"amount": "5"}).json()
    refused = httpx.post(f"{server.url}/api/v1/budgets/{no_hook['id']}/test")
    assert refused.status_code == 400 and "no webhook_url" in refused.text


def test_a_project_key_sees_only_its_projects_budgets_and_only_an_admin_changes_them(secured_server):
    server = secured_server
    access = server.app.state.access
    for project in ("alpha", "beta"):
        access.create_project(project)
    alpha_reader = access.create_key("r", project="alpha", rights=["read", "write"])[0]
    beta_reader = access.create_key("r", project="beta", rights=["read"])[0]
    mine = post(server, {"project": "alpha", "name": "alpha-budget", "amount": "3"}, ADMIN).json()
    post(server, {"project": "beta", "name": "beta-budget", "amount": "4"}, ADMIN)

    def names(key, **params):
        response = httpx.get(server.url + "/api/v1/budgets", params=params, headers=bearer(key))
        return response.status_code, [b["name"] for b in response.json().get("budgets", [])]

    assert names(alpha_reader) == (200, ["alpha-budget"])
    assert names(beta_reader) == (200, ["beta-budget"])
    assert names(beta_reader, project="alpha")[0] == 403
    assert (
        httpx.get(f"{server.url}/api/v1/budgets/{mine['id']}", headers=bearer(beta_reader)).status_code == 404
    )
    assert post(server, {"amount": "1"}, bearer(alpha_reader)).status_code == 403  # write is not admin
    assert (
        httpx.delete(f"{server.url}/api/v1/budgets/{mine['id']}", headers=bearer(alpha_reader)).status_code
        == 403
    )
    assert httpx.get(server.url + "/api/v1/budgets/alerts", headers=bearer(alpha_reader)).json() == {
        "alerts": []
    }
