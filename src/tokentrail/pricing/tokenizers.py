"""Counting a prompt's tokens with the model's own tokenizer when one is on this machine, else its characters.

OpenAI's encodings are BPE rank files that ``tiktoken`` would download on first use. This server never does:
an encoding is built only from a file found locally, in this order, and checked against tiktoken's
published SHA-256 before use:

1. ``<TOKENTRAIL_TOKENIZER_DIR>/<encoding>.tiktoken``;
2. the copy a registry package installed beside tokentrail bundles (``litellm`` ships tiktoken's cache
   files, named by tiktoken's cache key), found with ``importlib.util.find_spec`` without importing it.

Without ``tiktoken``, without a file, or for a model no OpenAI encoding covers (Anthropic, Gemini, ...),
text is counted in characters, and the attribution says so (``method``).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["BUNDLES", "CHARS", "ENCODINGS", "TokenCounter", "counter_for", "encoding_file", "load_encoding"]

logger = logging.getLogger(__name__)

#: ``method`` of a count in characters.
CHARS = "chars"


@dataclass(frozen=True, slots=True)
class EncodingSpec:
    """What builds one tiktoken encoding from its rank file, as ``tiktoken_ext.openai_public`` declares it."""

    #: tiktoken's cache key for the file: the SHA-1 of its download URL.
    cache_key: str
    sha256: str
    pattern: str
    special_tokens: dict[str, int]


_O200K_PATTERN = "|".join(
    (
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    )
)
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|"""
    r"""\s*[\r\n]|\s+(?!\S)|\s"""
)

#: The encodings tokentrail can build offline (tiktoken_ext.openai_public's, for the models priced today).
ENCODINGS: dict[str, EncodingSpec] = {
    "o200k_base": EncodingSpec(
        "fb374d419588a4632f3f557e76b4b70aebbca790",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        _O200K_PATTERN,
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    ),
    "cl100k_base": EncodingSpec(
        "9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        _CL100K_PATTERN,
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
}

Bundles = tuple[tuple[str, str], ...]
#: Registry packages that bundle tiktoken's files, and the folder (inside the package) they are in.
BUNDLES: Bundles = (("litellm", "litellm_core_utils/tokenizers"),)


@dataclass(frozen=True, slots=True)
class TokenCounter:
    """Counts text as ``method`` says: ``tokenizer:<encoding>`` or ``chars``."""

    method: str
    count: Callable[[str], int]


_BY_CHARS = TokenCounter(CHARS, len)


def encoding_file(name: str, folder: Path | None, bundles: Bundles = BUNDLES) -> Path | None:
    """The local rank file of encoding ``name`` whose hash is the published one (in ``folder``, else in
    one of the ``bundles``), or None."""
    spec = ENCODINGS.get(name)
    if spec is None:
        return None
    candidates = [folder / f"{name}.tiktoken"] if folder is not None else []
    for package, inside in bundles:
        found = importlib.util.find_spec(package)  # finds the package without running its code
        for location in (found.submodule_search_locations or []) if found is not None else []:
            candidates.append(Path(location) / inside / spec.cache_key)
    for path in candidates:
        if path.is_file():
            if hashlib.sha256(path.read_bytes()).hexdigest() == spec.sha256:
                return path
            logger.warning("%s is not tiktoken's %s (its SHA-256 differs): not used", path, name)
    return None


@lru_cache(maxsize=8)
def load_encoding(name: str, folder: Path | None, bundles: Bundles = BUNDLES) -> Any:
    """The tiktoken ``Encoding`` named ``name``, built from a local file; None without tiktoken or a file."""
    path = encoding_file(name, folder, bundles)
    try:
        import tiktoken
    except ImportError:
        return None
    if path is None:
        return None
    ranks = {}
    for line in path.read_bytes().splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    spec = ENCODINGS[name]
    return tiktoken.Encoding(
        name, pat_str=spec.pattern, mergeable_ranks=ranks, special_tokens=spec.special_tokens
    )


def _encoding_name(model: str) -> str | None:
    try:
        from tiktoken.model import encoding_name_for_model
    except ImportError:
        return None
    bare = model.rsplit("/", 1)[-1]  # "openai/gpt-4o" as a gateway names it
    try:
        return encoding_name_for_model(bare)
    except KeyError:
        return None


@lru_cache(maxsize=1024)
def counter_for(model: str, folder: Path | None, bundles: Bundles = BUNDLES) -> TokenCounter:
    """How ``model``'s prompts are counted here: its encoding when it has one on this machine, else chars."""
    name = _encoding_name(model)
    encoding = load_encoding(name, folder, bundles) if name else None
    if encoding is None:
        return _BY_CHARS
    return TokenCounter(f"tokenizer:{name}", lambda text: len(encoding.encode_ordinary(text)))
