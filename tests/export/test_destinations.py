"""Destinations (export.destinations): ``NAME=URL`` and the ``langsmith`` and ``langfuse`` presets, which
build the OTLP path and auth header from their SDK's variables (region, or a base URL for a self-hosted
instance); headers per destination, read from the environment with ``$VAR``; a preset without its key, an
unknown preset or region, a duplicate name or a header for no destination refused at start."""

from __future__ import annotations

import base64

import pytest

from tokentrail.config import ConfigError
from tokentrail.export.destinations import destinations, masked, parse_destination

SMITH = {"LANGSMITH_API_KEY": "lsv2_key", "LANGSMITH_PROJECT": "checkout"}
FUSE = {"LANGFUSE_PUBLIC_KEY": "pk-lf-1", "LANGFUSE_SECRET_KEY": "sk-lf-2"}


def test_langsmith_preset_builds_its_otlp_url_and_headers_by_region():
    assert parse_destination("langsmith", SMITH).url == "https://api.smith.langchain.com/otel/v1/traces"
    eu = parse_destination("langsmith:eu", SMITH)
    assert eu.url == "https://eu.api.smith.langchain.com/otel/v1/traces"
    assert eu.headers == {"x-api-key": "lsv2_key", "Langsmith-Project": "checkout"}


def test_langfuse_preset_uses_basic_auth_and_the_region_or_base_url():
    default = parse_destination("langfuse", FUSE)
    assert default.url == "https://cloud.langfuse.com/api/public/otel/v1/traces"
    assert default.headers == {"Authorization": "Basic " + base64.b64encode(b"pk-lf-1:sk-lf-2").decode()}
    assert parse_destination("langfuse:us", FUSE).url.startswith("https://us.cloud.langfuse.com/api/public/")
    hosted = parse_destination("langfuse", {**FUSE, "LANGFUSE_HOST": "http://lf.internal:3000/"})
    assert hosted.url == "http://lf.internal:3000/api/public/otel/v1/traces"


def test_a_preset_without_its_key_is_refused_naming_the_variable():
    with pytest.raises(ConfigError, match="LANGFUSE_SECRET_KEY"):
        parse_destination("langfuse", {"LANGFUSE_PUBLIC_KEY": "pk"})
    with pytest.raises(ConfigError, match="LANGSMITH_API_KEY"):
        parse_destination("langsmith", {})


@pytest.mark.parametrize("spec", ["datadog", "langsmith:mars", "bad name=http://x", "x=ftp://host"])
def test_unknown_presets_regions_and_urls_are_refused(spec: str):
    with pytest.raises(ConfigError, match="forward"):
        parse_destination(spec, SMITH)


def test_headers_are_added_per_destination_and_read_from_the_environment():
    found = destinations(
        ["a=http://a.example/v1/traces", "langsmith"],
        ["a=Authorization:$A_TOKEN", "a=X-Team: search", "langsmith=X-Extra:1"],
        {**SMITH, "A_TOKEN": "Bearer t0ken"},
    )
    assert found[0].headers == {"Authorization": "Bearer t0ken", "X-Team": "search"}
    assert found[1].headers["X-Extra"] == "1" and found[1].headers["x-api-key"] == "lsv2_key"
    assert masked(found[0].headers) == {"Authorization": "••••••••", "X-Team": "••••••"}
    assert "t0ken" not in repr(found[0])


@pytest.mark.parametrize(
    ("specs", "headers", "message"),
    [
        (["a=http://a/v1/traces", "a=http://b/v1/traces"], [], "unique"),
        (["a=http://a/v1/traces"], ["b=X:1"], "no such destination"),
        (["a=http://a/v1/traces"], ["a=X:$UNSET"], "UNSET is not set"),
        (["a=http://a/v1/traces"], ["a=novalue"], "NAME=Header:Value"),
    ],
)
def test_inconsistent_settings_are_refused(specs: list[str], headers: list[str], message: str):
    with pytest.raises(ConfigError, match=message):
        destinations(specs, headers, {})
