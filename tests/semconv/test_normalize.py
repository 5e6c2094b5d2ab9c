"""The normalization engine: identity, precedence between conventions, coercion, payload caps, errors."""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from raw_spans import normalized, raw_span
from tokentrail.model import AttributeValue, RawEvent, SpanKind, Status
from tokentrail.semconv import PRECEDENCE, normalize

DOCS = Path(__file__).resolve().parents[2] / "docs" / "conventions.md"


# -- identity ---------------------------------------------------------------------------------------------


def test_ids_times_name_and_scope_are_copied_and_project_is_the_argument() -> None:
    raw = raw_span(name="chat gpt-4o", scope_name="opentelemetry.instrumentation.openai")
    span = normalize(raw, project="shop")
    assert span.project == "shop"
    assert (span.trace_id, span.span_id, span.parent_span_id) == (
        raw.trace_id,
        raw.span_id,
        raw.parent_span_id,
    )
    assert (span.name, span.start_ns, span.end_ns, span.scope) == (
        "chat gpt-4o",
        raw.start_ns,
        raw.end_ns,
        "opentelemetry.instrumentation.openai",
    )


def test_an_empty_span_is_an_unset_other_span() -> None:
    span = normalized()
    assert (span.kind, span.status) == (SpanKind.OTHER, Status.UNSET)
    assert (span.usage, span.reported_cost, span.attributes, span.events) == ({}, {}, {}, "")


def test_service_name_comes_from_the_resource_and_the_rest_is_kept_as_strings() -> None:
    span = normalized(
        resource={"service.name": "support-agent", "deployment.environment": "prod", "process.pid": 4242}
    )
    assert span.service == "support-agent"
    assert span.resource == {"deployment.environment": "prod", "process.pid": "4242"}


# -- raw attributes ---------------------------------------------------------------------------------------


def test_unclaimed_attributes_are_kept_as_strings_with_compact_json() -> None:
    span = normalized(
        {
            "app.flag": True,
            "app.count": 3,
            "app.ratio": 0.5,
            "app.list": ["a", 1],
            "app.map": {"k": "v"},
            "app.text": "héllo",
            "app.bytes": b"\x00\x01",
        }
    )
    assert span.attributes == {
        "app.flag": "true",
        "app.count": "3",
        "app.ratio": "0.5",
        "app.list": '["a",1]',
        "app.map": '{"k":"v"}',
        "app.text": "héllo",
        "app.bytes": "AAE=",
    }


def test_claimed_attributes_are_not_duplicated() -> None:
    span = normalized({"gen_ai.request.model": "gpt-4o", "session.id": "s1", "custom": "x"})
    assert span.attributes == {"custom": "x"}


# -- precedence -------------------------------------------------------------------------------------------


def test_precedence_is_ours_then_vendor_sdks_then_instrumentations_then_genai_then_otel() -> None:
    assert [convention.name for convention in PRECEDENCE] == [
        "tokentrail",
        "langfuse",
        "langsmith",
        "openinference",
        "openllmetry",
        "litellm",
        "vercel ai",
        "mlflow",
        "gen_ai",
        "gen_ai (deprecated)",
        "langfuse metadata",
        "logfire",
        "otel",
    ]


def test_openinference_wins_over_genai_on_the_same_span_per_target() -> None:
    span = normalized(
        {
            "gen_ai.usage.input_tokens": 120,
            "gen_ai.usage.output_tokens": 9,
            "gen_ai.usage.cache_read.input_tokens": 100,
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.response.model": "gpt-4o-2024-05-13",
            "gen_ai.provider.name": "azure.ai.openai",
            "gen_ai.conversation.id": "genai-conv",
            "gen_ai.operation.name": "embeddings",
            "llm.token_count.prompt": 100,
            "llm.token_count.completion": 10,
            "llm.model_name": "gpt-4o-2024-08-06",
            "llm.provider": "openai",
            "session.id": "oi-session",
            "openinference.span.kind": "LLM",
        }
    )
    assert span.usage == {"input": 100, "output": 10, "cache_read": 100}  # cache_read only GenAI states
    assert (span.request_model, span.response_model) == ("gpt-4o", "gpt-4o-2024-08-06")
    assert span.provider == "openai"
    assert span.session_id == "oi-session"
    assert span.kind is SpanKind.LLM


def test_tokentrail_attributes_win_over_every_convention() -> None:
    span = normalized(
        {
            "session.id": "oi",
            "gen_ai.conversation.id": "genai",
            "tokentrail.session.id": "ours",
            "user.id": "oi-user",
            "tokentrail.user.id": "our-user",
            "tokentrail.trace.name": "checkout",
        }
    )
    assert (span.session_id, span.user_id, span.trace_name) == ("ours", "our-user", "checkout")


def test_an_invalid_value_does_not_block_a_lower_ranked_valid_one() -> None:
    span = normalized({"llm.token_count.prompt": "lots", "gen_ai.usage.input_tokens": 12})
    assert span.usage == {"input": 12}
    assert span.attributes == {"llm.token_count.prompt": "lots"}


def test_every_attribute_is_claimed_by_one_rule_only() -> None:
    names = [rule.attribute for convention in PRECEDENCE for rule in convention.rules]
    assert len(names) == len(set(names))


# -- usage coercion ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(42, 42), ("42", 42), (" 42 ", 42), (42.0, 42), ("42.0", 42), (0, 0), ("1e3", 1000)],
)
def test_numeric_strings_and_whole_floats_are_token_counts(value: AttributeValue, expected: int) -> None:
    span = normalized({"gen_ai.usage.input_tokens": value})
    assert span.usage == {"input": expected}
    assert span.usage_source == {"input": "attribute"}


@pytest.mark.parametrize("value", [-1, "-5", 1.5, "abc", "", True, None, [1], float("nan"), float("inf")])
def test_garbage_token_counts_are_ignored_and_keptraw_span(value: AttributeValue) -> None:
    span = normalized({"gen_ai.usage.input_tokens": value})
    assert span.usage == {}
    assert "gen_ai.usage.input_tokens" in span.attributes


@pytest.mark.parametrize("value", [-0.5, "free", "NaN", None, False])
def test_garbage_costs_are_ignored_and_keptraw_span(value: AttributeValue) -> None:
    span = normalized({"llm.cost.total": value})
    assert span.reported_cost == {}
    assert "llm.cost.total" in span.attributes


# -- custom costs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("attribute", ["tokentrail.cost.usd", "tool.cost_usd"])
def test_custom_cost_on_a_tool_span_is_keyed_by_kind(attribute: str) -> None:
    span = normalized({"openinference.span.kind": "TOOL", "tool.name": "web_search", attribute: "0.005"})
    assert span.reported_cost == {"tool": Decimal("0.005")}
    assert attribute not in span.attributes


def test_custom_cost_on_a_retrieval_span_is_keyed_retrieval() -> None:
    span = normalized({"gen_ai.operation.name": "retrieval", "tokentrail.cost.usd": 0.002})
    assert span.reported_cost == {"retrieval": Decimal("0.002")}


def test_custom_cost_on_an_llm_span_is_its_total_and_outranks_the_conventions() -> None:
    span = normalized({"openinference.span.kind": "LLM", "llm.cost.total": 0.5, "tokentrail.cost.usd": 0.4})
    assert span.reported_cost == {"total": Decimal("0.4")}


def test_openinference_total_outranks_the_tool_cost_usd_name_on_an_llm_span() -> None:
    span = normalized({"openinference.span.kind": "LLM", "llm.cost.total": 0.5, "tool.cost_usd": 0.4})
    assert span.reported_cost == {"total": Decimal("0.5")}


# -- http and db kinds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "value", "kind"),
    [
        ("http.request.method", "GET", SpanKind.HTTP),
        ("http.method", "POST", SpanKind.HTTP),
        ("db.system.name", "postgresql", SpanKind.DB),
        ("db.system", "clickhouse", SpanKind.DB),
    ],
)
def test_http_and_db_spans_are_recognised_and_keep_their_attribute(
    attribute: str, value: str, kind: SpanKind
) -> None:
    span = normalized({attribute: value})
    assert span.kind is kind
    assert span.attributes == {attribute: value}


def test_llm_conventions_outrank_an_http_method() -> None:
    span = normalized(
        {"http.request.method": "POST", "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 1}
    )
    assert span.kind is SpanKind.LLM


# -- payloads ---------------------------------------------------------------------------------------------


def test_payload_over_the_cap_is_truncated_with_a_marker() -> None:
    span = normalize(
        raw_span({"input.value": "x" * 150, "output.value": "y" * 100}), project="p", max_payload_chars=100
    )
    assert span.input == "x" * 100 + "…[truncated 50 chars]"
    assert span.output == "y" * 100


def test_long_raw_attributes_are_truncated_too() -> None:
    span = normalize(
        raw_span({"app.blob": "z" * 30, "app.list": list(range(20))}), project="p", max_payload_chars=10
    )
    assert span.attributes["app.blob"] == "z" * 10 + "…[truncated 20 chars]"
    assert re.fullmatch(r"\[0,1,2,3,4…\[truncated \d+ chars\]", span.attributes["app.list"])


# -- events and errors ------------------------------------------------------------------------------------


def _exception(time_ns: int, kind: str, message: str, stack: str = "") -> RawEvent:
    attributes: dict[str, AttributeValue] = {"exception.type": kind, "exception.message": message}
    if stack:
        attributes["exception.stacktrace"] = stack
    return RawEvent("exception", time_ns, attributes)


def test_events_are_a_json_list() -> None:
    events = [RawEvent("gen_ai.choice", 5, {"index": 0, "finish_reason": "stop"})]
    span = normalized(events=events)
    assert json.loads(span.events) == [
        {"name": "gen_ai.choice", "time_ns": 5, "attributes": {"index": 0, "finish_reason": "stop"}}
    ]


def test_exception_event_makes_an_unset_span_an_error() -> None:
    stack = 'Traceback (most recent call last):\n  File "agent.py", line 88\nTimeoutError: no answer'
    span = normalized(events=[_exception(7, "TimeoutError", "invoice service did not answer", stack)])
    assert span.status is Status.ERROR
    assert (span.error_type, span.error_message, span.error_stack) == (
        "TimeoutError",
        "invoice service did not answer",
        stack,
    )
    assert json.loads(span.events)[0]["name"] == "exception"


def test_the_last_exception_event_is_the_error() -> None:
    events = [_exception(1, "RateLimitError", "429"), _exception(2, "APITimeoutError", "timed out")]
    span = normalized(events=events, status_code=2, status_message="APITimeoutError: timed out")
    assert (span.error_type, span.error_message) == ("APITimeoutError", "timed out")


def test_error_status_without_an_exception_uses_the_status_message() -> None:
    span = normalized({"error.type": "500"}, status_code=2, status_message="upstream failed")
    assert span.status is Status.ERROR
    assert (span.error_type, span.error_message) == ("500", "upstream failed")


def test_error_type_attribute_alone_marks_an_unset_span_as_an_error() -> None:
    span = normalized({"error.type": "timeout"})
    assert (span.status, span.error_type) == (Status.ERROR, "timeout")


def test_an_ok_span_with_a_handled_exception_stays_ok() -> None:
    span = normalized(events=[_exception(1, "KeyError", "cache miss")], status_code=1)
    assert span.status is Status.OK
    assert (span.error_type, span.error_message) == ("", "")


# -- purity, robustness, docs -----------------------------------------------------------------------------


def test_normalize_does_not_mutate_its_input() -> None:
    raw = raw_span(
        {"llm.input_messages.0.message.content": "hi", "tag.tags": ["a"], "metadata": {"k": 1}},
        resource={"service.name": "svc"},
        events=[_exception(1, "E", "m")],
    )
    before = copy.deepcopy(raw)
    normalize(raw, project="p")
    assert raw == before


#: JSON nested deeper than the standard library's decoder recurses (about 1000 levels): 2,000 characters,
#: far under the payload cap, that any client can send.
DEEPLY_NESTED = "[" * 2000


@pytest.mark.parametrize(
    "attributes",
    [
        pytest.param({"tag.tags": DEEPLY_NESTED}, id="tags"),
        pytest.param({"metadata": '{"a":' * 2000}, id="metadata"),
        pytest.param({"langfuse.observation.usage_details": DEEPLY_NESTED}, id="object"),
        pytest.param({"gen_ai.completion": '{"usage_metadata": ' + DEEPLY_NESTED}, id="payload-fields"),
        pytest.param(
            {"gen_ai.system_instructions": DEEPLY_NESTED, "gen_ai.input.messages": "[]"},
            id="system-instructions",
        ),
    ],
)
def test_deeply_nested_json_in_an_attribute_is_kept_not_raised(attributes: dict[str, AttributeValue]) -> None:
    # normalize is total: a value it cannot read is kept, whatever it is. The JSON readers catch
    # ValueError only; json.loads raises RecursionError on deep nesting, which escapes normalize and
    # fails the whole OTLP request the span came in.
    span = normalized(attributes)
    name, value = next(iter(attributes.items()))  # the deep one (messages beside it are merged with it)
    kept = (span.attributes.get(name), span.input, span.output, *span.tags)
    assert any(isinstance(text, str) and str(value) in text for text in kept), name


def test_deeply_nested_json_in_a_message_event_is_kept_not_raised() -> None:
    event = RawEvent("gen_ai.user.message", 1, {"gen_ai.event.content": DEEPLY_NESTED})
    span = normalized(events=[event])
    assert json.loads(span.input) == [{"content": DEEPLY_NESTED, "role": "user"}]


@pytest.mark.parametrize("prefix", ["llm.input_messages.0.message.", "gen_ai.prompt.0."])
def test_a_flattened_name_nested_deeper_than_python_recurses_is_kept_not_raised(prefix: str) -> None:
    # Rebuilding a flattened list recurses once per path segment (listify, then the JSON encoder).
    name = prefix + ".".join(["part"] * 1200)
    span = normalized({name: "x"})
    assert span.attributes.get(name) == "x" or "x" in span.input


# A fixed alphabet: arbitrary text would make hypothesis build its unicode tables on a fresh checkout.
short_text = st.text(alphabet='ab1-.e[]{}":é…', max_size=20)
attribute_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | short_text | st.binary(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(short_text, children, max_size=3),
    max_leaves=6,
)
claimed_names = st.sampled_from(
    [rule.attribute for convention in PRECEDENCE for rule in convention.rules]
    + ["llm.input_messages.0.message.content", "llm.output_messages.x.message", "llm.input_messages."]
)


@given(st.dictionaries(claimed_names, attribute_values, max_size=8))
def test_any_value_under_any_claimed_name_normalizes_without_raising(
    attributes: dict[str, AttributeValue],
) -> None:
    span = normalized(attributes)
    assert all(isinstance(value, str) for value in span.attributes.values())
    assert all(isinstance(count, int) and count >= 0 for count in span.usage.values())


def _headed_sections(text: str) -> list[tuple[str, str]]:
    """The page as (heading line, text up to the next heading) pairs."""
    sections: list[tuple[str, str]] = []
    for block in re.split(r"^(?=#{2,6} )", text, flags=re.MULTILINE):
        heading, _, body = block.partition("\n")
        sections.append((heading, body))
    return sections


def test_every_attribute_read_is_documented() -> None:
    documented = DOCS.read_text(encoding="utf-8")
    sections = _headed_sections(documented)
    rules = [rule for convention in PRECEDENCE for rule in convention.rules]
    families = [family for convention in PRECEDENCE for family in convention.families]
    names = [rule.attribute for rule in rules] + [family.prefix for family in families]
    # A map family's keys by their full attribute names; every event by its name.
    names += [family.prefix + key.attribute for family in families for key in family.keys]
    names += [event.name for convention in PRECEDENCE for event in convention.events]
    missing = [name for name in names if f"`{name}" not in documented]
    # An object's fields (and a payload's) in a table under a heading that names the attribute.
    for rule in rules:
        if not rule.fields:
            continue
        bodies = [body for heading, body in sections if f"`{rule.attribute}`" in heading]
        if not bodies:
            missing.append(f"a heading naming `{rule.attribute}`")
            continue
        missing += [
            f"{rule.attribute}: `{field.attribute}`"
            for field in rule.fields
            if not any(f"`{field.attribute}`" in body for body in bodies)
        ]
    assert missing == []
