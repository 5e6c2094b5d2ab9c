"""What a span's attributes left out, read from the provider payload it carries.

Runs after :func:`tokentrail.semconv.normalize` and before pricing. An LLM span whose instrumentation
recorded the provider's raw response (or its usage object) but no usage attributes gets its usage from
that payload (:mod:`.payloads`), marked ``usage_source = "payload"`` with the parser that read it.

A span whose attributes state usage but leave parts out (LiteLLM's and Bedrock's input and output only,
MLflow's token usage without reasoning) has those parts filled in from the payload, each marked
``payload``: the cache reads and writes inside input, the reasoning inside output. A part is taken only
when it fits inside the whole the attributes state (or when the span's emitter is known to leave it out of
that whole), so a payload describing something else cannot add tokens that were never billed; what the
attributes state is never replaced.

Last, what the span's emitter means by its counts (:mod:`.emitters`) is applied: an input that leaves
cached tokens out is made whole, usage known to be incomplete is said so on the span.

A span with no response id gets the one the provider wrote in its response, so that two layers reporting
one call can be recognised as one (:mod:`tokentrail.analysis.calls`). Nothing is ever estimated from text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tokentrail.model import PRICED_BY_USAGE, USAGE_TYPES, Span, SpanKind, UsageSource
from tokentrail.semconv.common import USAGE_PARTS
from tokentrail.semconv.emitters import quirk_of, read_usage_as_meant
from tokentrail.semconv.litellm import RAW_USAGE
from tokentrail.semconv.payloads import PayloadUsage, may_state_parts, usage_from_payload

__all__ = ["PAYLOAD_ATTRIBUTES", "RESPONSE_ID", "enrich"]

#: Raw attributes that hold a provider response or usage object, read after the span's output, each with
#: the provider whose wire shape it is in ("" for the span's own provider): Logfire's ``gen_ai.usage.raw``
#: (the usage object) and ``response_data`` (message and usage); LiteLLM's ``metadata.usage_object``, its
#: usage as a Python ``str(dict)`` in OpenAI's shape whatever the provider (cache writes in
#: ``prompt_tokens_details.cache_write_tokens``).
PAYLOAD_ATTRIBUTES: Mapping[str, str] = {
    "gen_ai.usage.raw": "",
    "response_data": "",
    "metadata.usage_object": "openai",
    # The Vercel AI SDK's provider metadata: Anthropic's usage with its cache writes split by lifetime.
    "ai.response.providerMetadata": "",
    # LiteLLM's raw_gen_ai_request span: the provider's own usage.
    **RAW_USAGE,
}

_PAYLOAD_NAMES = frozenset(PAYLOAD_ATTRIBUTES)

#: A provider response id inside a payload: OpenAI Chat Completions (``chatcmpl-``), Completions
#: (``cmpl-``), Responses (``resp_``), Anthropic Messages (``msg_``). Tool-call ids (``call_``,
#: ``toolu_``) and framework ids (LangChain's ``run-``) do not match. The first one in the payload is
#: the response's own: providers write it first, and wrappers (LangChain's ``response_metadata``) keep it.
RESPONSE_ID = re.compile(r'"id"\s*:\s*"((?:chatcmpl-|cmpl-|resp_|msg_)[A-Za-z0-9_-]{6,})"')

_PAYLOAD_SOURCE = UsageSource.PAYLOAD.value
_USAGE_PARTS = frozenset(USAGE_PARTS)


def enrich(span: Span) -> None:
    """Fill in usage (or the parts of it the attributes lack) and the response id from the span's
    payloads, then apply what its emitter's counts mean."""
    if span.kind not in PRICED_BY_USAGE and not (span.kind is SpanKind.OTHER and span.model):
        return
    if not span.response_id and '"id"' in span.output:
        match = RESPONSE_ID.search(span.output)
        if match is not None:
            span.response_id = match[1]
    quirk = quirk_of(span) if span.scope else None
    _read_payloads(span, quirk.input_excludes if quirk is not None else ())
    if quirk is not None:
        read_usage_as_meant(span, quirk)


def _read_payloads(span: Span, outside_input: tuple[str, ...]) -> None:
    attributes = span.attributes
    payloads = [(span.output, "")]
    if not _PAYLOAD_NAMES.isdisjoint(attributes):
        payloads += ((attributes.get(name, ""), shape) for name, shape in PAYLOAD_ATTRIBUTES.items())
    lacking = _USAGE_PARTS.difference(span.usage) if span.usage else None
    for payload, shape in payloads:
        if not payload or (lacking is not None and not may_state_parts(payload, lacking)):
            continue
        found = usage_from_payload(payload, provider=shape or span.provider, model=span.model)
        if found is None:
            continue
        if span.usage:
            _fill_in(span, found, outside_input)
            return
        span.usage = found.usage
        span.usage_source = dict.fromkeys(found.usage, _PAYLOAD_SOURCE)
        span.usage_parser = found.parser
        if not span.provider and shape:
            span.provider = shape
        if not span.response_model and found.model:
            span.response_model = found.model
        if span.kind is SpanKind.OTHER:
            span.kind = SpanKind.LLM  # a model and a provider's usage: it was a model call
        return


def _fill_in(span: Span, found: PayloadUsage, outside_input: tuple[str, ...]) -> None:
    """Add the parts of ``found`` the span's usage lacks, where each fits inside its stated whole (or lies
    outside the stated input, for an emitter whose input leaves those parts out)."""
    usage = dict(span.usage)
    added = []
    for usage_type, count in found.usage.items():  # wholes before their parts (USAGE_TYPES order)
        if usage_type in usage:
            continue
        whole = USAGE_PARTS.get(usage_type)
        if whole is not None and count > usage.get(whole, 0) and usage_type not in outside_input:
            continue  # more cached than input stated: the payload does not describe these counts
        usage[usage_type] = count
        added.append(usage_type)
    if not added:
        return
    span.usage = {usage_type: usage[usage_type] for usage_type in USAGE_TYPES if usage_type in usage}
    span.usage_source = {**span.usage_source, **dict.fromkeys(added, _PAYLOAD_SOURCE)}
    span.usage_parser = found.parser
