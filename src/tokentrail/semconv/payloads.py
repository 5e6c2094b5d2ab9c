"""Token usage read from a provider's raw response, for LLM spans that carry the payload but no usage.

Pure: text in, canonical usage (see :mod:`tokentrail.model`) out, or None when the payload holds no usage
that can be trusted. Counts are never estimated from text.

A payload is a JSON response, a JSON usage object alone, a JSON list of streamed chunks, raw SSE text, or
a Python ``str(dict)`` of any of these (LiteLLM's ``metadata.usage_object``).
Its format is recognised by the keys of its usage object (:data:`FORMATS`, in order); the span's provider
(else its model, by genai-prices' ``model_match`` rules) picks that provider's genai-prices extractor for
the format, if it has one, else the format's reference extractor. genai-prices maps every format's keys to
usage with cached tokens inside input and reasoning inside output, as tokentrail does; tokentrail's own
part is finding the usage: in a stream, the last usage object, laid over the usage that opened it.

Semantics worth knowing, each applied by the named genai-prices extractor:

- OpenAI Chat Completions and Responses: ``prompt_tokens``/``input_tokens`` include cached tokens,
  ``completion_tokens``/``output_tokens`` include reasoning tokens.
- Anthropic: ``input_tokens`` excludes ``cache_read_input_tokens`` and ``cache_creation_input_tokens``,
  so input is their sum. Given only ``cache_creation.ephemeral_5m/1h_input_tokens``, tokentrail adds them
  up as the cache write (and into input).
- Gemini: ``candidatesTokenCount`` excludes ``thoughtsTokenCount`` (output is their sum, reasoning the
  thoughts); ``toolUsePromptTokenCount`` is input outside ``promptTokenCount``. The total is
  prompt + tool use + candidates + thoughts.
- Bedrock Converse: ``inputTokens`` excludes ``cacheReadInputTokens`` and ``cacheWriteInputTokens``
  ("total input tokens = inputTokens + cacheReadInputTokens + cacheWriteInputTokens", AWS user guide,
  prompt caching: docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html); recorded responses
  agree, e.g. inputTokens 2, outputTokens 5, cacheWriteInputTokens 1322, totalTokens 1329.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from genai_prices.data_snapshot import find_provider_by_id, get_snapshot
from genai_prices.types import Provider, UsageExtractor

from tokentrail.marker import TRUNCATION_MARKER
from tokentrail.model import USAGE_TYPES
from tokentrail.pricing.catalog import USAGE_KEYS
from tokentrail.pricing.providers import PROVIDER_IDS
from tokentrail.semconv.common import USAGE_PARTS
from tokentrail.semconv.values import PYTHON_LITERAL_LIMIT, python_literal

__all__ = ["COVERAGE", "FORMATS", "PayloadFormat", "PayloadUsage", "may_state_parts", "usage_from_payload"]

Path = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PayloadUsage:
    """Usage read from a payload: canonical counts, the parser that read them, the model the payload names."""

    usage: dict[str, int]
    parser: str
    model: str = ""


@dataclass(frozen=True, slots=True)
class PayloadFormat:
    """One wire format: how to recognise its usage object, where it sits, and which extractor maps it."""

    name: str
    #: A usage object of this format has at least one of these keys.
    markers: frozenset[str]
    #: Where a usage object with final counts sits in a response, chunk or stream event.
    usage_paths: tuple[Path, ...]
    #: genai-prices (provider id, api flavor) used when the span's provider has no flavor of its own.
    extractor: tuple[str, str]
    #: The api flavor that names this format at other genai-prices providers ("" if none does).
    flavor: str = ""
    #: Where a stream's opening usage sits; later usage objects update it key by key.
    start_paths: tuple[Path, ...] = ()
    model_paths: tuple[Path, ...] = ()
    #: The extractor reads camelCase; SDK dumps in snake_case (google-genai's ``to_json_dict``) are converted.
    camel_case: bool = False


# Recognised in this order: a later format's markers may appear in an earlier one's usage, not vice versa.
FORMATS: tuple[PayloadFormat, ...] = (
    PayloadFormat(
        "bedrock-converse",
        frozenset({"inputTokens", "outputTokens", "cacheReadInputTokens", "cacheWriteInputTokens"}),
        # Converse; ConverseStream's metadata event; the Vercel AI SDK's providerMetadata.
        usage_paths=(("usage",), ("metadata", "usage"), ("bedrock", "usage")),
        extractor=("aws", "default"),
    ),
    PayloadFormat(
        "gemini",
        frozenset({"promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "totalTokenCount"}),
        usage_paths=(("usageMetadata",), ("usage_metadata",), ("google", "usageMetadata")),
        extractor=("google", "default"),
        model_paths=(("modelVersion",), ("model_version",)),
        camel_case=True,
    ),
    PayloadFormat(
        "openai-chat",
        frozenset({"prompt_tokens", "completion_tokens"}),
        usage_paths=(("usage",),),  # streamed: the last chunk (stream_options.include_usage)
        extractor=("openai", "chat"),
        flavor="chat",
        model_paths=(("model",),),
    ),
    PayloadFormat(
        "openai-realtime",
        frozenset({"input_token_details", "output_token_details"}),
        usage_paths=(("response", "usage"), ("usage",)),  # the response.done event
        extractor=("openai", "realtime"),
        flavor="realtime",
    ),
    PayloadFormat(
        "openai-responses",
        frozenset({"input_tokens_details", "output_tokens_details", "total_tokens"}),
        usage_paths=(("usage",), ("response", "usage")),  # streamed: response.completed's response
        extractor=("openai", "responses"),
        flavor="responses",
        model_paths=(("model",), ("response", "model")),
    ),
    PayloadFormat(
        "anthropic-messages",
        frozenset(
            {"input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"}
        ),
        # A Message, or message_delta's cumulative counts; the Vercel AI SDK's providerMetadata.
        usage_paths=(("usage",), ("anthropic", "usage")),
        extractor=("anthropic", "default"),
        flavor="anthropic",  # Claude on Bedrock, Vertex AI and Azure
        start_paths=(("message", "usage"),),  # message_start
        model_paths=(("model",), ("message", "model")),
    ),
)

# Shapes a payload comes in: one response, a stream (JSON list of chunks or SSE), a usage object alone.
_RESPONSE, _STREAM, _USAGE = "response", "stream", "usage"
_READERS = {_RESPONSE: "", _STREAM: "tokentrail:stream+", _USAGE: "tokentrail:usage+"}

#: Format -> payload shape -> parser, when the span names no other provider: the docs' compatibility matrix.
COVERAGE: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        fmt.name: MappingProxyType(
            {shape: f"{reader}genai-prices:{'/'.join(fmt.extractor)}" for shape, reader in _READERS.items()}
        )
        for fmt in FORMATS
    }
)

_CANONICAL = {genai_key: usage_type for usage_type, genai_key in USAGE_KEYS.items()}
# (unit, its parts, the unit it is part of): Anthropic and Bedrock may break a cache write down by TTL
# only; genai-prices then reports the parts, but neither the write nor its share of input.
_ROLLUPS = (("cache_write_tokens", ("cache_write_5m_tokens", "cache_write_1h_tokens"), "input_tokens"),)
_REQUIRED = ("input", "output")  # usage without either says nothing trustworthy
_MAX_COUNT = 2**63 - 1  # what an OTLP int attribute can hold
_MARKER = "oken"  # every usage key of every format contains "token" or "Token": a cheap first filter
_TRUNCATED = re.compile(re.escape(TRUNCATION_MARKER).replace(r"\{\}", r"\d+") + r"\Z")
_SNAKE = re.compile(r"_([a-z])")
_DONE = "[DONE]"
_PYTHON_OPENERS = ("{", "[")


#: Part keys too generic to tell anything: Gemini's per-modality ``tokenCount`` and Bedrock's per-lifetime
#: ``inputTokens`` (also Converse's whole input) are in every response of theirs.
_GENERIC_KEYS = frozenset({"tokenCount", "inputTokens"})


def _part_keys() -> dict[str, list[str]]:
    """Per usage part (cache, reasoning, audio, image): the keys under which any genai-prices extractor
    finds it, with the snake_case spelling of camelCase ones (SDK dumps)."""
    keys: dict[str, set[str]] = {part: set() for part in USAGE_PARTS}
    for provider in get_snapshot().providers:
        for extractor in provider.extractors or ():
            for mapping in extractor.mappings:
                part = _CANONICAL.get(mapping.dest)
                last = mapping.path if isinstance(mapping.path, str) else mapping.path[-1]
                if part in keys and isinstance(last, str) and last not in _GENERIC_KEYS:
                    keys[part].update((last, _UPPER.sub(lambda m: "_" + m[0].lower(), last)))
    return {part: sorted(names) for part, names in keys.items()}


_UPPER = re.compile(r"[A-Z]")
_PART_KEYS = _part_keys()


@functools.lru_cache(maxsize=256)  # one per set of parts: at most 2**len(USAGE_PARTS)
def _part_count(parts: frozenset[str]) -> re.Pattern[str] | None:
    """A nonzero count under a key that names one of ``parts``, in JSON (``"cached_tokens": 80``) or a
    Python literal (``'cached_tokens': 80``, ``cached_tokens=80``); one pattern, so a payload is scanned
    once."""
    keys = sorted({key for part in parts for key in _PART_KEYS.get(part, ())}, key=len, reverse=True)
    if not keys:
        return None
    return re.compile("(?:{})[\"']?\\s*[:=]\\s*[1-9]".format("|".join(map(re.escape, keys))))


def may_state_parts(payload: str, parts: frozenset[str]) -> bool:
    """Whether ``payload`` may state a nonzero count of one of ``parts``: the cheap test before one is
    parsed only for the parts a span's attributes lack (most responses state zero for most parts)."""
    pattern = _part_count(parts)
    if pattern is None or _MARKER not in payload:
        return False
    # Every format's usage object sits under a key naming usage (usage, usageMetadata, tokenUsage): the
    # counts are after the first one, usually at the end of a response. No such key: a usage object alone.
    found = [index for index in (payload.find("usage"), payload.find("Usage")) if index >= 0]
    return pattern.search(payload, min(found) if found else 0) is not None


def usage_from_payload(payload: str, *, provider: str = "", model: str = "") -> PayloadUsage | None:
    """Usage in ``payload`` (a span's output), or None. ``provider`` is the OTel provider name if known."""
    if type(payload) is not str or _MARKER not in payload or _TRUNCATED.search(payload):
        return None  # a stream cut short would still yield a plausible, wrong, count
    documents = _documents(payload)
    found = _find(documents)
    if found is None:
        return None
    fmt, shape = found
    raw = _usage_object(fmt, documents[0]) if shape == _USAGE else _stream_usage(fmt, documents)
    if raw is None:
        return None
    named = _model(fmt, documents)
    picked = _extractor(fmt, provider, model or named)
    if picked is None:
        return None
    name, extractor = picked
    usage = _canonical(extractor, raw)
    return None if usage is None else PayloadUsage(usage, _READERS[shape] + name, named)


def _documents(payload: str, *, unwrap: bool = True) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(payload)
    except (ValueError, RecursionError):
        if "data:" in payload:
            return _sse(payload)
        if payload[:1] not in _PYTHON_OPENERS or len(payload) > PYTHON_LITERAL_LIMIT:
            return []
        try:
            parsed = python_literal(payload)
        except ValueError:
            return []
    if type(parsed) is str:  # a payload JSON-encoded once more (one level)
        return _documents(parsed, unwrap=False) if unwrap else []
    items = parsed if type(parsed) is list else [parsed]
    return [item for item in items if type(item) is dict]


def _sse(text: str) -> list[dict[str, Any]]:
    """The JSON ``data`` of each server-sent event; other fields (``event:``, ``id:``) don't matter here."""
    events: list[dict[str, Any]] = []
    lines: list[str] = []
    for line in [*text.split("\n"), ""]:
        line = line.removesuffix("\r")
        if line.startswith("data:"):
            lines.append(line[6:] if line.startswith("data: ") else line[5:])
        elif not line and lines:
            data = "\n".join(lines)
            lines.clear()
            if data.strip() == _DONE:
                continue
            try:
                event = json.loads(data)
            except (ValueError, RecursionError):
                continue
            if type(event) is dict:
                events.append(event)
    return events


def _at(document: Any, path: Path) -> Any:
    for key in path:
        if type(document) is not dict:
            return None
        document = document.get(key)
    return document


def _usage_object(fmt: PayloadFormat, value: Any) -> dict[str, Any] | None:
    if type(value) is not dict:
        return None
    return _camel(value) if fmt.camel_case else value


def _camel(value: Any) -> Any:
    if type(value) is dict:
        return {_SNAKE.sub(lambda m: m[1].upper(), str(k)): _camel(v) for k, v in value.items()}
    if type(value) is list:
        return [_camel(item) for item in value]
    return value


def _recognised(fmt: PayloadFormat, value: Any) -> bool:
    usage = _usage_object(fmt, value)
    return usage is not None and not fmt.markers.isdisjoint(usage)


def _find(documents: list[dict[str, Any]]) -> tuple[PayloadFormat, str] | None:
    """The format of the first usage object found, and the payload's shape."""
    for document in documents:
        for fmt in FORMATS:
            if any(_recognised(fmt, _at(document, p)) for p in (*fmt.start_paths, *fmt.usage_paths)):
                return fmt, _STREAM if len(documents) > 1 else _RESPONSE
    if len(documents) == 1:
        return next(((fmt, _USAGE) for fmt in FORMATS if _recognised(fmt, documents[0])), None)
    return None


def _stream_usage(fmt: PayloadFormat, documents: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The last final usage laid over the stream's opening usage; None if no final usage came."""
    usage: dict[str, Any] = {}
    final = False
    for document in documents:
        for path in fmt.start_paths:
            if (opening := _usage_object(fmt, _at(document, path))) is not None:
                usage = dict(opening)
        for path in fmt.usage_paths:
            if (update := _usage_object(fmt, _at(document, path))) is not None:
                usage.update((k, v) for k, v in update.items() if v is not None)
                final = True
    return usage if final else None


def _model(fmt: PayloadFormat, documents: Iterable[dict[str, Any]]) -> str:
    for document in documents:
        for path in fmt.model_paths:
            if type(name := _at(document, path)) is str and name:
                return name
    return ""


@functools.lru_cache(maxsize=1024)  # model names come from the network: bounded
def _extractor(fmt: PayloadFormat, provider: str, model: str) -> tuple[str, UsageExtractor] | None:
    """The extractor for ``fmt`` of the span's provider (else of the model's), else the format's own."""
    providers = get_snapshot().providers
    own = _provider(providers, provider, model)
    reference_id, reference_flavor = fmt.extractor
    reference = find_provider_by_id(providers, reference_id)
    for candidate, flavor in ((own, fmt.flavor), (reference, reference_flavor)):
        if candidate is None or not flavor:
            continue
        for extractor in candidate.extractors or ():
            if extractor.api_flavor == flavor:
                return f"genai-prices:{candidate.id}/{flavor}", extractor
    return None


def _provider(providers: list[Provider], provider: str, model: str) -> Provider | None:
    if provider:
        return find_provider_by_id(providers, PROVIDER_IDS.get(provider, provider))
    ref = model.lower()
    return next((p for p in providers if ref and p.model_match and p.model_match.is_match(ref)), None)


def _canonical(extractor: UsageExtractor, raw: dict[str, Any]) -> dict[str, int] | None:
    root = [extractor.root] if isinstance(extractor.root, str) else list(extractor.root)
    if not all(isinstance(step, str) for step in root):
        return None
    document: Any = raw
    for step in reversed(root):
        document = {step: document}
    try:
        values: dict[str, Any] = dict(extractor.extract(document)[1]._reported_values())
    except ValueError:  # missing required counts, negative or non-finite numbers, wrong types
        return None
    for unit, parts, whole in _ROLLUPS:
        if unit not in values and any(part in values for part in parts):
            values[unit] = sum(values.get(part, 0) for part in parts)
            values[whole] = values.get(whole, 0) + values[unit]
    usage: dict[str, int] = {}
    for key, value in values.items():
        if (usage_type := _CANONICAL.get(key)) is None:
            continue
        if value > _MAX_COUNT or not float(value).is_integer():
            return None
        usage[usage_type] = int(value)
    if not any(key in usage for key in _REQUIRED):
        return None
    # Parts counted zero are left out, as from attributes; input and output stay.
    return {
        usage_type: usage[usage_type]
        for usage_type in USAGE_TYPES
        if usage_type in usage and (usage[usage_type] or usage_type in _REQUIRED)
    }
