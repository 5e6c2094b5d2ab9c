"""What fuzzing the API checks, shared by tests/api/test_api_fuzz.py (a CI budget) and bench/fuzz.py
(as long as asked).

Requests come from the OpenAPI document the server publishes (schemathesis turns each operation's
parameters and body schema into Hypothesis strategies, valid and invalid), and from strategies for the
credentials every request may carry. Every answer must be one of the server's own (never a 500), come
within :data:`REQUEST_TIMEOUT_S` (no hang), and match the schema where the document declares one.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

import httpx
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from otlp_builders import json_request, new_span_id, new_trace_id, span
from tokentrail.api import create_app
from tokentrail.api.auth import INGEST_PATHS, PUBLIC_PATHS
from tokentrail.config import Settings

#: A request not answered within this many seconds is a hang.
REQUEST_TIMEOUT_S = 15
#: No 500, a declared content type, a body the declared schema admits. The document declares 422 for
#: invalid requests where the server answers 400, and says nothing of 401/403/404, so status codes
#: themselves are not held to it.
CHECKS = (not_a_server_error, content_type_conformance, response_schema_conformance)
#: A stream that stays open by design: only its status line is read, see :func:`call_operation`.
STREAMING = frozenset({"/api/v1/traces/live"})
#: Operations an open server is not fuzzed with: creating a key turns authentication on for good.
CLOSES_AN_OPEN_SERVER = frozenset({"POST /api/v1/keys"})

SCHEMA = schemathesis.openapi.from_dict(create_app(Settings()).openapi())


def operations() -> list[APIOperation]:
    """Every operation of the OpenAPI document, in the document's order."""
    return [result.ok() for result in SCHEMA.get_all_operations()]


def label(operation: APIOperation) -> str:
    return f"{operation.method.upper()} {operation.path}"


def cases(operation: APIOperation, samples: Mapping[str, str]) -> st.SearchStrategy[Any]:
    """Requests for ``operation``: valid and invalid by its schema; sometimes naming stored things
    (``samples``: path parameter -> an id the server holds), so reads reach real rows."""
    generated = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    names = [name for name in re.findall(r"\{(\w+)\}", operation.path) if name in samples]
    if not names:
        return generated
    return st.tuples(generated, st.booleans()).map(lambda drawn: _with_samples(*drawn, names, samples))


def _with_samples(case: Any, use: bool, names: list[str], samples: Mapping[str, str]) -> Any:
    if use:
        case.path_parameters = {**(case.path_parameters or {}), **{name: samples[name] for name in names}}
    return case


def call_operation(case: Any, base_url: str, headers: Mapping[str, str]) -> None:
    """Send ``case`` and hold the answer to :data:`CHECKS`; raises on a failed check or a timeout."""
    if case.operation.path in STREAMING:
        # Its answer never ends: the status line is the answer (a 200 opens the stream, then it closes).
        sent = case.as_transport_kwargs(base_url=base_url, headers=dict(headers))
        with httpx.stream(
            sent["method"],
            sent["url"],
            params=sent.get("params"),
            headers=sent.get("headers"),
            timeout=REQUEST_TIMEOUT_S,
        ) as response:
            assert response.status_code < 500, (response.status_code, case.as_curl_command())
        return
    response = case.call(base_url=base_url, headers=dict(headers), timeout=REQUEST_TIMEOUT_S)
    case.validate_response(response, checks=list(CHECKS))


def seed(url: str, headers: Mapping[str, str]) -> dict[str, str]:
    """Put a trace, a session, a price rule and a re-pricing job on the server; the ids to name them."""
    trace_id, span_id = new_trace_id(), new_span_id()
    attributes = {
        "session.id": "fuzz-session",
        "user.id": "fuzz-user",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.output_tokens": 30,
    }
    body = json_request([span("fuzz-root", trace_id, span_id, attributes=attributes)])
    with httpx.Client(base_url=url, headers=dict(headers), timeout=30) as client:
        answers = [
            client.post("/v1/traces", content=body, headers={"content-type": "application/json"}),
            client.put("/api/v1/prices/fuzz-rule", json={"match": "fuzz-model", "prices": {"input": "1"}}),
        ]
        job = client.post("/api/v1/reprice", json={"since": "2000-01-01T00:00:00Z", "dry_run": True})
    for answer in [*answers, job]:
        assert answer.status_code < 300, answer.text
    return {
        "trace_id": trace_id,
        "span_id": span_id,
        "session_id": "fuzz-session",
        "rule_id": "fuzz-rule",
        "job_id": job.json()["id"],
    }


# Credentials: what a client may put in the headers that carry one, well-formed or not.

_KEY_LIKE = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"tt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", fullmatch=True),
    st.builds(lambda body: f"tt_{body}", st.text(max_size=70)),
)
_HEADER_TEXT = st.text(st.characters(codec="latin-1"), max_size=120)
_BASIC = st.tuples(st.one_of(st.text(max_size=20), st.from_regex(r"[0-9a-f]{16}", fullmatch=True)), _KEY_LIKE)


def _basic(pair: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{pair[0]}:{pair[1]}".encode()).decode()


def _session_cookie(value: str) -> str:
    return f"tokentrail_session={value}"


_SESSION_LIKE = st.one_of(
    _HEADER_TEXT,
    st.tuples(st.text(max_size=20), st.text("0123456789²³", max_size=6000), st.text(max_size=50)).map(
        ".".join
    ),
)

#: Header sets a forger might send: none of them holds a real key or session.
forged_credentials: st.SearchStrategy[dict[str, str]] = st.dictionaries(
    st.sampled_from(["authorization", "x-api-key", "cookie", "x-csrf-token"]),
    _HEADER_TEXT,
    max_size=2,
) | st.one_of(
    _KEY_LIKE.map(lambda key: {"authorization": f"Bearer {key}"}),
    _BASIC.map(lambda pair: {"authorization": _basic(pair)}),
    _HEADER_TEXT.map(lambda text: {"authorization": f"Basic {text}"}),
    _KEY_LIKE.map(lambda key: {"x-api-key": key}),
    _SESSION_LIKE.map(lambda value: {"cookie": _session_cookie(value)}),
)


def latin1(headers: Mapping[str, str]) -> dict[str, bytes]:
    """Headers as the bytes a client can send: latin-1, without the control characters and the
    surrounding blanks HTTP forbids (no client sends those, and h11 refuses to)."""
    return {
        name: _CONTROL.sub(b"", value.encode("latin-1", errors="replace")).strip(b" \t")
        for name, value in headers.items()
    }


_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


#: Every route that needs a key, as (method, path).
GUARDED_ROUTES = sorted(
    {(op.method.upper(), op.path) for op in operations() if op.path not in PUBLIC_PATHS},
    key=lambda item: (item[1], item[0]),
)


def check_forged_refused(url: str, route: tuple[str, str], headers: Mapping[str, str]) -> None:
    """A request to a guarded ``route`` with forged credentials is a 401 (in the API's error shape
    outside the OTLP paths, which answer in OTLP's)."""
    method, path = route
    response = httpx.request(
        method,
        url + re.sub(r"\{\w+\}", "x", path),
        headers={"content-type": "application/json", **latin1(headers)},
        content=b"{}" if method in ("POST", "PUT") else None,
        timeout=REQUEST_TIMEOUT_S,
    )
    assert response.status_code == 401, (route, headers, response.status_code, response.text[:200])
    if path not in INGEST_PATHS:
        assert response.json()["error"]["status"] == 401
