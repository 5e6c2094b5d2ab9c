"""Provider facts as data: the shipped file's facts, and files that do not follow the schema refused."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tokentrail.pricing.providers import (
    DISCOUNT_SHARES,
    DISCOUNT_SIGNALS,
    PROVIDER_COUNTING,
    PROVIDER_IDS,
    ProviderFacts,
    ProviderFileError,
    load,
)

SHIPPED = Path(__file__).resolve().parents[2] / "src" / "tokentrail" / "pricing" / "providers.toml"

GOOD = """
[discounts.batch]
when = [{ attribute = "tokentrail.batch", value = "true" }]

[providers.openai]
prices_id = "openai"
cache_in_input = true
reasoning_in_output = true
discounts = { batch = "0.5" }

[providers.groq]
prices_id = "groq"
"""


def _load(tmp_path: Path, text: str) -> ProviderFacts:
    path = tmp_path / "providers.toml"
    path.write_text(text, encoding="utf-8")
    return load(path)


def test_the_shipped_file_holds_each_providers_ids_counting_and_discounts() -> None:
    assert (PROVIDER_IDS["gcp.vertex_ai"], PROVIDER_IDS["azure.ai.openai"], PROVIDER_IDS["x_ai"]) == (
        "google",
        "azure",
        "x-ai",
    )
    anthropic, gemini = PROVIDER_COUNTING["anthropic"], PROVIDER_COUNTING["gcp.gemini"]
    assert (anthropic.cache_in_input, anthropic.reasoning_in_output) == (False, True)
    assert (gemini.cache_in_input, gemini.reasoning_in_output) == (True, False)
    assert "groq" in PROVIDER_IDS and "groq" not in PROVIDER_COUNTING  # no counting rules: never made whole
    assert ("tokentrail.batch", "true", "batch") in DISCOUNT_SIGNALS
    assert DISCOUNT_SHARES["batch"]["aws.bedrock"] == Decimal("0.5")
    assert ("openai.request.service_tier", "flex", "flex") in DISCOUNT_SIGNALS
    assert dict(DISCOUNT_SHARES["flex"]) == {"openai": Decimal("0.5")}
    # In the file's order: the first signal a span carries names its tier.
    assert [tier for _, _, tier in DISCOUNT_SIGNALS] == ["batch", "flex", "flex"]


def test_the_shipped_file_is_the_one_loaded() -> None:
    facts = load(SHIPPED)
    assert {name: provider.prices_id for name, provider in facts.providers.items()} == dict(PROVIDER_IDS)


def test_a_well_formed_file_loads(tmp_path: Path) -> None:
    facts = _load(tmp_path, GOOD)
    assert facts.discounts == {"batch": (("tokentrail.batch", "true"),)}
    assert facts.providers["openai"].discounts == {"batch": Decimal("0.5")}
    assert facts.providers["groq"].counting is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('prices_id = "groq"', 'prices_id = "groq"\nbatch = true'), "providers.groq: unknown key 'batch'"),
        (('prices_id = "groq"', "prices_id = 7"), "providers.groq.prices_id: must be a string, not int (7)"),
        (('prices_id = "groq"', 'prices_id = ""'), "providers.groq.prices_id: must not be empty"),
        (('prices_id = "groq"', ""), "providers.groq: 'prices_id' is missing"),
        (
            ("cache_in_input = true", 'cache_in_input = "yes"'),
            "providers.openai.cache_in_input: must be a boolean, not a string ('yes')",
        ),
        (("reasoning_in_output = true\n", ""), "providers.openai: 'cache_in_input' without its pair"),
        (
            ('batch = "0.5"', 'flex = "0.5"'),
            "providers.openai.discounts.flex: no such discount (known: batch)",
        ),
        (('batch = "0.5"', 'batch = "2"'), "providers.openai.discounts.batch: '2' is not a share"),
        (('batch = "0.5"', 'batch = "half"'), "providers.openai.discounts.batch: 'half' is not a decimal"),
        (('batch = "0.5"', "batch = 0.5"), "providers.openai.discounts.batch: must be a decimal number as a"),
        (('value = "true"', 'value = "True"'), "discounts.batch.when[0].value: must be lower case"),
        (('attribute = "tokentrail.batch", ', ""), "discounts.batch.when[0]: 'attribute' is missing"),
        (("[providers.groq]", '[providers."Groq"]'), "providers.Groq: provider names are lower case"),
        (("[providers.groq]", "[providerz.groq]"), "the file: unknown key 'providerz'"),
        (("[providers.groq]", "[providers.groq"), "Expected ']'"),  # not TOML at all
    ],
)
def test_a_malformed_file_is_refused_naming_the_file_and_the_key(tmp_path, change, message) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(ProviderFileError) as refused:
        _load(tmp_path, GOOD.replace(old, new, 1))
    assert str(refused.value).startswith(f"{tmp_path / 'providers.toml'}: ")
    assert message in str(refused.value)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProviderFileError, match=r"providers\.toml: .*No such file"):
        load(tmp_path / "providers.toml")
