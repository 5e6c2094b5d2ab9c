"""Text over the value limit, cut with a marker that says so, and the span flagged.

Decoding cuts what no later stage caps (a span's name, its status message, events, nested values) and
leaves a top-level attribute whole for normalization to read (the payloads in it) and cap as it stores it;
:func:`cap_fields` then cuts the few fields normalization copies as they are (ids, names, metadata).
"""

from __future__ import annotations

from tokentrail.limits import TRUNCATED
from tokentrail.marker import cut
from tokentrail.model import Span

__all__ = ["cap_fields", "cut"]

#: The span's text fields normalization copies from an attribute without a cap.
_FIELDS = (
    "name",
    "error_type",
    "error_message",
    "provider",
    "request_model",
    "response_model",
    "response_id",
    "billing_tier",
    "session_id",
    "user_id",
    "trace_name",
)


def cap_fields(span: Span, limit: int) -> bool:
    """Cut the span's uncapped text fields, tags and metadata to ``limit``; True (and the span flagged)
    when one was."""
    lengths = [len(getattr(span, name)) for name in _FIELDS]
    lengths += map(len, span.tags)
    lengths += map(len, span.metadata.values())
    if max(lengths) <= limit:  # nearly always: one pass, nothing cut
        return False
    for name in _FIELDS:
        text = getattr(span, name)
        if len(text) > limit:
            setattr(span, name, cut(text, limit))
    span.tags = [_capped(tag, limit) for tag in span.tags]
    span.metadata = {key: _capped(text, limit) for key, text in span.metadata.items()}
    span.attributes[TRUNCATED] = "true"
    return True


def _capped(text: str, limit: int) -> str:
    return cut(text, limit) if len(text) > limit else text
