"""LiteLLM's OpenTelemetry callback (``callbacks=["otel"]``), beside the GenAI names it writes, as a table.

The call's span (``litellm_request``, or the application's own span without
``USE_OTEL_LITELLM_REQUEST_SPAN``) states input, output and total tokens only, in GenAI names; its
``metadata.usage_object`` (read by :mod:`.enrich`) has the breakdown. Below it, while message content is
captured, a ``raw_gen_ai_request`` span holds the provider's own request and response as
``llm.<provider>.<key>``: the response's model, and its usage object in the provider's own shape as a
Python ``str(dict)``. That span is the call as the provider answered it, so it is read as one: the model
here, the usage as a payload (:data:`RAW_USAGE`), and the call's span above it is recognised as a second
layer of the same call (:mod:`tokentrail.analysis.calls`). Without request spans, two calls under one
application span leave only the last call's attributes there, and a span that ended before LiteLLM logged
the call none; the raw spans still count every call once.

Sources: PyPI ``litellm`` 1.110.2 ``litellm/integrations/opentelemetry.py`` (``set_attributes``,
``set_raw_request_attributes``: ``llm.{custom_llm_provider}.{key}`` for every key of the request body,
then of the response).
"""

from __future__ import annotations

from collections.abc import Mapping

from tokentrail.semconv.common import Convention, Rule, Target

__all__ = ["LITELLM", "RAW_USAGE"]

#: LiteLLM's provider name -> (the response's model key, its usage key, the provider's OTel name). The
#: usage object is in that provider's wire shape.
_RAW: Mapping[str, tuple[str, str, str]] = {
    "openai": ("model", "usage", "openai"),
    "azure": ("model", "usage", "azure.ai.openai"),
    "anthropic": ("model", "usage", "anthropic"),
    "bedrock": ("model", "usage", "aws.bedrock"),
    "gemini": ("modelVersion", "usageMetadata", "gcp.gemini"),
    "vertex_ai": ("modelVersion", "usageMetadata", "gcp.vertex_ai"),
    "mistral": ("model", "usage", "mistral_ai"),
    "groq": ("model", "usage", "groq"),
    "deepseek": ("model", "usage", "deepseek"),
    "xai": ("model", "usage", "x_ai"),
}

#: Raw attribute holding the provider's usage on a ``raw_gen_ai_request`` span -> that provider.
RAW_USAGE: Mapping[str, str] = {
    f"llm.{name}.{usage}": provider for name, (_, usage, provider) in _RAW.items()
}

LITELLM = Convention(
    "litellm",
    tuple(Rule(f"llm.{name}.{model}", Target.RESPONSE_MODEL) for name, (model, _, _) in _RAW.items()),
)
