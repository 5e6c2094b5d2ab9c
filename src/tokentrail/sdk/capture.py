"""Payloads as span text: a traced function's arguments and result as JSON, redacted with the server's
rules (:mod:`tokentrail.ingest.redaction`, which is pure) and cut at the server's size limit with its
truncation marker."""

from __future__ import annotations

import dataclasses
import inspect
import json
from pathlib import Path
from typing import Any

from tokentrail.ingest.redaction import Redactor, load_policy
from tokentrail.marker import cut

__all__ = [
    "DEFAULT_MAX_PAYLOAD_CHARS",
    "Capture",
    "Collected",
    "arguments",
    "current",
    "named",
    "positional_names",
    "use",
]

#: The server's default ``max_payload_chars``: text the SDK keeps, the server keeps too.
DEFAULT_MAX_PAYLOAD_CHARS = 65536
#: Parameters that are the object a method was called on, not an input.
_RECEIVERS = frozenset({"self", "cls"})


def _jsonable(value: object) -> object:
    """What JSON cannot write, as something it can: pydantic models and dataclasses as their fields,
    anything else as its ``repr``."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return repr(value)


# One encoder for every call: json.dumps with options builds a new one each time.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_jsonable)


class Capture:
    """Whether payloads are captured, and the limit and redaction rules applied to them."""

    def __init__(
        self,
        enabled: bool = True,
        max_chars: int = DEFAULT_MAX_PAYLOAD_CHARS,
        redaction_file: Path | None = None,
        project: str = "*",
    ) -> None:
        self.enabled = enabled
        self.max_chars = max_chars
        self.redactor: Redactor | None = load_policy(redaction_file).for_project(project)

    def text(self, value: object) -> str:
        """``value`` as JSON text (text stays as it is), secrets masked, cut at the limit."""
        return self.json(value) if not isinstance(value, str) else self._kept(value)

    def json(self, value: object) -> str:
        """``value`` as JSON text (text too, quoted), secrets masked, cut at the limit."""
        return self._kept(_ENCODER.encode(value))

    def _kept(self, text: str) -> str:
        if self.redactor is not None:
            text = self.redactor.redact(text)
        return cut(text, self.max_chars) if len(text) > self.max_chars else text


def positional_names(signature: inspect.Signature) -> tuple[str, ...] | None:
    """The names a call's positional arguments take, in order, if every parameter is a plain one (no
    ``*args``, ``**kwargs`` or keyword-only): then binding them is a zip. None otherwise."""
    plain = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(parameter.kind not in plain for parameter in signature.parameters.values()):
        return None
    return tuple(signature.parameters)


def named(names: tuple[str, ...], args: tuple[Any, ...]) -> dict[str, Any]:
    """Positional arguments by their parameter names (from :func:`positional_names`), the receiver left
    out: what :func:`arguments` gives for such a call, without binding."""
    return {name: value for name, value in zip(names, args, strict=False) if name not in _RECEIVERS}


def arguments(signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """A call's arguments by parameter name, the receiver (``self``, ``cls``) left out."""
    try:
        bound = signature.bind_partial(*args, **kwargs)
    except TypeError:  # the call itself is wrong and will raise; record what was passed
        return {"args": list(args), "kwargs": kwargs}
    return {name: value for name, value in bound.arguments.items() if name not in _RECEIVERS}


class Collected:
    """The items a generator yields, kept while they fit the payload limit (the rest are only counted):
    text chunks join into one text, other items make a list."""

    def __init__(self, limit: int) -> None:
        self.items: list[object] = []
        self.limit = limit
        self.size = 0
        self.left_out = 0

    def add(self, item: object) -> None:
        if self.size > self.limit:
            self.left_out += 1
            return
        self.items.append(item)
        self.size += len(item) if isinstance(item, str) else len(repr(item))

    def value(self) -> object:
        """What was yielded: the joined text, or the list of items; a marker counts the items left out."""
        marker = [f"…[{self.left_out} more items]"] if self.left_out else []
        if all(isinstance(item, str) for item in self.items):
            return "".join([*map(str, self.items), *marker])
        return [*self.items, *marker]


#: A capture of payloads, set by ``init``; before it, the defaults.
_CURRENT: list[Capture] = []


def current() -> Capture:
    """The capture rules ``init`` set (the defaults before it)."""
    if not _CURRENT:
        _CURRENT.append(Capture())
    return _CURRENT[0]


def use(capture: Capture) -> None:
    """Make ``capture`` the rules every traced function applies from now on."""
    _CURRENT[:] = [capture]
