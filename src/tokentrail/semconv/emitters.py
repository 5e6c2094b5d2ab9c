"""Emitters whose usage counts mean something other than the attribute names say, as a table.

The GenAI names define ``gen_ai.usage.input_tokens`` as every input token, cached ones included. Some
instrumentations copy a provider's own count into it unchanged, and some providers count cached tokens
apart: the attribute then leaves them out. Others drop counts the provider sent, so the usage on the span
is known to be incomplete and its price too low. Which emitter does what is a fact about that emitter
(its instrumentation scope, the operation, the model family), checked against its source and a real run,
so it lives here as data; :func:`read_usage_as_meant` applies it after the convention tables.

Sources: PyPI ``opentelemetry-instrumentation-botocore`` 0.66b1, ``extensions/bedrock.py``:
``_converse_on_success`` writes Converse's ``usage.inputTokens`` (which excludes ``cacheReadInputTokens``
and ``cacheWriteInputTokens``, AWS user guide, prompt caching) to ``gen_ai.usage.input_tokens`` beside
the two cache counts; ``_handle_anthropic_claude_response`` writes an InvokeModel Anthropic body's
``usage.input_tokens`` (which excludes ``cache_read_input_tokens`` and ``cache_creation_input_tokens``)
and drops both cache counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tokentrail.model import AttributeValue, Span, UsageSource

__all__ = ["INCOMPLETE_USAGE", "USAGE_QUIRKS", "UsageQuirk", "read_usage_as_meant"]

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
    #: Usage parts the emitter's input count leaves out: added to input, as the canonical input includes them.
    input_excludes: tuple[str, ...] = ()
    #: Why the usage is known to be incomplete, when the emitter drops counts the provider sent.
    incomplete: str = ""


_BOTOCORE = "opentelemetry.instrumentation.botocore"

USAGE_QUIRKS: tuple[UsageQuirk, ...] = (
    UsageQuirk(
        _BOTOCORE,
        checked="0.66b1",
        when={"rpc.method": frozenset({"Converse", "ConverseStream"})},
        input_excludes=("cache_read", "cache_write"),
    ),
    UsageQuirk(
        _BOTOCORE,
        checked="0.66b1",
        when={"rpc.method": frozenset({"InvokeModel", "InvokeModelWithResponseStream"})},
        models=("anthropic.",),
        incomplete=(
            "opentelemetry-instrumentation-botocore drops the cache read and cache write counts of an "
            "InvokeModel Anthropic response: its input leaves out any cached tokens, so the price is too "
            "low for a call that read or wrote the prompt cache; use Converse, or an instrumentation that "
            "records them"
        ),
    ),
)

_BY_SCOPE: dict[str, tuple[UsageQuirk, ...]] = {}
for _quirk in USAGE_QUIRKS:
    _BY_SCOPE[_quirk.scope.rstrip(".")] = (*_BY_SCOPE.get(_quirk.scope.rstrip("."), ()), _quirk)


def _quirks_of(scope: str) -> tuple[UsageQuirk, ...]:
    # botocore names a tracer per service ("...botocore.bedrock-runtime"); older versions one for all.
    while scope:
        found = _BY_SCOPE.get(scope)
        if found is not None:
            return found
        scope = scope.rpartition(".")[0]
    return ()


def read_usage_as_meant(span: Span, attributes: Mapping[str, AttributeValue]) -> None:
    """Correct ``span.usage`` for what its emitter's counts mean, and mark it when known incomplete.

    ``attributes`` are the span's raw attributes (the ``when`` conditions are read there).
    """
    if not span.scope or not span.usage:
        return
    quirks = _quirks_of(span.scope)
    if not quirks:
        return
    model = span.request_model or span.response_model
    for quirk in quirks:
        if any(attributes.get(name) not in values for name, values in quirk.when.items()):
            continue
        if quirk.models and not any(family in model for family in quirk.models):
            continue
        excluded = sum(span.usage.get(part, 0) for part in quirk.input_excludes)
        if excluded:
            span.usage = {**span.usage, "input": span.usage.get("input", 0) + excluded}
            span.usage_source = {**span.usage_source, "input": UsageSource.DERIVED.value}
        if quirk.incomplete:
            span.attributes[INCOMPLETE_USAGE] = quirk.incomplete
