"""Attributing one call's prompt tokens to their sources: the messages counted by source, made to add up to
the tokens the provider reported, history told apart from the turn's new content."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tiktoken_reference import reference_count
from tokentrail.pricing.prompt import MAX_COUNTED_CHARS, UNATTRIBUTED, attribute, largest_remainder
from tokentrail.pricing.tokenizers import CHARS, TokenCounter, counter_for

GPT = counter_for("gpt-4o", None)
BY_CHARS = TokenCounter(CHARS, len)
RESULT = "Paris: sunny, 24 C, light wind from the west."


def _prompt(messages: list[dict[str, Any]]) -> str:
    return json.dumps(messages)


def test_a_tool_result_is_its_tool_s_by_the_id_of_the_call_that_asked_for_it():
    call = {"id": "call_7", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    prompt = _prompt(
        [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_7", "content": RESULT},
        ]
    )

    found = attribute(prompt, 1000, GPT)

    assert found is not None
    assert found.sources == {
        "user": reference_count("Weather?"),
        "assistant": reference_count("get_weather{}"),
        "tool:get_weather": reference_count(RESULT),
        UNATTRIBUTED: 1000 - sum(map(reference_count, ("Weather?", "get_weather{}", RESULT))),
    }
    # The question and the call are history; the result answering the last call is new.
    assert found.history == reference_count("Weather?") + reference_count("get_weather{}")
    assert found.method == "tokenizer:o200k_base"


def test_a_tool_result_without_a_known_call_goes_by_its_own_name_else_unknown():
    prompt = _prompt(
        [{"role": "tool", "name": "lookup", "content": RESULT}, {"role": "tool", "content": RESULT}]
    )

    found = attribute(prompt, 10_000, GPT)

    assert found is not None and found.sources["tool:lookup"] == found.sources["tool:unknown"] > 0


def test_anthropic_tool_use_and_tool_result_blocks_name_their_tool():
    prompt = _prompt(
        [
            {"role": "user", "content": "Weather in Lisbon?"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"c": 1}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": RESULT}],
            },
        ]
    )

    found = attribute(prompt, 500, BY_CHARS)

    assert found is not None
    assert set(found.sources) == {"user", "assistant", "tool:get_weather"}


def test_in_characters_the_reported_tokens_are_shared_in_proportion_with_nothing_unattributed():
    prompt = _prompt([{"role": "system", "content": "a" * 30}, {"role": "user", "content": "b" * 70}])

    found = attribute(prompt, 7, BY_CHARS)

    assert found is not None
    assert (found.sources, found.history, found.method) == ({"system": 2, "user": 5}, 0, CHARS)


def test_messages_counting_more_than_was_reported_are_scaled_down_to_it_and_say_so():
    prompt = _prompt([{"role": "system", "content": RESULT}, {"role": "user", "content": RESULT * 3}])

    found = attribute(prompt, 8, GPT)

    assert found is not None
    assert found.sources == {"system": 2, "user": 6}
    assert found.method == "tokenizer:o200k_base+scaled"


def test_history_is_every_message_up_to_the_last_answer_but_the_system_prompt():
    prompt = _prompt(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "two"},
            {"role": "user", "content": "three"},
        ]
    )

    found = attribute(prompt, 100, GPT)

    assert found is not None and found.history == reference_count("one") + reference_count("two")


def test_a_retrieved_document_quoted_in_a_message_is_the_retriever_s_and_a_short_one_is_not_looked_for():
    document = "Refunds are accepted within 30 days of delivery."
    prompt = _prompt(
        [{"role": "system", "content": f"Use: {document} Refunds"}, {"role": "user", "content": "Ok?"}]
    )

    found = attribute(
        prompt, 100, GPT, {"faq": [document, "Refunds"], "other": ["never quoted in the prompt"]}
    )

    assert found is not None
    assert found.sources["retrieval:faq"] == reference_count(document)
    assert found.sources["system"] == reference_count("Use: ") + reference_count(" Refunds")
    assert "retrieval:other" not in found.sources


def test_a_call_without_reported_prompt_tokens_or_messages_is_not_attributed():
    assert attribute(_prompt([{"role": "user", "content": "hi"}]), 0, GPT) is None
    assert attribute("", 100, GPT) is None


def test_a_prompt_too_long_to_tokenize_at_ingest_is_counted_in_characters():
    found = attribute(_prompt([{"role": "user", "content": "x" * MAX_COUNTED_CHARS}]), 100, GPT)

    assert found is not None and (found.sources, found.method) == ({"user": 100}, CHARS)


@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.dictionaries(
        st.text(max_size=3), st.integers(min_value=0, max_value=10**6), min_size=1
    ).filter(lambda weights: sum(weights.values()) > 0),
)
def test_largest_remainder_shares_add_up_exactly_and_each_is_within_one_of_its_exact_share(total, weights):
    shares = largest_remainder(total, weights)

    assert sum(shares.values()) == total
    whole = sum(weights.values())
    for key, share in shares.items():
        assert abs(share * whole - total * weights[key]) < whole
