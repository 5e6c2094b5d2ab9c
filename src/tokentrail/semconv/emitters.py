"""Emitters whose usage counts mean something other than the attribute names say, as a table.

The GenAI names define ``gen_ai.usage.input_tokens`` as every input token, cached ones included. Some
instrumentations copy a provider's own count into it unchanged, and some providers count cached tokens
apart: the attribute then leaves them out. Others drop counts the provider sent, so the usage on the span
is known to be incomplete and its price too low. Which emitter does what is a fact about that emitter
(its instrumentation scope, the operation, the model family), checked against its source and a real run,
so it lives here as data; :func:`tokentrail.semconv.enrich.enrich` applies it after the convention
tables and the provider payloads have been read.

Sources: PyPI ``opentelemetry-instrumentation-botocore`` 0.66b1, ``extensions/bedrock.py``:
``_converse_on_success`` writes Converse's ``usage.inputTokens`` (which excludes ``cacheReadInputTokens``
and ``cacheWriteInputTokens``, AWS user guide, prompt caching) to ``gen_ai.usage.input_tokens`` beside
the two cache counts; ``_handle_anthropic_claude_response`` writes an InvokeModel Anthropic body's
``usage.input_tokens`` (which excludes ``cache_read_input_tokens`` and ``cache_creation_input_tokens``)
and drops both cache counts. PyPI ``openinference-instrumentation-openai-agents`` 2.6.0,
``_get_attributes_from_chat_completions_usage``: input and output tokens only. PyPI
``opentelemetry-instrumentation-google-genai`` 1.1b1: usage from ``promptTokenCount`` without
``toolUsePromptTokenCount``; google-genai 2.34 ``automatic_function_calling``: the response it returns
carries the last request's usage metadata only.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from tokentrail.model import Span, UsageSource

__all__ = ["INCOMPLETE_USAGE", "USAGE_QUIRKS", "UsageQuirk", "quirk_of", "read_usage_as_meant"]

#: Raw attribute that says why a span's usage is known to be incomplete (kept with the span, shown).
INCOMPLETE_USAGE = "tokentrail.usage_incomplete"


@dataclass(frozen=True, slots=True)
class UsageQuirk:
    """How one emitter's usage must be read, and where that applies."""

    #: Instrumentation scope name, or a prefix of it ending in ``.``.
    scope: str
    #: Versions of the emitter this was checked against (documentation; the quirk applies to all).
    checked: str
    #: Raw attributes that must hold one of these values for the quirk to apply (``rpc.method``).
    when: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: The requested model id must contain one of these (a model family on a multi-vendor API).
    models: tuple[str, ...] = ()
    #: The span must have one of these names.
    names: tuple[str, ...] = ()
    #: The span's provider must be one of these (a scope several instrumentations share).
    providers: tuple[str, ...] = ()
    #: Raw attributes that must be on the span.
    present: tuple[str, ...] = ()
    #: Raw attributes whose text must contain one of these.
    contains: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Usage parts the emitter's input count leaves out: added to input, as the canonical input includes
    #: them, wherever they were found (beside it, or in a payload a hook recorded).
    input_excludes: tuple[str, ...] = ()
    #: Why the usage is known to be incomplete, when the emitter drops counts the provider sent ...
    incomplete: str = ""
    #: ... unless one of these parts is stated after all (a user's hook put it back).
    unless_stated: tuple[str, ...] = ()

    def applies_to(self, span: Span) -> bool:
        if self.names and span.name not in self.names:
            return False
        if self.providers and span.provider not in self.providers:
            return False
        attributes = span.attributes
        if any(name not in attributes for name in self.present):
            return False
        if any(attributes.get(name) not in values for name, values in self.when.items()):
            return False
        for name, needles in self.contains.items():
            text = attributes.get(name, "")
            if not any(needle in text for needle in needles):
                return False
        model = span.request_model or span.response_model
        return not self.models or any(family in model for family in self.models)


_BOTOCORE = "opentelemetry.instrumentation.botocore"
_CACHE = ("cache_read", "cache_write")

USAGE_QUIRKS: tuple[UsageQuirk, ...] = (
    UsageQuirk(
        _BOTOCORE,
        checked="0.66b1",
        when={"rpc.method": frozenset({"Converse", "ConverseStream"})},
        input_excludes=_CACHE,
    ),
    UsageQuirk(
        _BOTOCORE,
        checked="0.66b1",
        when={"rpc.method": frozenset({"InvokeModel", "InvokeModelWithResponseStream"})},
        models=("anthropic.",),
        input_excludes=_CACHE,
        incomplete=(
            "opentelemetry-instrumentation-botocore drops the cache read and cache write counts of an "
            "InvokeModel Anthropic response, and its input leaves cached tokens out: a call that read or "
            "wrote the prompt cache is priced too low. Use Converse, or record the counts in a response hook"
        ),
        unless_stated=_CACHE,
    ),
    UsageQuirk(
        "openinference.instrumentation.google_genai",
        checked="1.4.14",
        # What it flattens from the SDK's automatic_function_calling_history: the loop ran.
        present=("message.tool_calls.0.tool_call.function.name",),
        incomplete=(
            "google-genai's automatic function calling states only the last response's usage, so the "
            "model requests before it are billed but on no span. Disable automatic function calling to "
            "get a span, and a price, per request"
        ),
    ),
    UsageQuirk(
        # opentelemetry-instrumentation-google-genai writes through opentelemetry-util-genai's handler.
        "opentelemetry.util.genai.handler",
        checked="1.1b1",
        providers=("gcp.gemini", "gcp.vertex_ai"),
        contains={"gen_ai.tool.definitions": ('"code_execution"', '"google_search', '"url_context"')},
        incomplete=(
            "opentelemetry-instrumentation-google-genai leaves out toolUsePromptTokenCount, the prompt of "
            "a built-in tool (code execution, Google Search, URL context), which Gemini bills as input: "
            "the price is too low"
        ),
    ),
    UsageQuirk(
        "openinference.instrumentation.openai_agents",
        checked="2.6.0",
        names=("generation",),  # the Chat Completions model's span; the Responses model's is "response"
        incomplete=(
            "openinference-instrumentation-openai-agents drops the cache and reasoning breakdown of Chat "
            "Completions calls, so cached input is priced at the full input rate. Instrument the openai "
            "client too: its span is then counted instead"
        ),
        unless_stated=("cache_read", "reasoning"),
    ),
)

_BY_SCOPE: dict[str, tuple[UsageQuirk, ...]] = {}
for _quirk in USAGE_QUIRKS:
    _BY_SCOPE[_quirk.scope.rstrip(".")] = (*_BY_SCOPE.get(_quirk.scope.rstrip("."), ()), _quirk)


def quirk_of(span: Span) -> UsageQuirk | None:
    """The quirk of the span's emitter that applies to it, if any."""
    quirks = _quirks_of_scope(span.scope)
    return next((quirk for quirk in quirks if quirk.applies_to(span)), None) if quirks else None


@functools.lru_cache(maxsize=1024)  # scope names come from the network: bounded
def _quirks_of_scope(scope: str) -> tuple[UsageQuirk, ...]:
    # botocore names a tracer per service ("...botocore.bedrock-runtime"); older versions one for all.
    while scope:
        quirks = _BY_SCOPE.get(scope)
        if quirks is not None:
            return quirks
        scope = scope.rpartition(".")[0]
    return ()


def read_usage_as_meant(span: Span, quirk: UsageQuirk) -> None:
    """Correct ``span.usage`` for what ``quirk`` says its counts mean, and mark it when known incomplete.

    The input is corrected only where an attribute stated it: input read from a provider payload is
    whole already.
    """
    usage = span.usage
    if not usage:
        return
    excluded = sum(usage.get(part, 0) for part in quirk.input_excludes)
    if excluded and span.usage_source.get("input") == UsageSource.ATTRIBUTE.value:
        span.usage = {**usage, "input": usage.get("input", 0) + excluded}
        span.usage_source = {**span.usage_source, "input": UsageSource.DERIVED.value}
    if quirk.incomplete and not any(part in usage for part in quirk.unless_stated):
        span.attributes[INCOMPLETE_USAGE] = quirk.incomplete
