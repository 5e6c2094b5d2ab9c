"""Session, user, tags and metadata that reach every span started inside them, here and downstream.

Each is a W3C baggage entry (:mod:`tokentrail.sdk.attributes` names them), so the HTTP and queue
propagators carry it to the services a request reaches; :class:`ContextSpanProcessor`, which ``init``
installs in every process, copies the entries onto each span as it starts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import AbstractContextManager

from opentelemetry import baggage
from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.sdk.trace import Span, SpanProcessor
from opentelemetry.util.types import AttributeValue

from tokentrail.sdk.attributes import CONTEXT_PREFIX, METADATA_PREFIX, SESSION, TAGS, USER

__all__ = ["ContextSpanProcessor", "metadata", "session", "tags", "user"]


class _Entries(AbstractContextManager[None]):
    """Baggage entries added to the current context while the block runs (a class, not a generator:
    it runs around every request)."""

    __slots__ = ("_entries", "_tokens")

    def __init__(self, entries: Mapping[str, str]) -> None:
        self._entries = entries
        self._tokens: list[object] = []

    def __enter__(self) -> None:
        current = otel_context.get_current()
        for key, value in self._entries.items():
            current = baggage.set_baggage(key, value, current)
        self._tokens.append(otel_context.attach(current))

    def __exit__(self, *exc_info: object) -> None:
        otel_context.detach(self._tokens.pop())  # type: ignore[arg-type]


def session(session_id: str) -> AbstractContextManager[None]:
    """Spans started inside belong to the session (chat, thread) ``session_id``."""
    return _Entries({SESSION: str(session_id)})


def user(user_id: str) -> AbstractContextManager[None]:
    """Spans started inside act for the user ``user_id``."""
    return _Entries({USER: str(user_id)})


def tags(*names: str) -> AbstractContextManager[None]:
    """Spans started inside carry these tags, beside those of an enclosing ``tags``."""
    current = _tag_list(baggage.get_baggage(TAGS))
    merged = current + [str(name) for name in names if str(name) not in current]
    return _Entries({TAGS: json.dumps(merged, ensure_ascii=False)})


def metadata(**values: object) -> AbstractContextManager[None]:
    """Spans started inside carry these metadata entries (values that are not text become JSON), beside
    those of an enclosing ``metadata``."""
    return _Entries({METADATA_PREFIX + key: _text(value) for key, value in values.items()})


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _tag_list(value: object) -> list[str]:
    """Tags as they ride in baggage (a JSON list); anything else (another service's garbage) is none."""
    try:
        loaded = json.loads(value) if isinstance(value, str) else []
    except ValueError:
        return []
    return [str(tag) for tag in loaded] if isinstance(loaded, list) else []


#: Baggage entry -> its span attribute value (tags become a string list; the rest stay text).
_DECODERS = {TAGS: _tag_list}


class ContextSpanProcessor(SpanProcessor):
    """Stamps the tokentrail baggage entries of a span's parent context on the span as it starts."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        entries = baggage.get_all(parent_context)
        if not entries:  # most spans of an app outside any session: nothing to stamp
            return
        stamped: dict[str, AttributeValue] = {}
        for key, value in entries.items():
            if key.startswith(CONTEXT_PREFIX) and isinstance(value, str):
                decode = _DECODERS.get(key)
                stamped[key] = decode(value) if decode else value
        if stamped:
            span.set_attributes(stamped)  # one lock and one check for all of them
