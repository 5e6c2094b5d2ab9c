"""Start the demo's services as separate processes (Redis, the tool service, the worker, the gateway), ask
them questions in chat sessions, and stop every process at the end.

Each service exports its spans to the tokentrail server at ``endpoint``; the questions are asked the way a
front end would, with the session and user in the request's W3C baggage (so the gateway's first span has
them too), and each answer names its trace.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx

import tokentrail
from tokentrail.demo_services.processes import free_port, listening, redis_server, stop, wait_until
from tokentrail.sdk.instrumentations import INSTRUMENTATIONS

__all__ = ["CONVERSATIONS", "Answer", "Services", "ask", "run_conversations", "services"]

#: (user, the questions of one chat session, in order).
CONVERSATIONS = (
    ("ana@example.com", ("How do I rotate my API key?", "Where do I see the old key's last use?")),
    (
        "bo@example.com",
        ("Why was I charged twice this month?", "Can I get a refund?", "How long does it take?"),
    ),
)

#: The instrumentations the services do not use stay off (importing them would slow every start).
_UNUSED = sorted(set(INSTRUMENTATIONS) - {"httpx", "fastapi", "celery"})
#: What the services import beyond tokentrail's own dependencies: the ``demo`` extra.
_NEEDED = (
    "celery",
    "redis",
    *(f"opentelemetry.instrumentation.{name}" for name in ("celery", "fastapi", "httpx")),
)
#: Spans leave each service within this many milliseconds (the OTel SDK's default is 5 s).
_EXPORT_DELAY_MS = "200"
_UVICORN = [sys.executable, "-m", "uvicorn", "--factory", "--host", "127.0.0.1", "--log-level", "warning"]
_APPS = "tokentrail.demo_services"
_CELERY = [sys.executable, "-m", "celery", "-A", f"{_APPS}.worker", "worker"]


@dataclass(frozen=True, slots=True)
class Answer:
    session: str
    user: str
    question: str
    answer: str
    trace_id: str


@dataclass
class Services:
    """The running services: the gateway's URL, and each process by service name."""

    gateway: str
    processes: dict[str, subprocess.Popen[bytes]]
    logs: Path

    def stop(self) -> None:
        """Stop every service, the gateway first; each flushes its spans as it exits."""
        for process in reversed(self.processes.values()):
            stop(process)

    def failed(self) -> str:
        """What the services that exited printed, if any has."""
        ended = [name for name, process in self.processes.items() if process.poll() is not None]
        return "".join(f"{name}: {(self.logs / f'{name}.log').read_text()[-2000:]}\n" for name in ended)


def _start(name: str, command: list[str], env: Mapping[str, str], logs: Path) -> subprocess.Popen[bytes]:
    with open(logs / f"{name}.log", "wb") as log:
        return subprocess.Popen(command, env=dict(env), stdout=log, stderr=subprocess.STDOUT)


@contextmanager
def services(
    endpoint: str, api_key: str | None = None, *, project: str | None = None, workdir: Path | None = None
) -> Iterator[Services]:
    """Run Redis, the tool service, the worker and the gateway, exporting to ``endpoint`` (into
    ``project``, else the key's or the server's default); stop them all on exit."""
    missing = [name for name in _NEEDED if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(f"the services demo needs {', '.join(missing)}: pip install 'tokentrail[demo]'")
    with ExitStack() as stack:
        logs = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tokentrail-demo-")))
        redis = stack.enter_context(redis_server(logs))
        ports = {"tool-service": free_port(), "gateway": free_port()}
        tools, gateway = (f"http://127.0.0.1:{port}" for port in ports.values())
        env = {
            **os.environ,
            "TOKENTRAIL_ENDPOINT": endpoint,
            "CELERY_BROKER_URL": redis,
            "CELERY_RESULT_BACKEND": redis,
            "DEMO_TOOLS_URL": tools,
            "OTEL_BSP_SCHEDULE_DELAY": _EXPORT_DELAY_MS,
        }
        env.update({f"TOKENTRAIL_INSTRUMENT_{name.upper()}": "false" for name in _UNUSED})
        given = {"TOKENTRAIL_API_KEY": api_key, "TOKENTRAIL_PROJECT": project}
        env.update({name: value for name, value in given.items() if value})
        commands = {
            "tool-service": [*_UVICORN, "--port", str(ports["tool-service"]), f"{_APPS}.tools:create_app"],
            "worker": [*_CELERY, "--pool", "solo", "--loglevel", "warning", "--without-heartbeat"],
            "gateway": [*_UVICORN, "--port", str(ports["gateway"]), f"{_APPS}.gateway:create_app"],
        }
        running = Services(gateway, {}, logs)
        stack.callback(running.stop)
        for name, command in commands.items():
            running.processes[name] = _start(name, command, env, logs)
        for name, port in ports.items():
            try:
                wait_until(partial(listening, port), running.processes[name], name)
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}\n{running.failed()}") from None
        yield running


def ask(running: Services, session: str, user: str, question: str) -> Answer:
    """Ask the gateway ``question`` as ``user`` in chat ``session``."""
    with tokentrail.session(session), tokentrail.user(user):
        headers = tokentrail.inject({})
    try:
        response = httpx.post(
            running.gateway + "/ask", json={"question": question}, headers=headers, timeout=90
        )
    except httpx.HTTPError as exc:
        raise RuntimeError(f"the gateway did not answer: {exc}\n{running.failed()}") from None
    if not response.is_success:
        raise RuntimeError(
            f"the gateway answered {response.status_code}: {response.text}\n{running.failed()}"
        )
    body = response.json()
    return Answer(session, user, question, body["answer"], body["trace_id"])


def run_conversations(running: Services) -> list[Answer]:
    """Every conversation of :data:`CONVERSATIONS`, each a new chat session, one question after another."""
    answers: list[Answer] = []
    for user, questions in CONVERSATIONS:
        session = f"chat-{secrets.token_hex(4)}"
        answers.extend(ask(running, session, user, question) for question in questions)
    return answers
