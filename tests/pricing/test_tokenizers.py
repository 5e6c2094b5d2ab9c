"""Counting prompts offline: an OpenAI model's encoding built from a local file (a configured folder first,
else the copy an installed package bundles) and checked against tiktoken's published hash; characters for
any other model, or when no file is on this machine. Nothing is ever downloaded."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from tiktoken_reference import reference_count
from tokentrail.pricing.tokenizers import BUNDLES, CHARS, counter_for, encoding_file

SAMPLE = "Hello, world! Ünïcödé, 日本語, emoji 🎉 and code: def f(x): return x ** 2\n\n  trailing"
NO_BUNDLES: tuple[tuple[str, str], ...] = ()


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the tokenizer tried the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(
    ("model", "encoding"),
    [("gpt-4o-mini-2024-07-18", "o200k_base"), ("gpt-4", "cl100k_base"), ("openai/gpt-4o", "o200k_base")],
)
def test_openai_models_are_counted_with_their_encoding_from_the_bundled_files(offline, model, encoding):
    counter = counter_for(model, None)

    assert counter.method == f"tokenizer:{encoding}"
    assert counter.count(SAMPLE) == reference_count(SAMPLE, encoding)


@pytest.mark.parametrize("model", ["claude-haiku-4-5", "gemini-2.5-flash", "", "my-local-model"])
def test_models_without_an_openai_encoding_are_counted_in_characters(offline, model):
    counter = counter_for(model, None)

    assert (counter.method, counter.count(SAMPLE)) == (CHARS, len(SAMPLE))


def test_without_a_folder_or_a_bundle_the_count_is_in_characters_and_nothing_is_downloaded(offline):
    counter = counter_for("gpt-4o", None, NO_BUNDLES)

    assert (counter.method, counter.count(SAMPLE)) == (CHARS, len(SAMPLE))


def test_a_configured_folder_holds_the_encodings_by_name(offline, tmp_path: Path):
    bundled = encoding_file("o200k_base", None)
    assert bundled is not None and bundled.parent.name == Path(BUNDLES[0][1]).name
    shutil.copy(bundled, tmp_path / "o200k_base.tiktoken")

    assert encoding_file("o200k_base", tmp_path, NO_BUNDLES) == tmp_path / "o200k_base.tiktoken"
    counter = counter_for("gpt-4o", tmp_path, NO_BUNDLES)
    assert (counter.method, counter.count(SAMPLE)) == ("tokenizer:o200k_base", reference_count(SAMPLE))


def test_a_file_that_is_not_the_published_encoding_is_not_used(offline, tmp_path: Path):
    (tmp_path / "o200k_base.tiktoken").write_bytes(b"SGVsbG8= 0\n")

    assert encoding_file("o200k_base", tmp_path, NO_BUNDLES) is None
    assert counter_for("gpt-4o", tmp_path, NO_BUNDLES).method == CHARS
    assert encoding_file("o200k_base", tmp_path) == encoding_file("o200k_base", None)  # the bundle's


def test_an_encoding_tokentrail_cannot_build_offline_has_no_file():
    assert encoding_file("r50k_base", None) is None
