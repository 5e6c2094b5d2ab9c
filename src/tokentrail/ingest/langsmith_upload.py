"""LangSmith ingest requests (``/runs/multipart``, ``/runs/batch``, ``/runs``, ``PATCH /runs/{id}``) read
into one :class:`Upload`: run parts by (run id, post|patch), feedback and attachments (pure functions).

Multipart part names, as ``langsmith._internal._operations`` writes them: ``post.<id>`` / ``patch.<id>``
(the run without its large fields), ``post|patch.<id>.<field>`` (one of :data:`RUN_FIELDS`, as JSON),
``attachment.<id>.<name>`` (raw bytes with their type) and ``feedback.<id>``. A malformed part rejects its
run alone, naming the part; the request's other runs go on.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from python_multipart.multipart import MultipartParser, parse_options_header

from tokentrail.errors import BadRequest, UnsupportedMediaType

__all__ = [
    "OPS",
    "RUN_FIELDS",
    "Attachment",
    "Upload",
    "parse_batch",
    "parse_feedback",
    "parse_multipart",
    "parse_run",
]

#: What a run part does: create the run, or add to it.
OPS = ("post", "patch")
#: The run fields the SDK sends as parts of their own.
RUN_FIELDS = frozenset({"inputs", "outputs", "events", "extra", "error", "serialized"})

RunKey = tuple[str, str]  # run id, post|patch


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a run: ``attachment.<run id>.<name>``."""

    run_id: str
    name: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class Upload:
    """What one request sent."""

    runs: dict[RunKey, dict[str, Any]] = field(default_factory=dict)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # one reason per run or feedback not taken

    def add_run(self, op: str, run: object, run_id: str | None = None) -> None:
        """Take one run object (its id from the object, else ``run_id``), or reject it with a reason."""
        if not isinstance(run, dict):
            self.rejected.append(f"{op} run: must be a JSON object")
            return
        key_id = _run_id(run.get("id") or run_id)
        if key_id is None:
            self.rejected.append(f"{op} run {run.get('id')!r}: id is not a UUID")
            return
        self.runs[(key_id, op)] = {**run, "id": key_id}


def parse_batch(body: bytes) -> Upload:
    """``POST /runs/batch``: ``{"post": [run, ...], "patch": [run, ...]}``."""
    document = _json_object(body, "runs batch")
    upload = Upload()
    for op in OPS:
        runs = document.get(op) or []
        if not isinstance(runs, list):
            raise BadRequest(f"runs batch: {op!r} must be a list of runs")
        for run in runs:
            upload.add_run(op, run)
    return upload


def parse_run(body: bytes, op: str, run_id: str | None = None) -> Upload:
    """``POST /runs`` (a run to create) or ``PATCH /runs/{run_id}`` (fields to add to it)."""
    upload = Upload()
    upload.add_run(op, _json_object(body, "run"), run_id)
    if upload.rejected:
        raise BadRequest(upload.rejected[0])
    return upload


def parse_feedback(body: bytes) -> Upload:
    """``POST /feedback``: one feedback object."""
    return Upload(feedback=[_json_object(body, "feedback")])


def parse_multipart(body: bytes, content_type: str | None) -> Upload:
    """``POST /runs/multipart``: every part, read into runs, feedback and attachments."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UnsupportedMediaType(f"unsupported Content-Type {content_type!r}: send multipart/form-data")
    upload = Upload()
    broken: dict[str, str] = {}  # run id -> why the first bad part of that run was refused
    for name, part_type, data in _parts(body, boundary):
        problem = _take_part(upload, name, part_type, data)
        if problem is not None:
            run_id = name.split(".")[1] if name.count(".") >= 1 else name
            broken.setdefault(run_id, f"part {name!r}: {problem}")
    for run_id, reason in broken.items():
        for op in OPS:
            upload.runs.pop((run_id, op), None)
        upload.attachments = [item for item in upload.attachments if item.run_id != run_id]
        upload.rejected.append(reason)
    return upload


def _take_part(upload: Upload, name: str, content_type: str, data: bytes) -> str | None:
    """File one part in ``upload``; the problem with it, if any."""
    kind, _, rest = name.partition(".")
    run_id, _, tail = rest.partition(".")
    if _run_id(run_id) != run_id:
        return "the id after the part's kind is not a UUID"
    reader = _PART_READERS.get(kind)
    if reader is None:
        return f"unknown part kind {kind!r}: expected post, patch, attachment or feedback"
    return reader(upload, kind, run_id, tail, content_type, data)


def _run_part(upload: Upload, op: str, run_id: str, field_name: str, _type: str, data: bytes) -> str | None:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return f"not valid JSON ({exc})"
    run = upload.runs.setdefault((run_id, op), {"id": run_id})
    if not field_name:
        if not isinstance(value, dict):
            return "a run must be a JSON object"
        run.update(value)
        run["id"] = run_id  # the part's name decides
        return None
    if field_name not in RUN_FIELDS:
        return f"unknown run field {field_name!r}: expected one of {', '.join(sorted(RUN_FIELDS))}"
    run[field_name] = value
    return None


def _attachment_part(
    upload: Upload, _kind: str, run_id: str, name: str, content_type: str, data: bytes
) -> str | None:
    if not name:
        return "an attachment needs a name: attachment.<run id>.<name>"
    # The SDK sends a file's size in its type: "image/png; length=1234".
    upload.attachments.append(Attachment(run_id, name, content_type.split(";", 1)[0].strip(), data))
    return None


def _feedback_part(upload: Upload, _kind: str, run_id: str, tail: str, _type: str, data: bytes) -> str | None:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return f"not valid JSON ({exc})"
    if not isinstance(value, dict):
        return "feedback must be a JSON object"
    upload.feedback.append({"id": run_id, **value})
    return None


_PART_READERS: Mapping[str, Callable[[Upload, str, str, str, str, bytes], str | None]] = {
    "post": _run_part,
    "patch": _run_part,
    "attachment": _attachment_part,
    "feedback": _feedback_part,
}


def _parts(body: bytes, boundary: bytes) -> list[tuple[str, str, bytes]]:
    """Each part's name, Content-Type and bytes."""
    parts: list[tuple[str, str, bytes]] = []
    headers: dict[bytes, bytes] = {}
    header: list[bytes] = [b"", b""]
    chunks: list[bytes] = []

    def begin() -> None:
        headers.clear()
        chunks.clear()

    def header_field(data: bytes, start: int, end: int) -> None:
        header[0] += data[start:end]

    def header_value(data: bytes, start: int, end: int) -> None:
        header[1] += data[start:end]

    def header_end() -> None:
        headers[header[0].strip().lower()] = header[1].strip()
        header[0] = header[1] = b""

    def part_data(data: bytes, start: int, end: int) -> None:
        chunks.append(data[start:end])

    def end() -> None:
        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        parts.append((name, headers.get(b"content-type", b"").decode("latin-1"), b"".join(chunks)))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": begin,
            "on_header_field": header_field,
            "on_header_value": header_value,
            "on_header_end": header_end,
            "on_part_data": part_data,
            "on_part_end": end,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except Exception as exc:  # python-multipart raises its own errors, and ValueError, on a broken body
        raise BadRequest(f"multipart body could not be read: {exc}") from None
    return parts


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadRequest(f"{what} must be a JSON object")
    return document


def _run_id(value: object) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None
