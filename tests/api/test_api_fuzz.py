"""Fuzzing the API from its OpenAPI document: every operation's parameters and bodies, valid and not,
on an open server and, with a project key, on one with authentication on; then forged credentials on
every route. No answer is a 500, none hangs, each matches the schema where one is declared
(tests/api_fuzzing.py says what is checked; bench/fuzz.py runs the same for longer)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api_fuzzing import (
    CLOSES_AN_OPEN_SERVER,
    GUARDED_ROUTES,
    call_operation,
    cases,
    check_forged_refused,
    forged_credentials,
    label,
    operations,
    seed,
)
from conftest import ADMIN_KEY, bearer, start_server
from tokentrail.store.database import Store

_databases = itertools.count(1)
OPERATIONS = operations()
#: Examples per operation and server: 29 operations, two servers, about a minute in all on two cores.
EXAMPLES = 20
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Target:
    url: str
    headers: dict[str, str]
    samples: dict[str, str]


def _target(chdb_url: str, tmp_path_factory: pytest.TempPathFactory, secured: bool) -> Iterator[Target]:
    store = Store(chdb_url, f"test_api_fuzz_{next(_databases)}")
    overrides = {"admin_key": ADMIN_KEY} if secured else {}
    running = start_server(store, tmp_path_factory.mktemp("fuzz"), **overrides)
    server = next(running)
    headers: dict[str, str] = {}
    if secured:
        server.app.state.access.create_project("fuzz")
        key, _ = server.app.state.access.create_key(
            "fuzz", project="fuzz", rights=["ingest", "read", "write"]
        )
        headers = bearer(key)
    samples = seed(server.url, headers)
    server.settle()
    yield Target(server.url, headers, samples)
    next(running, None)
    store.client().command(f"DROP DATABASE IF EXISTS {store.database}")
    store.close()


@pytest.fixture(scope="module")
def open_server(chdb_url, tmp_path_factory):
    yield from _target(chdb_url, tmp_path_factory, secured=False)


@pytest.fixture(scope="module")
def keyed_server(chdb_url, tmp_path_factory):
    yield from _target(chdb_url, tmp_path_factory, secured=True)


#: Every operation on either server, but none that would end an open server's openness.
_RUNS = [
    (target, operation)
    for target in ("open_server", "keyed_server")
    for operation in OPERATIONS
    if target == "keyed_server" or label(operation) not in CLOSES_AN_OPEN_SERVER
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "operation"), _RUNS, ids=[f"{target}-{label(op)}" for target, op in _RUNS]
)
def test_every_operation(request, target, operation):
    server = request.getfixturevalue(target)

    @FUZZ
    @given(case=cases(operation, server.samples))
    def fuzz(case):
        call_operation(case, server.url, server.headers)

    fuzz()


@pytest.mark.slow
@settings(FUZZ, max_examples=150)
@given(route=st.sampled_from(GUARDED_ROUTES), headers=forged_credentials)
def test_forged_credentials_are_refused_and_never_a_500(keyed_server, route, headers):
    check_forged_refused(keyed_server.url, route, headers)
