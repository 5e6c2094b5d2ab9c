"""LangSmith's runs API, so the unmodified ``langsmith`` SDK traces here with ``LANGSMITH_ENDPOINT`` set to
this server and ``LANGSMITH_API_KEY`` to a tokentrail key: ``GET /info``, ``POST /runs/multipart``,
``POST /runs/batch``, ``POST /runs``, ``PATCH /runs/{run_id}`` and ``POST /feedback``.

A request's runs are merged with their stored parts (:mod:`tokentrail.store.langsmith_runs`), handed to
the ingest chain as one batch of runs (:mod:`tokentrail.ingest.langsmith_runs`), and their new parts saved,
redacted, only once the chain holds the spans durably. A post already stored answers 409, which the SDK
takes as done; an error worth retrying, and a body over the limit, carry ``Retry-After`` (without it the SDK
drops the batch). Feedback becomes scores, attachments media rows on the run's span.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from tokentrail import __version__
from tokentrail.access.keys import Principal
from tokentrail.api.otlp import ingest_project, read_body
from tokentrail.documents.errors import retry_after, status_of
from tokentrail.errors import BadRequest, PayloadTooLarge, TokentrailError
from tokentrail.ingest.chain import Batch
from tokentrail.ingest.langsmith_feedback import feedback_score
from tokentrail.ingest.langsmith_runs import (
    RUNS_MEDIA_TYPE,
    merge_runs,
    run_ids,
    span_id_of,
    to_raw_span,
    trace_id_of,
)
from tokentrail.ingest.langsmith_upload import Upload, parse_batch, parse_feedback, parse_multipart, parse_run
from tokentrail.ingest.otlp import decompress
from tokentrail.ingest.redaction import Redactor, load_policy
from tokentrail.projects import valid_project
from tokentrail.store.database import Store
from tokentrail.store.langsmith_runs import RunPart, project_of_run, read_run_parts, save_run_parts
from tokentrail.store.media import Media, save_media
from tokentrail.store.score_configs import ConfigCheck
from tokentrail.store.scores import save_scores, trace_of_span

__all__ = ["LANGSMITH_API_VERSION", "router"]

#: The LangSmith API version ``/info`` states: 0.8.10 or later makes the SDK send feedback in multipart.
LANGSMITH_API_VERSION = "0.10.0"
#: Runs the SDK puts in one batch (its own default).
BATCH_RUNS = 100

#: How the SDK scales its sending threads; it expects them in the batch config.
SDK_SCALING = {"scale_up_qsize_trigger": 1000, "scale_up_nthreads_limit": 16, "scale_down_nempty_trigger": 4}

router = APIRouter(tags=["langsmith"])

_RESPONSES: dict[int | str, dict[str, object]] = {
    202: {"description": "Runs accepted; `rejected` names any run that was not, and why"},
    400: {"description": "Malformed body or part (named)"},
    409: {"description": "Every run sent is already stored"},
    413: {"description": "Body over the configured limit; Retry-After set"},
    503: {"description": "Overloaded; retry after Retry-After seconds"},
}


@router.get("/info", summary="LangSmith server info (the SDK's first call)")
async def info(request: Request) -> dict[str, Any]:
    """What the LangSmith SDK reads before it sends: multipart batches within our body limit, zstd."""
    limit = request.app.state.settings.max_body_bytes
    return {
        "version": LANGSMITH_API_VERSION,
        "tokentrail_version": __version__,
        "batch_ingest_config": {
            "use_multipart_endpoint": True,
            "size_limit": BATCH_RUNS,
            "size_limit_bytes": limit,
            # The SDK reads these whenever a config is given: its own defaults.
            **SDK_SCALING,
        },
        "instance_flags": {"zstd_compression_enabled": True},
    }


@router.post(
    "/runs/multipart", summary="Ingest LangSmith runs (multipart)", status_code=202, responses=_RESPONSES
)
async def runs_multipart(request: Request) -> Response:
    """Run posts and patches, feedback and attachments as multipart parts, optionally gzip or zstd."""
    return await _answer(request, lambda body: parse_multipart(body, request.headers.get("content-type")))


@router.post(
    "/runs/batch", summary="Ingest LangSmith runs (JSON batch)", status_code=202, responses=_RESPONSES
)
async def runs_batch(request: Request) -> Response:
    """``{"post": [run, ...], "patch": [run, ...]}``."""
    return await _answer(request, parse_batch)


@router.post("/runs", summary="Create a LangSmith run", status_code=202, responses=_RESPONSES)
async def create_run(request: Request) -> Response:
    """One run, as the SDK sends it without batching."""
    return await _answer(request, lambda body: parse_run(body, "post"))


@router.patch("/runs/{run_id}", summary="Update a LangSmith run", status_code=202, responses=_RESPONSES)
async def update_run(request: Request, run_id: str) -> Response:
    """The fields of a run that came after its creation (end time, outputs, error)."""
    return await _answer(request, lambda body: parse_run(body, "patch", run_id))


@router.post("/feedback", summary="Add LangSmith feedback", status_code=202, responses=_RESPONSES)
async def create_feedback(request: Request) -> Response:
    """One feedback on a run, kept as a score."""

    return await _answer(request, parse_feedback)


@dataclass(slots=True)
class _Outcome:
    """What became of one request's runs."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    projects: dict[str, str] = field(default_factory=dict)  # run id -> project
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # run id -> merged run


async def _answer(request: Request, parse: Callable[[bytes], Upload]) -> Response:
    """Read, ingest and answer one request: 202 with what was rejected, 409 if every run was already
    stored, 400 if nothing could be taken."""
    state = request.app.state
    try:
        limit = state.settings.max_body_bytes
        body = await read_body(request, limit)
        upload = parse(decompress(body, request.headers.get("content-encoding"), max_bytes=limit))
        outcome = await _ingest(request, upload)
        kept = await run_in_threadpool(_save_extras, request, upload, outcome)
    except TokentrailError as exc:
        state.metrics.refused(exc)
        return _refusal(exc)
    taken = outcome.accepted + kept
    if not taken and outcome.duplicates:
        return _refusal_json(409, f"{outcome.duplicates} runs are already stored", None)
    if not taken and outcome.rejected:
        return _refusal(BadRequest("; ".join(outcome.rejected[:20])))
    document = {"accepted": outcome.accepted, "rejected": outcome.rejected, "warnings": outcome.warnings}
    return JSONResponse(document, status_code=202)


async def _ingest(request: Request, upload: Upload) -> _Outcome:
    """Merge each run with its stored parts, send the spans down the chain, then save the new parts."""
    outcome = _Outcome(rejected=list(upload.rejected))
    default = request.app.state.settings.default_project
    by_project: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for (run_id, op), run in upload.runs.items():
        try:
            project = _project_of(request.state.principal, run, default)
        except TokentrailError as exc:
            outcome.rejected.append(f"run {run_id}: {exc}")
            continue
        outcome.projects[run_id] = project
        by_project.setdefault(project, {})[(run_id, op)] = run
    await asyncio.gather(
        *(_ingest_project(request, project, runs, outcome) for project, runs in by_project.items())
    )
    return outcome


async def _ingest_project(
    request: Request, project: str, sent: dict[tuple[str, str], dict[str, Any]], outcome: _Outcome
) -> None:
    store = request.app.state.store
    ids = sorted({run_id for run_id, _ in sent})
    stored = await run_in_threadpool(read_run_parts, store, project, ids)
    new = {
        key: run for key, run in sent.items() if not (key[1] == "post" and "post" in stored.get(key[0], {}))
    }
    outcome.duplicates += len(sent) - len(new)
    parts: list[RunPart] = []
    spans: list[dict[str, Any]] = []
    for run_id in sorted({run_id for run_id, _ in new}):
        merged = _merged(stored.get(run_id, {}), new, run_id)
        try:
            trace = trace_id_of(run_ids(merged)[1])
        except BadRequest as exc:
            outcome.rejected.append(f"run {run_id}: {exc}")
            continue
        problem = _problem(merged)
        if problem is None:
            spans.append(merged)
            outcome.runs[run_id] = merged
        elif "post" in stored.get(run_id, {}) or (run_id, "post") in new:
            outcome.rejected.append(f"run {run_id}: {problem}")
            continue  # else a patch alone, which may lack what a span needs: it waits for its post
        parts += [
            RunPart(run_id, op, trace, new[(run_id, op)]) for op in ("post", "patch") if (run_id, op) in new
        ]
    await _send(request, project, spans, outcome)
    outcome.accepted += len(spans)
    redactor = load_policy(request.app.state.settings.redaction_file).for_project(project)
    await run_in_threadpool(save_run_parts, store, project, [_redacted(part, redactor) for part in parts])
    # A part of these runs another server saved meanwhile (the post here, its patch there): merge again.
    again = await run_in_threadpool(read_run_parts, store, project, [part.run_id for part in parts])
    late = [
        merge_runs(*(found[op].run if op in found else None for op in ("post", "patch")))
        for run_id, found in again.items()
        if set(found) - set(stored.get(run_id, {})) - {op for rid, op in new if rid == run_id}
    ]
    await _send(request, project, [run for run in late if _problem(run) is None], outcome)


def _problem(run: Mapping[str, Any]) -> str | None:
    """Why ``run`` cannot be a span yet, if it cannot."""
    try:
        to_raw_span(run)
    except BadRequest as exc:
        return str(exc)
    return None


def _merged(
    stored: Mapping[str, RunPart], new: Mapping[tuple[str, str], dict[str, Any]], run_id: str
) -> dict[str, Any]:
    def part(op: str) -> dict[str, Any] | None:
        return stored[op].run if op in stored else None

    return merge_runs(part("post"), new.get((run_id, "post")), part("patch"), new.get((run_id, "patch")))


async def _send(request: Request, project: str, runs: list[dict[str, Any]], outcome: _Outcome) -> None:
    if not runs:
        return
    batch = Batch(body=orjson.dumps(runs, default=str), media_type=RUNS_MEDIA_TYPE, project=project)
    batch = await asyncio.wrap_future(request.app.state.ingest.consume(batch))
    request.app.state.metrics.ingested(batch)
    outcome.rejected += batch.rejected
    outcome.warnings += batch.warnings


def _save_extras(request: Request, upload: Upload, outcome: _Outcome) -> int:
    """Feedback as scores and attachments as media, in the project of their run; how many were kept (one
    that cannot be is rejected alone)."""
    store = request.app.state.store
    default = request.state.principal.project or request.app.state.settings.default_project
    scores = []
    check = ConfigCheck(store)
    for feedback in upload.feedback:
        run_id = str(feedback.get("run_id"))
        project = outcome.projects.get(run_id) or _stored_project(
            request.state.principal, store, run_id, default
        )
        try:
            score = feedback_score(project, feedback, functools.partial(_trace_of, store, project, outcome))
        except BadRequest as exc:
            outcome.rejected.append(str(exc))
            continue
        misfit = check.misfit(score)
        if misfit is None:
            scores.append(score)
        else:
            outcome.rejected.append(f"feedback {feedback.get('id', '')}: {misfit}")
    save_scores(store, scores)
    now = time.time_ns()
    media = []
    for attachment in upload.attachments:
        run = outcome.runs.get(attachment.run_id)
        if run is None:
            outcome.rejected.append(f"attachment {attachment.name!r}: run {attachment.run_id} was not taken")
            continue
        media.append(
            Media(
                project=outcome.projects[attachment.run_id],
                id=uuid.uuid4().hex,
                content_type=attachment.content_type or "application/octet-stream",
                content_length=len(attachment.data),
                trace_id=trace_id_of(run_ids(run)[1]),
                span_id=span_id_of(uuid.UUID(attachment.run_id)),
                field=attachment.name,
                data=attachment.data,
                created_ns=now,
                uploaded_ns=now,
            )
        )
    for item in media:
        save_media(store, item)
    return len(scores) + len(media)


def _trace_of(store: Store, project: str, outcome: _Outcome, run_id: uuid.UUID) -> str | None:
    """The trace of a run: from the request's own runs (not yet queryable), else from its stored parts (a
    lookup by the parts' key), else, for a run sent over OTLP, from the spans."""
    for run in outcome.runs.values():
        own_id, trace, _ = run_ids(run)
        if own_id == run_id:
            return trace_id_of(trace)
    stored = read_run_parts(store, project, [str(run_id)]).get(str(run_id), {})
    found = next((part.trace_id for part in stored.values()), None)
    return found or trace_of_span(store, project, span_id_of(run_id))


def _project_of(principal: Principal, run: Mapping[str, Any], default: str) -> str:
    """A project key's project; for an admin (or an open server) the run's LangSmith project if it can
    name one, else the default."""
    chosen = ingest_project(principal, None)
    if chosen is not None:
        return chosen
    name = run.get("session_name")
    return valid_project(name) if isinstance(name, str) and name else default


def _stored_project(principal: Principal, store: Store, run_id: str, default: str) -> str:
    """A project key's project; for an admin the project the run was stored in, else the default."""
    return principal.project or project_of_run(store, run_id) or default


def _redacted(part: RunPart, redactor: Redactor | None) -> RunPart:
    """The part with every string in it masked by the project's redaction rules: nothing unredacted rests
    in the store."""
    if redactor is None:
        return part
    return RunPart(part.run_id, part.op, part.trace_id, _mask(part.run, redactor))


def _mask(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, dict):
        return {key: _mask(item, redactor) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item, redactor) for item in value]
    return value


def _refusal(exc: TokentrailError) -> Response:
    # The SDK drops a batch answered 413 or 429 without Retry-After; with it, it waits and tries again.
    headers = retry_after(exc) or ({"Retry-After": "1"} if isinstance(exc, PayloadTooLarge) else None)
    return _refusal_json(status_of(exc), str(exc), headers)


def _refusal_json(status: int, message: str, headers: dict[str, str] | None) -> Response:
    return JSONResponse(
        {"error": {"status": status, "message": message}}, status_code=status, headers=headers
    )
