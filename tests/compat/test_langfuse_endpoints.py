"""The unmodified Langfuse SDK (v5) against a secured server, configured only with a base URL and a
project key (public key = the key's id, secret key = the key): its auth check and trace links, its
spans landing in the key's project and no other, its scores on the trace our API shows, its media
uploaded beside the span and resolving to the exact bytes, a prompt it cannot fetch falling back, and a
wrong secret key refused with nothing stored."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from langfuse import Langfuse, observe, propagate_attributes
from langfuse._client.resource_manager import LangfuseResourceManager
from langfuse.api import UnauthorizedError
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from conftest import ADMIN_KEY, bearer

if TYPE_CHECKING:
    from conftest import LiveServer

PROJECT, OTHER = "shop", "warehouse"
SESSION, USER = "lf-cart-7", "ana@example.com"
# A 1x1 PNG, sent as the data URI the SDK finds in a span's input and uploads.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
MEDIA_REFERENCE = re.compile(r"@@@langfuseMedia:type=([^|]+)\|id=([^|]+)\|source=[^@]+@@@")


@dataclass
class Client:
    langfuse: Langfuse
    public_key: str
    server: LiveServer

    def read(self, path: str, project: str = PROJECT, **params: object) -> httpx.Response:
        """GET ``path`` of ``project`` with the admin key, once everything sent is queryable."""
        self.langfuse.flush()
        self.server.settle()
        return httpx.get(
            self.server.url + path, params={"project": project, **params}, headers=bearer(ADMIN_KEY)
        )

    def eventually(self, path: str, found: Callable[[Any], bool], **params: object) -> Any:
        """The JSON ``path`` answers once ``found`` holds of it (spans and scores are sent in the
        background)."""
        deadline = time.monotonic() + 20
        while True:
            answer = self.read(path, **params)
            if answer.status_code == 200 and found(answer.json()):
                return answer.json()
            assert time.monotonic() < deadline, (path, answer.status_code, answer.text[:500])
            time.sleep(0.1)


@pytest.fixture
def project_key(secured_server: LiveServer) -> str:
    access = secured_server.app.state.access
    for name in (PROJECT, OTHER):
        access.create_project(name)
    access.create_key("other", project=OTHER, rights=["ingest", "read"])
    return access.create_key("langfuse", project=PROJECT, rights=["ingest"])[0]


@pytest.fixture
def connect(secured_server: LiveServer) -> Iterator[Callable[[str, str], Client]]:
    """Makes Langfuse clients for a public and a secret key, closed after the test."""
    made: list[tuple[Langfuse, TracerProvider, str]] = []

    def make(public_key: str, secret_key: str) -> Client:
        provider = TracerProvider(resource=Resource.create({"service.name": "cart"}))
        langfuse = Langfuse(
            public_key=public_key,
            secret_key=secret_key,
            base_url=secured_server.url,
            tracer_provider=provider,
            flush_interval=0.1,
        )
        made.append((langfuse, provider, public_key))
        return Client(langfuse, public_key, secured_server)

    yield make
    for langfuse, provider, public_key in made:
        langfuse.shutdown()
        provider.shutdown()
        # The SDK keeps one client per public key per process; a later test must get its own.
        LangfuseResourceManager._instances.pop(public_key, None)


@pytest.fixture
def client(project_key: str, connect: Callable[[str, str], Client]) -> Client:
    return connect(project_key.split("_")[1], project_key)


def test_the_auth_check_passes_and_names_the_keys_project(client: Client) -> None:
    assert client.langfuse.auth_check() is True
    projects = client.langfuse.api.projects.get()
    assert [(project.id, project.name) for project in projects.data] == [(PROJECT, PROJECT)]


def test_a_trace_link_opens_the_trace_page_of_the_keys_project(client: Client) -> None:
    trace_id = client.langfuse.create_trace_id()

    url = client.langfuse.get_trace_url(trace_id=trace_id)

    assert url == f"{client.server.url}/project/{PROJECT}/traces/{trace_id}"
    followed = httpx.get(url, headers=bearer(ADMIN_KEY), follow_redirects=False)
    assert followed.status_code == 303
    assert followed.headers["location"].endswith(f"/traces/{trace_id}?project={PROJECT}")


def test_a_wrong_secret_key_is_refused_and_its_spans_are_not_stored(
    project_key: str, connect: Callable[[str, str], Client]
) -> None:
    public_key = project_key.split("_")[1]
    impostor = connect(public_key, project_key[:-4] + "AAAA")

    with pytest.raises(UnauthorizedError):
        impostor.langfuse.auth_check()
    with impostor.langfuse.start_as_current_observation(name="forged-turn"):
        pass
    impostor.langfuse.flush()

    for project in (PROJECT, OTHER, "default"):
        assert impostor.read("/api/v1/traces", project=project).json()["traces"] == []


def _turn(client: Client) -> str:
    """An ``@observe`` root with a nested ``@observe`` step and a generation, session and user on the
    root; returns the trace id."""

    @observe(name="plan", capture_output=False)
    def plan() -> None:
        with client.langfuse.start_as_current_observation(
            as_type="generation",
            name="llm-call",
            model="gpt-4o-mini",
            usage_details={"input": 40, "output": 10},
            cost_details={"input": 0.00002, "output": 0.00004, "total": 0.00006},
        ) as generation:
            generation.update(output="two items")
            generation.score(name="faithful", value=1, data_type="BOOLEAN")

    @observe(name="checkout")
    def checkout() -> str:
        with propagate_attributes(session_id=SESSION, user_id=USER):
            pass
        plan(langfuse_public_key=client.public_key)  # type: ignore[call-arg]
        client.langfuse.score_current_span(name="latency-ok", value=0.75, comment="fast enough")
        client.langfuse.score_current_trace(name="outcome", value="purchase")
        trace_id = client.langfuse.get_current_trace_id()
        assert trace_id is not None
        return trace_id

    return checkout(langfuse_public_key=client.public_key)  # type: ignore[call-arg]


def test_nested_observations_land_as_one_tree_in_the_keys_project_only(client: Client) -> None:
    trace_id = _turn(client)

    tree = client.eventually(f"/api/v1/traces/{trace_id}", lambda tree: len(tree["spans"]) == 3)

    by_name = {span["name"]: span for span in tree["spans"]}
    assert tree["root_span_ids"] == [by_name["checkout"]["span_id"]]
    assert by_name["checkout"]["child_span_ids"] == [by_name["plan"]["span_id"]]
    assert by_name["plan"]["child_span_ids"] == [by_name["llm-call"]["span_id"]]
    assert by_name["llm-call"]["usage"] == {"input": 40, "output": 10}
    assert by_name["llm-call"]["cost"]["total"] == "0.00006"
    (row,) = client.read("/api/v1/traces").json()["traces"]
    assert (row["session_id"], row["user_id"]) == (SESSION, USER)
    assert client.read("/api/v1/traces", project=OTHER).json()["traces"] == []
    assert client.read("/api/v1/traces", project="default").json()["traces"] == []


def test_scores_from_a_span_the_current_span_and_the_trace_land_on_the_trace_our_api_shows(
    client: Client,
) -> None:
    trace_id = _turn(client)

    scores = client.eventually("/api/v1/scores", lambda body: len(body["scores"]) == 3, trace_id=trace_id)[
        "scores"
    ]

    spans = {
        span["name"]: span["span_id"]
        for span in client.eventually(f"/api/v1/traces/{trace_id}", lambda tree: len(tree["spans"]) == 3)[
            "spans"
        ]
    }
    by_name = {score["name"]: score for score in scores}
    assert by_name["faithful"]["span_id"] == spans["llm-call"]
    assert (by_name["faithful"]["data_type"], by_name["faithful"]["value"]) == ("boolean", 1.0)
    assert by_name["latency-ok"]["span_id"] == spans["checkout"]
    assert (by_name["latency-ok"]["value"], by_name["latency-ok"]["comment"]) == (0.75, "fast enough")
    assert by_name["outcome"]["span_id"] == ""
    outcome = by_name["outcome"]
    assert (outcome["data_type"], outcome["string_value"]) == ("categorical", "purchase")
    assert {score["source"] for score in scores} == {"sdk"}
    assert client.read("/api/v1/scores", project=OTHER).json()["scores"] == []
    # The trace list finds the trace by its scores and shows them.
    rows = client.read("/api/v1/traces", score=["latency-ok>=0.5", "outcome=purchase"]).json()["traces"]
    (row,) = [row for row in rows if row["trace_id"] == trace_id]
    assert [badge["name"] for badge in row["scores"]] == ["faithful", "latency-ok", "outcome"]


def test_a_score_created_by_trace_id_and_sent_again_with_its_id_replaces_the_first(client: Client) -> None:
    trace_id = client.langfuse.create_trace_id()

    client.langfuse.create_score(name="helpful", value=0.2, trace_id=trace_id, score_id="s-1")
    client.langfuse.flush()
    client.langfuse.create_score(name="helpful", value=0.9, trace_id=trace_id, score_id="s-1")

    scores = client.eventually(
        "/api/v1/scores", lambda body: [s["value"] for s in body["scores"]] == [0.9], trace_id=trace_id
    )["scores"]
    assert [(score["id"], score["name"]) for score in scores] == [("s-1", "helpful")]


def test_an_image_in_a_spans_input_is_uploaded_and_its_reference_resolves_to_the_bytes(
    client: Client,
) -> None:
    image = "data:image/png;base64," + base64.b64encode(PNG).decode()
    with client.langfuse.start_as_current_observation(name="describe", input={"image": image}) as span:
        trace_id = span.trace_id
    client.langfuse.flush()

    tree = client.eventually(f"/api/v1/traces/{trace_id}", lambda tree: len(tree["spans"]) == 1)

    reference = MEDIA_REFERENCE.search(tree["spans"][0]["input"])
    assert reference is not None, tree["spans"][0]["input"]
    content_type, media_id = reference.groups()
    assert content_type == "image/png"
    deadline = time.monotonic() + 20
    while (stored := client.read(f"/api/v1/media/{media_id}")).status_code == 404:
        assert time.monotonic() < deadline, "the SDK never uploaded the image"
        time.sleep(0.1)
    assert stored.status_code == 200
    assert stored.content == PNG
    assert stored.headers["content-type"] == "image/png"
    assert stored.headers["content-disposition"].startswith("attachment")
    assert client.read(f"/api/v1/media/{media_id}", project=OTHER).status_code == 404
    described = client.langfuse.api.media.get(media_id)
    assert (described.content_type, described.content_length) == ("image/png", len(PNG))
    assert httpx.get(described.url).content == PNG  # the download link needs no key


def test_a_prompt_tokentrail_does_not_keep_falls_back_at_once(client: Client) -> None:
    prompt = client.langfuse.get_prompt("greeting", fallback="Hello {{name}}", max_retries=0)

    assert prompt.is_fallback
    assert prompt.compile(name="Ana") == "Hello Ana"
