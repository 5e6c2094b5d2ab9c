"""What pricing needs of a span beyond its model and usage, read at ingest: its tool name (claimed by the
convention tables) and its billing tier (the discount signals of ``pricing/providers.toml``)."""

from __future__ import annotations

import pytest

from raw_spans import normalized
from tokentrail.model import AttributeValue
from tokentrail.pricing.providers import DISCOUNT_SIGNALS
from tokentrail.semconv.compile import TABLES


@pytest.mark.parametrize(
    ("attributes", "tier"),
    [
        ({"tokentrail.batch": "true"}, "batch"),
        ({"tokentrail.batch": True}, "batch"),  # an OTLP boolean
        ({"tokentrail.batch": "True"}, "batch"),
        ({"openai.response.service_tier": "flex"}, "flex"),
        ({"openai.request.service_tier": "Flex"}, "flex"),
        ({"openai.response.service_tier": "default"}, ""),
        ({"openai.response.service_tier": "priority"}, ""),  # no discount: list price or more
        ({"tokentrail.batch": "false"}, ""),
        ({}, ""),
        # The file's order decides: batch is listed before flex.
        ({"openai.request.service_tier": "flex", "tokentrail.batch": "true"}, "batch"),
    ],
)
def test_the_billing_tier_is_the_first_discount_signal_a_span_carries(
    attributes: dict[str, AttributeValue], tier: str
) -> None:
    assert normalized(attributes).billing_tier == tier


def test_every_discount_signal_reaches_the_billing_tier() -> None:
    for attribute, value, tier in DISCOUNT_SIGNALS:
        assert normalized({attribute: value}).billing_tier == tier, attribute


def test_no_rule_takes_a_discount_signal_off_the_span() -> None:
    # The tier is read from the attributes the walk keeps: a rule claiming a signal must keep it too.
    claimed = {attribute: TABLES.claims.get(attribute) for attribute, _, _ in DISCOUNT_SIGNALS}
    assert all(claim is None or claim.keep for claim in claimed.values()), claimed


def test_the_most_trusted_convention_names_the_tool() -> None:
    # OpenInference ranks above the generic GenAI names (semconv.compile.PRECEDENCE).
    span = normalized({"gen_ai.tool.name": "generic", "tool.name": "specific"})
    assert span.tool_name == "specific"


def test_an_unreadable_tool_name_is_kept_raw_and_names_nothing() -> None:
    span = normalized({"gen_ai.tool.name": ""})
    assert (span.tool_name, span.attributes) == ("", {"gen_ai.tool.name": ""})
