"""MLflow tracing's span attributes (``mlflow.*``), as a table.

Every ``mlflow.*`` value is JSON-encoded (``mlflow.spanType`` arrives as ``"\\"LLM\\""``), so each row
reads its value as JSON. ``mlflow.chat.tokenUsage`` is a JSON object whose ``input_tokens`` already
includes cached tokens: MLflow's autologgers add Anthropic's cache reads and writes into it. Session and
user ids are the plain OpenTelemetry ``session.id`` / ``user.id`` on the root span (read by the
OpenInference table). With ``MLFLOW_ENABLE_OTEL_GENAI_SEMCONV=true`` MLflow exports GenAI names instead,
read by :data:`tokentrail.semconv.genai.GENAI`.

Sources: PyPI ``mlflow-tracing`` 3.17.2 ``mlflow/tracing/constant.py`` (``SpanAttributeKey``,
``TokenUsageKey``, ``CostKey``), ``mlflow/entities/span.py`` (``SpanType``), ``mlflow/anthropic/autolog.py``
(input normalized to include the cache).
"""

from __future__ import annotations

from collections.abc import Mapping

from tokentrail.semconv.common import Convention, Encoding, Rule, Target
from tokentrail.semconv.providers import PROVIDER_ALIASES
from tokentrail.semconv.values import OTHER_VALUES

__all__ = ["MESSAGE_FORMAT_PROVIDERS", "MLFLOW", "SPAN_TYPES"]

#: ``mlflow.spanType`` -> span kind.
SPAN_TYPES: Mapping[str, str] = {
    "LLM": "llm",
    "CHAT_MODEL": "llm",
    "EMBEDDING": "embedding",
    "RERANKER": "rerank",
    "RETRIEVER": "retrieval",
    "TOOL": "tool",
    "AGENT": "agent",
    "CHAIN": "chain",
    "PARSER": "chain",
    "WORKFLOW": "chain",
    "TASK": "chain",
    "MEMORY": "db",
    "GUARDRAIL": "guardrail",
    "EVALUATOR": "evaluator",
    "UNKNOWN": "other",
}

#: ``mlflow.message.format`` -> provider: the autologgers of provider SDKs name their SDK; a framework's
#: format (``langchain``, ``dspy``, ...) names no provider, nor does any format not listed.
MESSAGE_FORMAT_PROVIDERS: Mapping[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "gcp.gemini",
    "mistral": "mistral_ai",
    "groq": "groq",
    "bedrock": "aws.bedrock",
    OTHER_VALUES: "",
}

MLFLOW = Convention(
    "mlflow",
    (
        Rule("mlflow.spanType", Target.KIND, values=SPAN_TYPES, encoding=Encoding.JSON),
        Rule("mlflow.llm.provider", Target.PROVIDER, values=PROVIDER_ALIASES, encoding=Encoding.JSON),
        Rule(
            "mlflow.message.format", Target.PROVIDER, values=MESSAGE_FORMAT_PROVIDERS, encoding=Encoding.JSON
        ),
        # The model the response names, else the requested one (set_span_model_attribute).
        Rule("mlflow.llm.model", Target.RESPONSE_MODEL, encoding=Encoding.JSON),
        Rule(
            "mlflow.chat.tokenUsage",
            Target.OBJECT,
            encoding=Encoding.JSON,
            fields=(
                Rule("input_tokens", Target.USAGE, key="input"),
                Rule("output_tokens", Target.USAGE, key="output"),
                Rule("cache_read_input_tokens", Target.USAGE, key="cache_read"),
                Rule("cache_creation_input_tokens", Target.USAGE, key="cache_write"),
                Rule("cache_creation_input_tokens_above_1hr", Target.USAGE, key="cache_write_1h"),
            ),
        ),
        Rule(
            "mlflow.llm.cost",
            Target.OBJECT,
            encoding=Encoding.JSON,
            fields=(
                Rule("total_cost", Target.COST, key="total"),
                Rule("input_cost", Target.COST, key="input"),
                Rule("output_cost", Target.COST, key="output"),
            ),
        ),
        # An autologger's inputs are the SDK call's arguments: their "model" is the requested one.
        Rule(
            "mlflow.spanInputs",
            Target.INPUT,
            encoding=Encoding.JSON,
            fields=(Rule("model", Target.REQUEST_MODEL),),
        ),
        Rule("mlflow.spanOutputs", Target.OUTPUT, encoding=Encoding.JSON),
    ),
)
