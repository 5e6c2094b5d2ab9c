"""What filled an LLM call's prompt: its input tokens attributed to where they came from.

Sources: ``system``, ``user``, ``assistant`` (earlier answers, their tool call requests included),
``tool:<name>`` (a tool's results; the name is the one the assistant's call with that id gave, else the
message's own), ``retrieval:<span name>`` (a retriever's documents found verbatim inside a system or user
message), and ``unattributed`` (what the provider counted beyond the messages: role markers, tool
definitions, images, text cut at ingest).

Each source's text is counted with the model's tokenizer, or in characters (:mod:`.tokenizers`), and the
counts are made to add up exactly to the tokens the provider reported for the prompt (``usage.input``, which
includes cache reads): with a tokenizer, the reported tokens the messages leave over are ``unattributed``,
and when the messages count more than was reported every count is scaled down (``+scaled`` on the method);
in characters, the reported tokens are shared in proportion to each source's characters. Both use
largest-remainder rounding, so no token is lost or made up.

A call's ``history`` is the part of its prompt that earlier turns carried in: every message up to and
including the last assistant message, the system prompt left out.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from tokentrail.model import Span, SpanKind
from tokentrail.pricing.tokenizers import CHARS, TokenCounter, counter_for
from tokentrail.semconv.conversation import Message, messages

__all__ = [
    "MAX_COUNTED_CHARS",
    "MIN_DOCUMENT_CHARS",
    "PROMPT_COST_TYPES",
    "UNATTRIBUTED",
    "PromptSources",
    "attribute",
    "attribute_spans",
    "largest_remainder",
]

logger = logging.getLogger(__name__)

UNATTRIBUTED = "unattributed"
#: Cost types paid for the prompt: a source's cost is its share of their sum.
PROMPT_COST_TYPES = ("input", "cache_read", "cache_write", "cache_write_1h", "audio_in", "image_in")
#: A prompt longer than this is counted in characters: tokenizing it would slow ingest for little gain.
MAX_COUNTED_CHARS = 200_000
#: Documents shorter than this are not looked for in the messages (a word would match anywhere).
MIN_DOCUMENT_CHARS = 32

#: Roles whose text may quote a retriever's documents.
_QUOTING_ROLES = frozenset({"system", "user"})
_SCALED = "+scaled"

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class PromptSources:
    """One call's prompt tokens by source (summing to the reported prompt tokens), how many of them are
    history, and how they were counted."""

    sources: dict[str, int]
    history: int
    method: str


def attribute_spans(spans: Sequence[Span], tokenizer_dir: Path | None) -> None:
    """Fill in the prompt sources of the LLM calls among ``spans`` (the documents their prompts quote are
    recognised once the trace's retrievals are stored: :mod:`tokentrail.ingest.prompt_quotes`)."""
    for span in spans:
        if span.kind != SpanKind.LLM or not span.input:
            continue
        try:
            found = attribute(span.input, span.usage.get("input", 0), counter_for(span.model, tokenizer_dir))
        except Exception:  # an input no reading foresaw leaves the call unattributed, never unstored
            logger.exception("the prompt of span %s could not be attributed", span.span_id)
            continue
        if found is not None:
            span.prompt_sources, span.prompt_history, span.prompt_method = (
                found.sources,
                found.history,
                found.method,
            )


def attribute(
    prompt: str,
    reported: int,
    counter: TokenCounter,
    documents: Mapping[str, Sequence[str]] | None = None,
) -> PromptSources | None:
    """Attribute ``reported`` prompt tokens to the messages captured in ``prompt`` (a span's input), with
    ``documents`` (retriever span name -> contents) recognised where a message quotes them; None when the
    call reported no prompt tokens or its input holds no messages."""
    if reported <= 0:
        return None
    found = messages(prompt, default_role="user")
    if not found:
        return None
    if len(prompt) > MAX_COUNTED_CHARS:
        counter = TokenCounter(CHARS, len)
    pieces = _pieces(found, documents or {})
    counted: dict[tuple[str, bool], int] = {}
    for source, carried, text in pieces:
        if text:
            counted[source, carried] = counted.get((source, carried), 0) + counter.count(text)
    method = counter.method
    total = sum(counted.values())
    if total == 0:
        counted = {(UNATTRIBUTED, False): reported}
    elif method == CHARS or total > reported:
        method += "" if method == CHARS else _SCALED
        counted = largest_remainder(reported, counted)
    elif total < reported:
        counted[UNATTRIBUTED, False] = reported - total
    sources: dict[str, int] = {}
    history = 0
    for (source, is_history), tokens in counted.items():
        sources[source] = sources.get(source, 0) + tokens
        history += tokens if is_history else 0
    return PromptSources({source: tokens for source, tokens in sources.items() if tokens}, history, method)


def largest_remainder(total: int, weights: Mapping[K, int]) -> dict[K, int]:
    """``total`` shared in proportion to ``weights`` (positive sum) in whole units that add up to it: each
    gets the floor of its share, and the units left over go to the largest remainders (the first on a
    tie)."""
    whole = sum(weights.values())
    shares = {key: divmod(total * weight, whole) for key, weight in weights.items()}
    left = total - sum(share for share, _ in shares.values())
    rounded_up = set(sorted(shares, key=lambda key: -shares[key][1])[:left])
    return {key: share + (key in rounded_up) for key, (share, _) in shares.items()}


def _pieces(found: list[Message], documents: Mapping[str, Sequence[str]]) -> list[tuple[str, bool, str]]:
    """The prompt as (source, is history, text) pieces."""
    tool_names = {call.id: call.name for message in found for call in message.tool_calls if call.id}
    last_answer = max((i for i, message in enumerate(found) if message.role == "assistant"), default=-1)
    pieces: list[tuple[str, bool, str]] = []
    for index, message in enumerate(found):
        history = index <= last_answer and message.role != "system"
        if message.role == "tool":
            name = tool_names.get(message.tool_call_id) or message.name or "unknown"
            pieces.append((f"tool:{name}", history, message.text))
            continue
        source = message.role  # system, user, assistant, or a role no convention table renames
        if message.role in _QUOTING_ROLES and documents:
            pieces += [(quoted or source, history, text) for quoted, text in _quotes(message.text, documents)]
        else:
            pieces.append((source, history, message.text))
        pieces += [(source, history, call.name + call.arguments) for call in message.tool_calls]
    return pieces


def _quotes(text: str, documents: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """``text`` cut into (retrieval source or "", text) parts: each document's first occurrence that
    overlaps no longer one's is its retriever's, the rest the message's own."""
    found: list[tuple[int, int, str]] = []
    candidates = [
        (content, f"retrieval:{retriever}")
        for retriever, contents in documents.items()
        for content in contents
        if len(content) >= MIN_DOCUMENT_CHARS
    ]
    for content, source in sorted(candidates, key=lambda candidate: -len(candidate[0])):
        start = text.find(content)
        while start >= 0 and any(start < end and begin < start + len(content) for begin, end, _ in found):
            start = text.find(content, start + 1)
        if start >= 0:
            found.append((start, start + len(content), source))
    parts: list[tuple[str, str]] = []
    position = 0
    for begin, end, source in sorted(found):
        parts += [("", text[position:begin]), (source, text[begin:end])]
        position = end
    parts.append(("", text[position:]))
    return parts
