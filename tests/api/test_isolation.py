"""Project isolation, tried on every route the server has.

The routes come from the OpenAPI document and the UI's route tables, so a route added later is tried
too (a path parameter this file has no sample for fails the test, not the check). Two projects, alpha
and beta: every route is tried with no key, a revoked key, the other project's key (naming alpha and
not), and keys lacking the right. None may answer 500, show anything of alpha to anyone but alpha, or
change anything of alpha.
"""

from __future__ import annotations

import itertools
import re
import socket
import uuid
from dataclasses import dataclass

import grpc
import httpx
import pytest
from fastapi.routing import APIRoute

from conftest import ADMIN_KEY, bearer, start_server
from otlp_builders import json_request, new_span_id, new_trace_id, protobuf_request, span
from tokentrail.api.auth import INGEST_PATHS, PUBLIC_PATHS, required_right
from tokentrail.api.otlp_grpc import EXPORT_METHOD
from tokentrail.store.database import Store
from tokentrail.ui import annotate as ui_annotate
from tokentrail.ui import budgets as ui_budgets
from tokentrail.ui import evaluators as ui_evaluators
from tokentrail.ui import experiments as ui_experiments
from tokentrail.ui import login as ui_login
from tokentrail.ui import quality_page as ui_quality
from tokentrail.ui import routes as ui_routes
from tokentrail.ui import scores_page as ui_scores

MARKERS = (
    "alpha-secret-root",
    "alpha-secret-session",
    "alpha-secret-user",
    "alpha-secret-rule",
    "alpha-secret-budget",
    "alpha-secret-prompt",
    "alpha-secret-dataset",
    "alpha-secret-experiment",
)
STREAMING = {"/api/v1/traces/live"}
_databases = itertools.count(1)


@dataclass
class World:
    url: str
    grpc_target: str
    server: object
    alpha: dict[str, str]  # right -> key
    beta: str  # every right
    revoked: str
    samples: dict[str, str]


@pytest.fixture(scope="module")
def world(chdb_url, tmp_path_factory):
    store = Store(chdb_url, f"test_isolation_{next(_databases)}")
    grpc_port = _free_port()
    running = start_server(
        store, tmp_path_factory.mktemp("isolation"), admin_key=ADMIN_KEY, grpc_port=grpc_port
    )
    server = next(running)
    access = server.app.state.access
    for project in ("alpha", "beta"):
        access.create_project(project)
    alpha = {
        right: access.create_key(right, project="alpha", rights=[right])[0]
        for right in ("ingest", "read", "write")
    }
    beta = access.create_key("all", project="beta", rights=["ingest", "read", "write"])[0]
    revoked, revoked_record = access.create_key("gone", project="alpha", rights=["ingest", "read", "write"])
    access.revoke_key(revoked_record.id)

    trace_id, span_id = new_trace_id(), new_span_id()
    attributes = {
        "session.id": "alpha-secret-session",
        "user.id": "alpha-secret-user",
        "gen_ai.request.model": "gpt-4o",
    }
    body = json_request([span("alpha-secret-root", trace_id, span_id, attributes=attributes)])
    sent = httpx.post(
        server.url + "/v1/traces",
        content=body,
        headers={"content-type": "application/json", **bearer(alpha["ingest"])},
    )
    assert sent.status_code == 200, sent.text
    rule = {"match": "alpha-model", "prices": {"input": "1"}}
    put = httpx.put(
        server.url + "/api/v1/prices/alpha-secret-rule", json=rule, headers=bearer(alpha["write"])
    )
    assert put.status_code == 200, put.text
    job = httpx.post(
        server.url + "/api/v1/reprice",
        json={"since": "2000-01-01T00:00:00Z", "dry_run": True},
        headers=bearer(alpha["write"]),
    )
    assert job.status_code == 202, job.text
    budget = httpx.post(
        server.url + "/api/v1/budgets",
        json={"project": "alpha", "name": "alpha-secret-budget", "amount": "5"},
        headers=bearer(ADMIN_KEY),
    )
    assert budget.status_code == 201, budget.text
    evaluator = {
        "project": "alpha",
        "name": "alpha",
        "model": "m",
        "prompt": "alpha-secret-prompt {{output}}",
    }
    judge = httpx.post(
        server.url + "/api/v1/evaluators", json={**evaluator, "score_name": "s"}, headers=bearer(ADMIN_KEY)
    )
    assert judge.status_code == 201, judge.text
    dataset = httpx.post(
        server.url + "/api/v1/datasets", json={"name": "alpha-secret-dataset"}, headers=bearer(alpha["write"])
    ).json()["id"]
    experiment = {"name": "alpha-secret-experiment", "dataset_id": dataset}
    made = httpx.post(server.url + "/api/v1/experiments", json=experiment, headers=bearer(alpha["write"]))
    assert made.status_code == 201, made.text
    server.settle()
    samples = {
        "trace_id": trace_id,
        # A LangSmith run whose span id is alpha's span's: patching it from another project changes nothing.
        "run_id": str(uuid.UUID(span_id * 2)),
        "span_id": span_id,
        "session_id": "alpha-secret-session",
        "rule_id": "alpha-secret-rule",
        "job_id": job.json()["id"],
        "name": "alpha",
        "project": "alpha",
        "key_id": alpha["read"].split("_")[1],
        "panel": "kinds",
        "media_id": "alpha-media",
        "budget_id": budget.json()["id"],
        "dataset_id": dataset,
        "experiment_id": made.json()["id"],
    }
    yield World(server.url, f"127.0.0.1:{grpc_port}", server, alpha, beta, revoked, samples)
    next(running, None)
    store.client().command(f"DROP DATABASE IF EXISTS {store.database}")
    store.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _routes() -> list[tuple[str, str]]:
    from tokentrail.api import create_app
    from tokentrail.config import Settings

    app = create_app(Settings())
    found = {(method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops}
    pages = [
        ui_routes,
        ui_login,
        ui_budgets,
        ui_quality,
        ui_scores,
        ui_evaluators,
        ui_experiments,
        ui_annotate,
    ]
    for route in [route for module in pages for route in module.router.routes]:
        assert isinstance(route, APIRoute)
        found |= {(method, route.path) for method in route.methods if method != "HEAD"}
    return sorted(found, key=lambda item: (item[1], item[0]))


ROUTES = [(method, path) for method, path in _routes() if path not in PUBLIC_PATHS]
BODIES = {
    "PUT /api/v1/prices/{rule_id}": {"match": "m", "prices": {"input": "9"}},
    "POST /api/v1/reprice": {"since": "2000-01-01T00:00:00Z"},
    "POST /api/v1/projects": {"name": "gamma"},
    "POST /api/v1/keys": {"project": "alpha", "rights": ["read"]},
    "PUT /api/v1/retention/{project}": {"days": 1},
    "POST /api/v1/purge": {"user_id": "alpha-secret-user"},
    "POST /api/v1/score-configs": {"name": "alpha-secret-config", "data_type": "boolean"},
    "POST /traces/{trace_id}/scores": {"name": "overwritten", "value": 1},
}


def call(world: World, method: str, path: str, headers: dict[str, str], **params: str) -> tuple[int, str]:
    """The status and body of one request; alpha's markers the request itself names (a path parameter
    an error message repeats) are blanked out of the body, anything else of alpha's stays to be found."""
    url = world.url + re.sub(r"\{(\w+)\}", lambda found: world.samples[found[1]], path)
    status, body = _call(world, url, method, path, headers, params)
    for echoed in (marker for marker in MARKERS if marker in url):
        body = body.replace(echoed, "(named by the request)")
    return status, body


def _call(
    world: World, url: str, method: str, path: str, headers: dict[str, str], params: dict[str, str]
) -> tuple[int, str]:
    if path in INGEST_PATHS:
        # alpha's own span ids, sent again: a key of another project must not overwrite them.
        body = json_request([span("overwritten", world.samples["trace_id"], world.samples["span_id"])])
        response = httpx.post(
            url, content=body, headers={"content-type": "application/json", **headers}, timeout=30
        )
        return response.status_code, response.text
    kwargs = {"json": BODIES.get(f"{method} {path}", {})} if method in ("POST", "PUT") else {}
    with httpx.stream(method, url, params=params, headers=headers, timeout=30, **kwargs) as response:
        if path in STREAMING and response.status_code == 200:
            return 200, ""
        return response.status_code, response.read().decode(errors="replace")


def alpha_state(world: World) -> object:
    store = world.server.store
    world.server.settle()
    access = world.server.app.state.access
    access.refresh()
    return (
        store.query(
            "SELECT trace_id, span_id, name, ingested_ns FROM spans FINAL "
            "WHERE project = 'alpha' ORDER BY span_id"
        ),
        sorted(
            (r.id, str(r.prices)) for r in world.server.app.state.rules.book.rules if r.project == "alpha"
        ),
        [(k.id, k.active) for k in access.keys("alpha")],
        [(p.name, p.archived_ns) for p in access.projects()],
        store.query("SELECT id, name, amount, deleted_ns FROM budgets FINAL WHERE project = 'alpha'"),
        *(
            store.query(f"SELECT * EXCEPT updated_ns FROM {table} FINAL WHERE project = 'alpha' ORDER BY ALL")
            for table in ("datasets", "dataset_items", "experiments", "experiment_runs")
        ),
        store.query("SELECT trace_id, id, name, value FROM scores FINAL WHERE project = 'alpha' ORDER BY id"),
        store.query("SELECT name, archived FROM score_configs FINAL WHERE project = 'alpha' ORDER BY name"),
    )


def refused(status: int, body: str, path: str, method: str) -> bool:
    machine = path.startswith(("/api/", "/metrics")) or path in INGEST_PATHS
    is_page = not machine and required_right(method, path) != "ingest" and method == "GET"  # SDK paths: 401
    return status == (303 if is_page else 401) and not any(marker in body for marker in MARKERS)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_no_key_and_a_revoked_key_are_refused(world, method, path):
    for headers in ({}, bearer(world.revoked), {"x-api-key": "tt_0123456789abcdef_" + "x" * 43}):
        status, body = call(world, method, path, headers)
        assert refused(status, body, path, method), (headers, status, body[:300])


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_the_other_projects_key_sees_and_changes_nothing_of_alpha(world, method, path):
    before = alpha_state(world)
    for params in ({"project": "alpha"}, {}):
        status, body = call(world, method, path, bearer(world.beta), **params)
        assert status != 500, body[:300]
        assert not any(marker in body for marker in MARKERS), (params, status, body[:300])
        if params and status < 300 and path not in INGEST_PATHS:  # a route that takes no project
            assert "alpha" not in body, f"{method} {path}?project=alpha answered {status} to beta's key"
    assert alpha_state(world) == before


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_a_key_lacking_the_right_is_refused(world, method, path):
    before = alpha_state(world)
    needed = required_right(method, path)
    lacking = [key for right, key in world.alpha.items() if right != needed]
    for key in lacking:
        status, body = call(world, method, path, bearer(key))
        assert status == 403, (status, body[:300])
    assert alpha_state(world) == before


def test_alphas_own_key_does_read_alpha(world):
    """The checks above would pass on a server that refused everyone: alpha's reader is not refused."""
    status, body = call(world, "GET", "/api/v1/traces/{trace_id}", bearer(world.alpha["read"]))
    assert status == 200 and "alpha-secret-user" in body
    status, body = call(world, "GET", "/sessions/{session_id}", bearer(world.alpha["read"]))
    assert status == 200 and "alpha-secret-root" in body
    status, body = call(world, "GET", "/budgets", bearer(world.alpha["read"]))
    assert status == 200 and "alpha-secret-budget" in body


def export_over_grpc(world: World, metadata: list[tuple[str, str]]) -> grpc.StatusCode:
    """alpha's span ids sent again over OTLP/gRPC with ``metadata``; the call's status."""
    body = protobuf_request([span("overwritten", world.samples["trace_id"], world.samples["span_id"])])
    with grpc.insecure_channel(world.grpc_target) as channel:
        try:
            channel.unary_unary(EXPORT_METHOD)(body, timeout=30, metadata=metadata)
        except grpc.RpcError as refused:
            return refused.code()
    return grpc.StatusCode.OK


def test_the_grpc_receiver_refuses_as_the_http_one_does(world):
    before = alpha_state(world)
    refusals = {
        "no key": ([], grpc.StatusCode.UNAUTHENTICATED),
        "revoked": ([("authorization", f"Bearer {world.revoked}")], grpc.StatusCode.UNAUTHENTICATED),
        "read only": (
            [("authorization", f"Bearer {world.alpha['read']}")],
            grpc.StatusCode.PERMISSION_DENIED,
        ),
        "write only": ([("x-api-key", world.alpha["write"])], grpc.StatusCode.PERMISSION_DENIED),
        "beta naming alpha": (
            [("authorization", f"Bearer {world.beta}"), ("x-tokentrail-project", "alpha")],
            grpc.StatusCode.PERMISSION_DENIED,
        ),
    }
    for case, (metadata, expected) in refusals.items():
        assert export_over_grpc(world, metadata) == expected, case
    # beta's key re-sending alpha's ids is taken, into beta: alpha's span is not overwritten.
    assert export_over_grpc(world, [("authorization", f"Bearer {world.beta}")]) == grpc.StatusCode.OK
    assert alpha_state(world) == before
